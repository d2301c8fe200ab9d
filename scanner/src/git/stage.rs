//! The typed stage contract: which stages there are, and what each reports.
//!
//! [`Stage`] is the closed set of pipeline stages, in order. Each stage has
//! its own outcome type ([`RepoStage`], [`TreeDiffStage`], …) with fields
//! named for what they count there; all share a [`Cost`] (wall time and
//! allocations). Serialized, every field keeps its stable metric name (the
//! `<stage>.<field>` names of `docs/metrics.md`, which the history database
//! is keyed by), and [`Stages::flow`] gives the harness the common shape
//! (items and bytes in and out) without reading names.

use crate::git::metrics::StageMetrics;
use serde::{Deserialize, Serialize};

/// A pipeline stage, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Repo,
    TreeDiff,
    Dedupe,
    Mapping,
    Plan,
    Exec,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub fn all() -> [Stage; 6] {
        [
            Stage::Repo,
            Stage::TreeDiff,
            Stage::Dedupe,
            Stage::Mapping,
            Stage::Plan,
            Stage::Exec,
        ]
    }

    /// The stage's name: the prefix of its metric names.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Repo => "repo",
            Stage::TreeDiff => "tree_diff",
            Stage::Dedupe => "dedupe",
            Stage::Mapping => "mapping",
            Stage::Plan => "plan",
            Stage::Exec => "exec",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every stage costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Wall-clock nanoseconds spent in the stage.
    pub wall_ns: u64,
    /// Heap allocations (alloc + realloc calls) during the stage,
    /// process-wide; 0 without an [`crate::git::AllocCounter`].
    pub allocs: u64,
    /// Bytes requested by those allocations.
    pub alloc_bytes: u64,
}

/// The common shape of a stage's work, for tables and cycles per byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    pub wall_ns: u64,
    pub items_in: u64,
    pub items_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Repository access and commit selection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoStage {
    #[serde(flatten)]
    pub cost: Cost,
    /// Tips resolved: refs and range ends (with `--all` also the refs that
    /// name trees or blobs).
    #[serde(rename = "items_in")]
    pub tips: u64,
    /// Commits selected.
    #[serde(rename = "items_out")]
    pub commits: u64,
    /// Bytes of commit objects parsed.
    #[serde(rename = "bytes_in")]
    pub commit_bytes: u64,
    /// Commits read from the commit-graph.
    #[serde(rename = "cache_hits")]
    pub from_commit_graph: u64,
    /// Commits parsed from the object database.
    #[serde(rename = "cache_misses")]
    pub parsed: u64,
}

/// Tree diff of each commit against its parents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeDiffStage {
    #[serde(flatten)]
    pub cost: Cost,
    /// Tree diffs run (commit × parent, roots once).
    #[serde(rename = "items_in")]
    pub diffs: u64,
    /// Introductions (candidates) emitted, those of refs naming trees or
    /// blobs included.
    #[serde(rename = "items_out")]
    pub candidates: u64,
    /// Bytes of raw trees loaded.
    #[serde(rename = "bytes_in")]
    pub tree_bytes: u64,
    /// Tree cache hits.
    #[serde(rename = "cache_hits")]
    pub tree_cache_hits: u64,
    /// Trees loaded (tree cache misses).
    #[serde(rename = "cache_misses")]
    pub tree_loads: u64,
}

/// Dedupe of the candidates into unique blobs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupeStage {
    #[serde(flatten)]
    pub cost: Cost,
    /// Candidates offered.
    #[serde(rename = "items_in")]
    pub candidates: u64,
    /// Unique blobs.
    #[serde(rename = "items_out")]
    pub unique_blobs: u64,
    /// Sorted runs written to the spill directory, and their bytes.
    pub spill_runs: u64,
    pub spill_bytes: u64,
}

/// Mapping of unique blobs to pack offsets or loose objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingStage {
    #[serde(flatten)]
    pub cost: Cost,
    /// Unique blobs.
    #[serde(rename = "items_in")]
    pub blobs: u64,
    /// Blobs located (packed or loose).
    #[serde(rename = "items_out")]
    pub located: u64,
    /// Bytes of multi-pack-index and `.idx` files joined.
    #[serde(rename = "bytes_in")]
    pub index_bytes: u64,
    /// Blobs found in a pack index.
    #[serde(rename = "cache_hits")]
    pub in_index: u64,
    /// Blobs in no pack index (loose or missing).
    #[serde(rename = "cache_misses")]
    pub not_in_index: u64,
}

/// The decoding plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStage {
    #[serde(flatten)]
    pub cost: Cost,
    /// Unique blobs.
    #[serde(rename = "items_in")]
    pub blobs: u64,
    /// Entries planned for decoding (targets, delta bases, loose objects).
    #[serde(rename = "items_out")]
    pub entries: u64,
    /// Bytes of the packs that hold planned entries.
    #[serde(rename = "bytes_in")]
    pub pack_bytes: u64,
}

/// Decoding and delivery to the sinks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecStage {
    #[serde(flatten)]
    pub cost: Cost,
    /// Entries inflated (base objects, deltas, loose objects).
    #[serde(rename = "items_in")]
    pub inflated: u64,
    /// Blobs delivered to the sinks.
    #[serde(rename = "items_out")]
    pub blobs_delivered: u64,
    /// Compressed bytes inflated (pack data; whole loose files).
    #[serde(rename = "bytes_in")]
    pub packed_bytes: u64,
    /// Bytes of the blobs delivered.
    #[serde(rename = "bytes_out")]
    pub bytes_delivered: u64,
    /// Delta bases found in a worker's base cache.
    #[serde(rename = "cache_hits")]
    pub base_hits: u64,
    /// Delta bases decoded again.
    #[serde(rename = "cache_misses")]
    pub base_misses: u64,
}

/// The outcome of every stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stages {
    pub repo: RepoStage,
    pub tree_diff: TreeDiffStage,
    pub dedupe: DedupeStage,
    pub mapping: MappingStage,
    pub plan: PlanStage,
    pub exec: ExecStage,
}

fn cost(m: &StageMetrics) -> Cost {
    Cost {
        wall_ns: m.wall_ns,
        allocs: m.allocs,
        alloc_bytes: m.alloc_bytes,
    }
}

/// The running counters of each stage, while the scan runs.
#[derive(Debug, Default)]
pub(crate) struct Running {
    pub(crate) repo: StageMetrics,
    pub(crate) tree_diff: StageMetrics,
    pub(crate) dedupe: StageMetrics,
    pub(crate) mapping: StageMetrics,
    pub(crate) plan: StageMetrics,
    pub(crate) exec: StageMetrics,
}

impl Running {
    /// Each stage's typed outcome.
    pub(crate) fn finish(&self) -> Stages {
        let (r, t, d, m, p, e) = (
            &self.repo,
            &self.tree_diff,
            &self.dedupe,
            &self.mapping,
            &self.plan,
            &self.exec,
        );
        Stages {
            repo: RepoStage {
                cost: cost(r),
                tips: r.items_in,
                commits: r.items_out,
                commit_bytes: r.bytes_in,
                from_commit_graph: r.cache_hits,
                parsed: r.cache_misses,
            },
            tree_diff: TreeDiffStage {
                cost: cost(t),
                diffs: t.items_in,
                candidates: t.items_out,
                tree_bytes: t.bytes_in,
                tree_cache_hits: t.cache_hits,
                tree_loads: t.cache_misses,
            },
            dedupe: DedupeStage {
                cost: cost(d),
                candidates: d.items_in,
                unique_blobs: d.items_out,
                spill_runs: d.spill_runs,
                spill_bytes: d.spill_bytes,
            },
            mapping: MappingStage {
                cost: cost(m),
                blobs: m.items_in,
                located: m.items_out,
                index_bytes: m.bytes_in,
                in_index: m.cache_hits,
                not_in_index: m.cache_misses,
            },
            plan: PlanStage {
                cost: cost(p),
                blobs: p.items_in,
                entries: p.items_out,
                pack_bytes: p.bytes_in,
            },
            exec: ExecStage {
                cost: cost(e),
                inflated: e.items_in,
                blobs_delivered: e.items_out,
                packed_bytes: e.bytes_in,
                bytes_delivered: e.bytes_out,
                base_hits: e.cache_hits,
                base_misses: e.cache_misses,
            },
        }
    }
}

impl Stages {
    /// What `stage` cost.
    pub fn cost(&self, stage: Stage) -> Cost {
        match stage {
            Stage::Repo => self.repo.cost,
            Stage::TreeDiff => self.tree_diff.cost,
            Stage::Dedupe => self.dedupe.cost,
            Stage::Mapping => self.mapping.cost,
            Stage::Plan => self.plan.cost,
            Stage::Exec => self.exec.cost,
        }
    }

    /// `stage`'s items and bytes in and out (0 where the stage has none).
    pub fn flow(&self, stage: Stage) -> Flow {
        let wall_ns = self.cost(stage).wall_ns;
        let (items_in, items_out, bytes_in, bytes_out) = match stage {
            Stage::Repo => (self.repo.tips, self.repo.commits, self.repo.commit_bytes, 0),
            Stage::TreeDiff => {
                let t = &self.tree_diff;
                (t.diffs, t.candidates, t.tree_bytes, 0)
            }
            Stage::Dedupe => (self.dedupe.candidates, self.dedupe.unique_blobs, 0, 0),
            Stage::Mapping => {
                let m = &self.mapping;
                (m.blobs, m.located, m.index_bytes, 0)
            }
            Stage::Plan => (self.plan.blobs, self.plan.entries, self.plan.pack_bytes, 0),
            Stage::Exec => {
                let e = &self.exec;
                (
                    e.inflated,
                    e.blobs_delivered,
                    e.packed_bytes,
                    e.bytes_delivered,
                )
            }
        };
        Flow {
            wall_ns,
            items_in,
            items_out,
            bytes_in,
            bytes_out,
        }
    }

    /// `(<stage>.<field>, value)` for every field of every stage, in
    /// pipeline order, with the stable names of `docs/metrics.md`.
    pub fn metrics(&self) -> Vec<(String, u64)> {
        let mut v = Vec::new();
        for stage in Stage::all() {
            let value = match stage {
                Stage::Repo => serde_json::to_value(&self.repo),
                Stage::TreeDiff => serde_json::to_value(&self.tree_diff),
                Stage::Dedupe => serde_json::to_value(&self.dedupe),
                Stage::Mapping => serde_json::to_value(&self.mapping),
                Stage::Plan => serde_json::to_value(&self.plan),
                Stage::Exec => serde_json::to_value(&self.exec),
            };
            // Plain structs of u64 fields always serialize to an object of
            // numbers.
            if let Ok(serde_json::Value::Object(fields)) = value {
                for (field, n) in fields {
                    v.push((format!("{stage}.{field}"), n.as_u64().unwrap_or(0)));
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_reaches_its_stable_name() {
        let m = |base: u64| StageMetrics {
            wall_ns: base + 1,
            items_in: base + 2,
            items_out: base + 3,
            bytes_in: base + 4,
            bytes_out: base + 5,
            spill_runs: base + 6,
            spill_bytes: base + 7,
            cache_hits: base + 8,
            cache_misses: base + 9,
            allocs: base + 10,
            alloc_bytes: base + 11,
        };
        let running = Running {
            repo: m(100),
            tree_diff: m(200),
            dedupe: m(300),
            mapping: m(400),
            plan: m(500),
            exec: m(600),
        };
        let stages = running.finish();
        let metrics = stages.metrics();
        let get = |n: &str| metrics.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        assert_eq!(get("repo.wall_ns"), Some(101));
        assert_eq!(get("repo.cache_misses"), Some(109));
        assert_eq!(get("tree_diff.bytes_in"), Some(204));
        assert_eq!(get("dedupe.spill_bytes"), Some(307));
        assert_eq!(get("mapping.cache_hits"), Some(408));
        assert_eq!(get("plan.alloc_bytes"), Some(511));
        assert_eq!(get("exec.bytes_out"), Some(605));
        // Fields a stage has no use for are not reported.
        assert_eq!(get("repo.spill_runs"), None);
        assert_eq!(get("plan.cache_hits"), None);
        // The flow agrees with the named fields, and the metric names with
        // the stages' names.
        for stage in Stage::all() {
            let f = stages.flow(stage);
            assert_eq!(Some(f.items_in), get(&format!("{stage}.items_in")));
            assert_eq!(Some(f.wall_ns), get(&format!("{stage}.wall_ns")));
        }
        assert_eq!(stages.flow(Stage::Exec).bytes_out, 605);
        // The serialized form reads back.
        let json = serde_json::to_string(&stages).unwrap();
        let back: Stages = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stages);
    }
}
