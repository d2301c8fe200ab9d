//! The git half: commit selection → tree diff → dedupe → mapping → plan → exec.
//!
//! [`scan`] runs the stages in order, each in its own module:
//! - `repo`: open the repository, read refs, select commits (`--all`,
//!   `A..B`, refs), commit-graph when present;
//! - `tree_diff`: diff each commit against each parent (only the first
//!   where the others cannot decide a canonical context), emit candidates
//!   (and, for `--all`, the blobs of refs that name trees or blobs);
//! - `dedupe`: unique blob ids with their canonical context, in bounded
//!   memory (spilling sorted runs);
//! - `mapping`: blob id → pack offset (multi-pack-index or `.idx`) or loose;
//! - `plan`: per pack, ascending offsets plus delta bases;
//! - `pack_exec`: decode the plan on worker threads, deliver bytes to the
//!   caller's sinks.
//!
//! All of them read objects through `odb`, the one pack component (packs
//! and their index opened once with the repository, one decoder, one
//! delta-chain walk, the base caches); the stages orchestrate and never
//! decode. The stages are `pub(crate)`: callers see [`scan`], [`Options`],
//! [`Selection`], the typed [`Outcome`] with one outcome per [`Stage`]
//! ([`Stages`]), and [`Error`].
//!
//! `table_hash` seeds the hash tables keyed by repository data (per
//! process by default, fixed for instruction-count benchmarks).
//!
//! It returns an [`Outcome`] (per-stage metrics, counts, Complete/Partial with
//! the skipped objects and why) and the sinks. Object parsing is gix's
//! (`gix::objs`, `gix::odb::pack`, `gix::commitgraph`); inflate is zlib-rs
//! (gix-zlib's backend, through `gix::zlib`). The pack entry walk, delta
//! application and base caches are our own (`odb`) so that header sizes
//! are checked before allocating and decoding follows the plan's offset
//! order.

pub(crate) mod dedupe;
mod error;
pub(crate) mod mapping;
pub(crate) mod metrics;
pub(crate) mod odb;
pub(crate) mod pack_exec;
pub(crate) mod plan;
pub(crate) mod repo;
mod stage;
mod table_hash;
pub(crate) mod tree_diff;

pub use error::{Error, Result};
pub use metrics::{AllocCounter, AllocSnapshot};
pub use repo::Selection;
pub use stage::{
    Cost, DedupeStage, ExecStage, Flow, MappingStage, PlanStage, RepoStage, Stage, Stages,
    TreeDiffStage,
};
pub use table_hash::TableHashing;

use metrics::StageTimer;

use crate::sink::SinkFactory;
use gix::ObjectId;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize};

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Repository: work tree, `.git` directory or bare repository.
    pub repo: PathBuf,
    pub selection: Selection,
    /// Exec worker threads (and sinks); at least 1.
    pub threads: usize,
    /// Bytes for dedupe's candidate table before it spills sorted runs.
    pub dedupe_budget: usize,
    /// Where spill runs go; `None`: the system temporary directory.
    pub spill_dir: Option<PathBuf>,
    /// Blobs larger than this are skipped ([`SkipReason::TooLarge`]).
    pub max_blob_size: u64,
    /// Bytes of raw trees tree diff keeps cached (two caches that share
    /// trees, together at most twice this; see `tree_diff::split_budget`).
    pub tree_cache_budget: usize,
    /// Bytes of decoded delta bases each exec worker keeps cached.
    pub base_cache_budget: usize,
    /// Keys of the hash tables keyed by repository data (dedupe's paths,
    /// plan's pack offsets): per process (the default; resists hash
    /// flooding) or fixed (the same instructions in every run, for
    /// instruction-count benchmarks). Results do not depend on it.
    pub table_hashing: TableHashing,
    /// Reads the embedding binary's allocation counter, for the stages'
    /// `allocs` figures; `None` (the default): not counted (0).
    pub alloc_counter: Option<AllocCounter>,
}

impl Options {
    /// Defaults for `repo`: HEAD, all cores, 64 MiB dedupe budget, 24 MiB
    /// tree cache, 16 MiB base cache per worker, 64 MiB maximum blob size.
    pub fn new(repo: impl Into<PathBuf>) -> Self {
        Options {
            repo: repo.into(),
            selection: Selection::Head,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            dedupe_budget: 64 << 20,
            spill_dir: None,
            max_blob_size: 64 << 20,
            tree_cache_budget: 24 << 20,
            base_cache_budget: 16 << 20,
            table_hashing: TableHashing::PerProcess,
            alloc_counter: None,
        }
    }
}

impl Options {
    /// Derives the caches' budgets from one figure for all of them: half
    /// for dedupe's table, 3/16 for tree diff's caches, a quarter for exec's
    /// base caches, split among `threads` (set it first). 128 MiB at two
    /// threads gives the defaults. What lies outside the budgets (the
    /// compiled rules, the selected commits, the unique-blob list and
    /// interned paths) is not in it.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.dedupe_budget = bytes / 2;
        self.tree_cache_budget = bytes / 16 * 3;
        self.base_cache_budget = bytes / 4 / self.threads.max(1);
    }
}

/// Whether every unique blob was delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Complete,
    /// Some objects were skipped; see [`Outcome::skipped`].
    Partial,
}

/// Why an object was not delivered (or a commit not fully diffed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Not in any pack nor loose; `promisor`: the repository is a partial
    /// clone, so the promisor remote presumably has it.
    Missing { promisor: bool },
    /// Larger than the maximum blob size (by header or delta result size).
    TooLarge { size: u64, max: u64 },
    /// The pack entry (or loose file) holding it, or a delta base, is corrupt.
    Corrupt {
        file: PathBuf,
        offset: Option<u64>,
        message: String,
    },
    /// The id is listed as a blob in a tree but the object is another kind.
    NotABlob { kind: String },
    /// A shallow commit (the oid is the commit's): its parents are absent, so
    /// it was diffed against the empty tree, like git does.
    ShallowBoundary,
    /// A tree (the oid is the tree's) that could not be read or parsed; the
    /// diffs that met it went on without it, so the blobs only it holds were
    /// not scanned. `seen_in`: of the commits (or ref-named trees) whose
    /// diffs met it, the one with the smallest id, and `path` the tree's
    /// path there (the same whatever the thread count); `diffs`: how many
    /// diffs met it.
    DamagedTree {
        seen_in: ObjectId,
        path: String,
        diffs: u64,
        message: String,
    },
    /// A commit (the oid is the commit's) that is absent or could not be
    /// read or parsed: neither it nor the history only it leads to was
    /// scanned (its parents are what it would have named, so they cannot be
    /// known; ancestors reachable another way are scanned). The commits
    /// naming it as a parent were diffed against their other parents only
    /// (against the empty tree when it was their only one), which still
    /// introduces every blob their own trees hold. `reached_from`: of the
    /// refs and commits that led to it, the first (refs before commits, then
    /// by name or id: the same whatever the walk order); `reached`: how many
    /// did.
    DamagedCommit {
        reached_from: ReachedFrom,
        reached: u64,
        message: String,
    },
    /// A tag (the oid is the tag's) that a ref names, directly or through
    /// other tags, that could not be read or parsed: what it names was not
    /// scanned through that ref. `ref_name`: the first ref by name that led
    /// to it; `refs`: how many did.
    DamagedTag {
        ref_name: String,
        refs: u64,
        message: String,
    },
}

/// What led the scan to a damaged commit. Refs sort before commits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReachedFrom {
    /// A ref (full name) or a revision the caller named.
    Ref(String),
    /// A commit naming it as a parent.
    Commit(ObjectId),
}

impl std::fmt::Display for ReachedFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReachedFrom::Ref(name) => write!(f, "ref {name}"),
            ReachedFrom::Commit(id) => write!(f, "commit {id}"),
        }
    }
}

/// Something the scan worked around without losing anything: the outcome
/// stays `Complete` on its account. Callers show each once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The commit-graph could not be opened, or one of its entries is
    /// inconsistent: the commits it covers (or that entry) were read from
    /// the object database instead.
    CommitGraphIgnored { path: PathBuf, message: String },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::CommitGraphIgnored { path, message } => write!(
                f,
                "{}: commit-graph not used, commits read from the object database instead: {message}",
                path.display()
            ),
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Missing { promisor: true } => write!(
                f,
                "missing (partial clone: only the promisor remote has it)"
            ),
            SkipReason::Missing { promisor: false } => {
                write!(f, "missing from the object database")
            }
            SkipReason::TooLarge { size, max } => {
                write!(f, "{size} bytes exceeds the maximum blob size of {max}")
            }
            SkipReason::Corrupt {
                file,
                offset: Some(o),
                message,
            } => write!(f, "{} at offset {o}: {message}", file.display()),
            SkipReason::Corrupt {
                file,
                offset: None,
                message,
            } => write!(f, "{}: {message}", file.display()),
            SkipReason::NotABlob { kind } => write!(f, "object is a {kind}, not a blob"),
            SkipReason::ShallowBoundary => write!(
                f,
                "shallow commit: parents absent, diffed against the empty tree"
            ),
            SkipReason::DamagedTree {
                seen_in,
                path,
                diffs,
                message,
            } => write!(
                f,
                "damaged tree, its blobs not scanned ({diffs} diff(s) met it, e.g. at '{path}' in {seen_in}): {message}"
            ),
            SkipReason::DamagedCommit {
                reached_from,
                reached,
                message,
            } => write!(
                f,
                "damaged commit, it and the history only it leads to not scanned ({reached} ref(s) or commit(s) lead to it, e.g. {reached_from}): {message}"
            ),
            SkipReason::DamagedTag {
                ref_name,
                refs,
                message,
            } => write!(
                f,
                "damaged tag, what it names not scanned through it ({refs} ref(s) name it, e.g. {ref_name}): {message}"
            ),
        }
    }
}

/// One skipped object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub oid: ObjectId,
    pub reason: SkipReason,
}

/// Totals of a scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Commits selected.
    pub commits: u64,
    /// Tree diffs run (one per root commit, one per commit-parent pair
    /// diffed: a merge whose first parent's line is all older than it is
    /// diffed against that parent only).
    pub diffs: u64,
    /// Introductions (candidates) emitted by tree diff.
    pub candidates: u64,
    /// Unique blob ids.
    pub unique_blobs: u64,
    /// Blobs delivered to sinks, and their bytes.
    pub blobs_delivered: u64,
    pub bytes_delivered: u64,
    pub skipped: u64,
    /// Gitlink (submodule) entries tree diff passed over where a blob would
    /// have been introduced: they name commits of another repository.
    pub gitlinks: u64,
}

/// What a scan did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: Status,
    /// Skipped objects, sorted by id then reason text.
    pub skipped: Vec<Skipped>,
    pub counts: Counts,
    pub stages: Stages,
    /// What the scan worked around without losing anything (see
    /// [`Warning`]), each once.
    pub warnings: Vec<Warning>,
    /// Whole-scan wall time.
    pub wall_ns: u64,
}

impl Outcome {
    /// Flat `stage.field` metric names and values (see `docs/metrics.md`),
    /// plus `scan.*` totals.
    pub fn metrics(&self) -> Vec<(String, u64)> {
        let mut v = self.stages.metrics();
        let c = &self.counts;
        for (name, value) in [
            ("scan.wall_ns", self.wall_ns),
            ("scan.commits", c.commits),
            ("scan.diffs", c.diffs),
            ("scan.candidates", c.candidates),
            ("scan.unique_blobs", c.unique_blobs),
            ("scan.blobs_delivered", c.blobs_delivered),
            ("scan.bytes_delivered", c.bytes_delivered),
            ("scan.skipped", c.skipped),
            ("scan.gitlinks", c.gitlinks),
        ] {
            v.push((name.to_owned(), value));
        }
        v
    }
}

/// Scans the repository: every unique blob of the selected history goes,
/// once, to one of the sinks made by `factory` (one per worker). Returns the
/// outcome and the sinks (index = worker).
pub fn scan<F: SinkFactory>(opts: &Options, factory: &F) -> Result<(Outcome, Vec<F::Sink>)> {
    let start = std::time::Instant::now();
    if opts.threads == 0 {
        return Err(Error::Options("threads must be at least 1".into()));
    }
    let mut stages = stage::Running::default();
    let mut damage;
    let counter = opts.alloc_counter;
    let mut counts = Counts::default();

    // Repository access and commit selection.
    let timer = StageTimer::start(counter);
    let mut repo = repo::Repo::open(&opts.repo)?;
    let mut selected = repo.select(&opts.selection, &mut stages.repo)?;
    repo.release_walk_caches();
    timer.finish(&mut stages.repo);
    counts.commits = selected.commits.len() as u64;

    // Tree diff, feeding dedupe as it goes.
    let timer = StageTimer::start(counter);
    let spill_dir = opts.spill_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut dd = dedupe::Dedupe::new(opts.dedupe_budget, spill_dir, opts.table_hashing);
    // PERF: newest commits first. git stores the newest version of a tree
    // whole and older ones as deltas against it, so walking history
    // backwards finds each tree's delta base in the pack cache; oldest-first
    // re-inflated whole delta chains (same repository as in `Repo::open`:
    // 440 ms oldest-first, 213 ms newest-first, both with the pack cache).
    // Dedupe does not care about the order.
    let mut offer = |oid: &ObjectId, rank, parent, path: &[u8], change| {
        dd.offer(oid, rank, parent, path, change)
    };
    let n = selected.commits.len();
    // Parallel once there is more than one batch of commits (16 at least).
    if opts.threads > 1 && n > 16 {
        let t = tree_diff::diff_parallel(
            &repo,
            &selected,
            opts.threads,
            opts.tree_cache_budget,
            &mut offer,
        )?;
        counts.diffs = t.diffs;
        counts.gitlinks = t.gitlinks;
        stages.tree_diff = t.metrics;
        damage = t.damage;
        if !selected.ref_tips.is_empty() {
            let budget = opts.tree_cache_budget / opts.threads;
            let mut t = tree_diff::on_worker_stack(&repo, budget, |td, src| {
                tree_diff::walk_ref_tips(td, src, &selected, &mut offer).map(|()| 0)
            })?;
            counts.gitlinks += t.gitlinks;
            stages.tree_diff.add(&t.metrics);
            damage.append(&mut t.damage);
        }
    } else {
        let t = tree_diff::on_worker_stack(&repo, opts.tree_cache_budget, |td, src| {
            let diffs = tree_diff::diff_commits(td, src, &selected, 0..n, &mut offer)?;
            tree_diff::walk_ref_tips(td, src, &selected, &mut offer)?;
            Ok(diffs)
        })?;
        counts.diffs = t.diffs;
        counts.gitlinks = t.gitlinks;
        stages.tree_diff = t.metrics;
        damage = t.damage;
    }
    stages.tree_diff.items_in = counts.diffs;
    selected.release_parent_trees();
    timer.finish(&mut stages.tree_diff);
    counts.candidates = stages.tree_diff.items_out;

    // Dedupe: reduce (and merge spilled runs).
    let (uniques, paths, dd_metrics) = dd.finish(StageTimer::start(counter))?;
    stages.dedupe = dd_metrics;
    counts.unique_blobs = uniques.len() as u64;

    // Mapping and plan.
    let timer = StageTimer::start(counter);
    let mapping = mapping::map(&repo.packs, &uniques, &mut stages.mapping)?;
    timer.finish(&mut stages.mapping);
    let timer = StageTimer::start(counter);
    let plan = plan::plan(
        &repo.packs,
        &mapping,
        &uniques,
        opts.threads,
        opts.table_hashing,
        &mut stages.plan,
    );
    timer.finish(&mut stages.plan);
    // Exec reads the plan, not the locations.
    drop(mapping);

    // Exec.
    let timer = StageTimer::start(counter);
    let shared = pack_exec::Shared {
        plan: &plan,
        packs: &repo.packs,
        uniques: &uniques,
        selected: &selected,
        paths: &paths,
        max_blob_size: opts.max_blob_size,
        base_cache_budget: opts.base_cache_budget,
    };
    let mut sinks: Vec<F::Sink> = (0..opts.threads).map(|w| factory.make(w)).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Vec<pack_exec::WorkerOut> = if opts.threads == 1 {
        sinks
            .iter_mut()
            .map(|s| pack_exec::worker(&shared, 0, s, &next, &stop))
            .collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = sinks
                .iter_mut()
                .enumerate()
                .map(|(w, s)| {
                    let (shared, next, stop) = (&shared, &next, &stop);
                    scope.spawn(move || pack_exec::worker(shared, w, s, next, stop))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| pack_exec::WorkerOut {
                        error: Some(Error::WorkerPanicked { stage: "exec" }),
                        ..Default::default()
                    })
                })
                .collect()
        })
    };
    let mut skipped = plan.skipped.clone();
    for r in results {
        if let Some(e) = r.error {
            return Err(e);
        }
        stages.exec.add(&r.metrics);
        skipped.extend(r.skipped);
    }
    timer.finish(&mut stages.exec);
    counts.blobs_delivered = stages.exec.items_out;
    counts.bytes_delivered = stages.exec.bytes_out;
    skipped.append(&mut selected.damaged);
    skipped.extend(selected.shallow_roots.iter().map(|&oid| Skipped {
        oid,
        reason: SkipReason::ShallowBoundary,
    }));
    skipped.extend(
        tree_diff::merge_damage(damage)
            .into_iter()
            .map(|d| Skipped {
                oid: d.tree,
                reason: SkipReason::DamagedTree {
                    seen_in: d.first_seen_in,
                    path: String::from_utf8_lossy(&d.path).into_owned(),
                    diffs: d.diffs,
                    message: d.message,
                },
            }),
    );
    skipped.sort_by(|a, b| {
        a.oid
            .cmp(&b.oid)
            .then_with(|| a.reason.to_string().cmp(&b.reason.to_string()))
    });
    counts.skipped = skipped.len() as u64;
    let status = if skipped.is_empty() {
        Status::Complete
    } else {
        Status::Partial
    };
    let wall_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    Ok((
        Outcome {
            status,
            skipped,
            counts,
            stages: stages.finish(),
            warnings: repo.warnings.clone(),
            wall_ns,
        },
        sinks,
    ))
}
