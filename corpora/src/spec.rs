//! What each stratum is: the generator's parameters, and the cache key.
//!
//! A [`Spec`] fully determines a corpus: the same spec gives the same commit
//! ids on any machine. [`Spec::cache_key`] hashes the spec together with
//! [`GENERATOR_VERSION`], so changing either regenerates the corpus.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bump when generator code changes what it writes for an unchanged spec.
pub const GENERATOR_VERSION: u32 = 1;

/// The generator's own source, hashed into the cache key, so that a code
/// change can never be served a corpus cached by older code.
const GENERATOR_SOURCES: &[&str] = &[
    include_str!("build.rs"),
    include_str!("content.rs"),
    include_str!("fast_import.rs"),
    include_str!("history.rs"),
    include_str!("rng.rs"),
    include_str!("secrets.rs"),
    include_str!("spec.rs"),
];

pub use harness_model::Stratum;

/// The generator spec of each stratum: the shape behind the model's
/// [`Stratum`] axis.
pub trait StratumSpec {
    /// The benchmark-sized spec.
    fn spec(self) -> Spec;
    /// A small variant with the same shape, for the test suite: same
    /// features (branches, merges, packs, MIDX, large file, every plant case)
    /// in a few hundred commits.
    fn test_spec(self) -> Spec;
}

impl StratumSpec for Stratum {
    fn spec(self) -> Spec {
        match self {
            Stratum::Small => Spec {
                name: "small".into(),
                seed: 0x5EED_0001,
                initial_files: 800,
                file_bytes: (300, 4000),
                commits: 2_100,
                changes_per_commit: (1, 4),
                ops: OpWeights {
                    modify: 70,
                    add: 12,
                    delete: 6,
                    rename: 4,
                    copy: 3,
                    revert: 3,
                    cherry_pick: 2,
                },
                branches: BranchSpec {
                    max_active: 3,
                    fork_chance: 0.02,
                    merge_after: (3, 20),
                    main_share: 0.6,
                },
                large_files: 1,
                packs: 1,
                multi_pack_index: false,
                commit_graph: true,
                selection: Selection::LastCommits(10),
                dedupe_budget_bytes: None,
                plant_rounds: 1,
            },
            Stratum::Medium => Spec {
                name: "medium".into(),
                seed: 0x5EED_0002,
                initial_files: 20_500,
                file_bytes: (200, 3000),
                commits: 3_000,
                changes_per_commit: (2, 12),
                ops: OpWeights {
                    modify: 52,
                    add: 10,
                    delete: 4,
                    rename: 12,
                    copy: 9,
                    revert: 9,
                    cherry_pick: 4,
                },
                branches: BranchSpec {
                    max_active: 2,
                    fork_chance: 0.01,
                    merge_after: (2, 8),
                    main_share: 0.85,
                },
                large_files: 3,
                packs: 2,
                multi_pack_index: true,
                commit_graph: true,
                selection: Selection::All,
                dedupe_budget_bytes: Some(256 << 10),
                plant_rounds: 2,
            },
            Stratum::Large => Spec {
                name: "large".into(),
                seed: 0x5EED_0003,
                initial_files: 4_000,
                file_bytes: (200, 5000),
                commits: 20_500,
                changes_per_commit: (1, 6),
                ops: OpWeights {
                    modify: 55,
                    add: 8,
                    delete: 4,
                    rename: 8,
                    copy: 7,
                    revert: 10,
                    cherry_pick: 8,
                },
                branches: BranchSpec {
                    max_active: 12,
                    fork_chance: 0.08,
                    merge_after: (4, 40),
                    main_share: 0.3,
                },
                large_files: 4,
                packs: 4,
                multi_pack_index: true,
                commit_graph: true,
                selection: Selection::All,
                dedupe_budget_bytes: None,
                plant_rounds: 3,
            },
        }
    }

    fn test_spec(self) -> Spec {
        let mut s = self.spec();
        s.name = format!("{}-test", s.name);
        s.initial_files = (s.initial_files / 40).max(40);
        s.commits = (s.commits / 40).max(120);
        s.plant_rounds = 1;
        // Short histories still need merges (the merge-only plant) and branches.
        s.branches.fork_chance = s.branches.fork_chance.max(0.05);
        s.branches.main_share = s.branches.main_share.min(0.7);
        s
    }
}

/// Which commits the benchmark scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "n", rename_all = "snake_case")]
pub enum Selection {
    /// Everything reachable from any ref (`--all`).
    All,
    /// The last `n` commits of `main`, which the generator keeps linear:
    /// `main~n..main`.
    LastCommits(usize),
}

/// Relative weights of the per-commit operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpWeights {
    pub modify: u64,
    pub add: u64,
    pub delete: u64,
    /// Delete + add of the same blob elsewhere: a duplicate introduction.
    pub rename: u64,
    /// A second path for an existing blob: a duplicate introduction.
    pub copy: u64,
    /// A path goes back to one of its earlier blobs.
    pub revert: u64,
    /// A change from a feature branch applied again on main.
    pub cherry_pick: u64,
}

/// Feature-branch behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BranchSpec {
    /// At most this many unmerged feature branches at once.
    pub max_active: usize,
    /// Per step, the chance to fork a new branch from main.
    pub fork_chance: f64,
    /// A branch is merged after this many of its own commits (inclusive range).
    pub merge_after: (u64, u64),
    /// Share of ordinary commits made on main rather than a feature branch.
    pub main_share: f64,
}

/// Everything the generator needs; see `docs/corpora.md` for the rationale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub name: String,
    pub seed: u64,
    /// Files in the root commit.
    pub initial_files: usize,
    /// Typical new-file size range in bytes (drawn log-uniformly).
    pub file_bytes: (usize, usize),
    /// Total commits, merges included.
    pub commits: usize,
    /// Operations per ordinary commit (inclusive range).
    pub changes_per_commit: (u64, u64),
    pub ops: OpWeights,
    pub branches: BranchSpec,
    /// Files of at least 1 MiB (one of them holds a secret across the 1 MiB boundary).
    pub large_files: usize,
    /// Number of pack files in the final repository.
    pub packs: usize,
    pub multi_pack_index: bool,
    pub commit_graph: bool,
    pub selection: Selection,
    /// The dedupe memory budget the benchmark scans with (`None`: the default).
    pub dedupe_budget_bytes: Option<u64>,
    /// How many times every secret and decoy kind is planted.
    pub plant_rounds: usize,
}

impl Spec {
    /// Hex SHA-256 over the generator version and source and the canonical JSON
    /// of the spec.
    pub fn cache_key(&self) -> String {
        let mut h = Sha256::new();
        h.update(GENERATOR_VERSION.to_le_bytes());
        for src in GENERATOR_SOURCES {
            h.update(src.as_bytes());
        }
        h.update(serde_json::to_vec(self).unwrap_or_default());
        hex::encode(h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_changes_with_spec() {
        let a = Stratum::Small.spec();
        let mut b = a.clone();
        assert_eq!(a.cache_key(), b.cache_key());
        b.commits += 1;
        assert_ne!(a.cache_key(), b.cache_key());
    }
}
