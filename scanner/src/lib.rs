//! scanner: a fast git-history secret scanner, as a library.
//!
//! Two halves meet at one interface:
//! - [`git`] walks a commit selection, tree-diffs each commit against its
//!   parents, dedupes the introduced blobs by OID in bounded memory, maps them
//!   to pack offsets and decodes them in offset order, handing each unique blob
//!   once to a caller's [`sink::BlobSink`], and returns an `Outcome` with
//!   per-stage metrics.
//! - [`detect`] turns bytes into findings: rules, keyword prefilter, regex
//!   confirmation, entropy gate, findings and their output formats.
//!
//! Data flows one way: git → sink → detect → findings. Neither half reaches
//! into the other's internals.

pub mod detect;
pub mod git;
pub mod sink;

/// The stages' entry points, for this crate's own stage microbenchmarks and
/// allocation guards (feature `internals`, which only the crate's
/// dev-dependency on itself enables). Not an API: the stages are
/// `pub(crate)` so that callers go through [`git::scan`], and everything
/// here may change with them.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::git::dedupe::{Dedupe, ENTRY_COST, Paths, Unique};
    pub use crate::git::mapping::{Location, Mapping, map};
    pub use crate::git::metrics::{StageMetrics, StageTimer};
    pub use crate::git::odb::{
        ChainWalk, Decoder, Limits, PackFile, Packs, PlannedBases, RecentEntries, apply_delta,
        entry_at, inflate_exact, inflate_loose,
    };
    pub use crate::git::pack_exec::{Shared, WorkerOut, worker};
    pub use crate::git::plan::{Chunk, Plan, Step, plan};
    pub use crate::git::repo::{CommitData, Repo, Selected, parse_commit};
    pub use crate::git::tree_diff::{OdbTrees, PackTrees, TreeDiff, TreeSource, diff_commits};
}
