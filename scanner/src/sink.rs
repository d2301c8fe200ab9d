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
    /// The path did not exist in the parent (or the commit is a root commit).
    Added,
    /// The path existed in the parent with different content.
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

/// The canonical context of a unique blob: the first introduction under the
/// documented total order (see `docs/metrics.md`, "canonical context").
#[derive(Clone, Copy, Debug)]
pub struct BlobContext<'a> {
    pub oid: &'a ObjectId,
    pub commit: &'a ObjectId,
    /// Full path from the repository root, `/`-separated, as stored in git.
    pub path: &'a [u8],
    pub change: ChangeKind,
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
