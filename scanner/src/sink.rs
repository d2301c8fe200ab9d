//! The hand-off between the git pipeline and whatever consumes blob bytes.
//!
//! The pipeline decodes each unique blob once and hands its bytes, together
//! with the blob's canonical context, to a [`BlobSink`]. Exec runs on several
//! worker threads; each worker owns its own sink, made by a [`SinkFactory`], so
//! sinks need no locking in the hot loop. The caller gets the sinks back when
//! the scan ends and merges what they collected.
//!
//! Invariant: a blob is delivered exactly once per scan, whatever the thread
//! count; the order in which blobs arrive is unspecified (pack offset order
//! within a worker), so consumers that need a stable order sort afterwards.

use gix::ObjectId;

/// How the canonical commit introduced the blob at its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// The path did not exist in the parent (or the commit is a root commit;
    /// or the blob is reached only through a ref, see [`IntroducedBy::Ref`]).
    Added,
    /// The path existed in the parent with different content, mode or type
    /// (git's `M` and `T`, e.g. a symlink replaced by a regular file).
    Modified,
}

impl ChangeKind {
    /// Every variant, for exhaustive iteration in tests and reports.
    pub fn all() -> [ChangeKind; 2] {
        [ChangeKind::Added, ChangeKind::Modified]
    }

    /// Stable lower-case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
        }
    }
}

/// What introduced a blob in its canonical context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntroducedBy<'a> {
    /// A commit of the selection.
    Commit(&'a ObjectId),
    /// A ref (`--all` only) naming the blob, or a tree holding it, directly
    /// or through tags; only when no selected commit introduces the blob.
    /// Full ref name as stored, e.g. `refs/tags/maintainer-key`.
    Ref(&'a [u8]),
}

/// The canonical context of a unique blob: the first introduction under the
/// documented total order (see `docs/metrics.md`, "canonical context").
#[derive(Clone, Copy, Debug)]
pub struct BlobContext<'a> {
    pub oid: &'a ObjectId,
    pub by: IntroducedBy<'a>,
    /// Full path from the root of the commit's tree (or of the tree the ref
    /// names; empty when the ref names the blob), `/`-separated, as stored.
    pub path: &'a [u8],
    pub change: ChangeKind,
}

impl BlobContext<'_> {
    /// The introducing commit; `None` when a ref introduces the blob.
    pub fn commit(&self) -> Option<&ObjectId> {
        match self.by {
            IntroducedBy::Commit(c) => Some(c),
            IntroducedBy::Ref(_) => None,
        }
    }

    /// The introducing ref's full name; `None` when a commit introduces it.
    pub fn ref_name(&self) -> Option<&[u8]> {
        match self.by {
            IntroducedBy::Commit(_) => None,
            IntroducedBy::Ref(name) => Some(name),
        }
    }
}

/// Receives decoded blobs. One instance per worker thread.
pub trait BlobSink {
    /// Error type a sink may fail with; the pipeline stops and reports it.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Called once per unique blob with its full decoded bytes.
    fn blob(&mut self, ctx: &BlobContext<'_>, bytes: &[u8]) -> Result<(), Self::Error>;
}

/// Makes one sink per worker thread.
pub trait SinkFactory: Sync {
    type Sink: BlobSink + Send;

    /// `worker` is the worker's index, `0..threads`.
    fn make(&self, worker: usize) -> Self::Sink;
}
