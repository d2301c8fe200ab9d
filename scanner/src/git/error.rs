//! Typed errors of the git pipeline.
//!
//! Every variant names the input it is about (repository path, ref name,
//! object id, pack/index file, spill directory) so that a failure is
//! actionable without a backtrace. Problems confined to single blobs (missing
//! object, corrupt pack entry, oversize blob) are not errors: they make the
//! scan `Partial` and are listed in [`crate::git::Outcome::skipped`].

use gix::ObjectId;
use std::path::PathBuf;

/// Why a scan could not run (or had to stop).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: not a git repository ({message})", path = path.display())]
    NotARepository { path: PathBuf, message: String },
    /// A repository format the scanner cannot read yet (SHA-256 object
    /// ids, the reftable ref store): `setting` is the configuration that
    /// says so.
    #[error("{path}: {feature} not supported yet ({setting})", path = path.display())]
    Unsupported {
        path: PathBuf,
        feature: &'static str,
        setting: &'static str,
    },
    #[error("{path}: empty repository (no refs, nothing to scan)", path = path.display())]
    EmptyRepository { path: PathBuf },
    #[error("{path}: HEAD is unborn ({target} has no commits yet)", path = path.display())]
    UnbornHead { path: PathBuf, target: String },
    #[error("{path}: unknown revision '{name}'", path = path.display())]
    UnknownRevision { path: PathBuf, name: String },
    #[error("{path}: revision '{name}' does not point to a commit", path = path.display())]
    NotACommit { path: PathBuf, name: String },
    #[error("{path}: malformed range '{spec}' (expected A..B with both sides non-empty)", path = path.display())]
    MalformedRange { path: PathBuf, spec: String },
    #[error("{path}: cannot read refs: {message}", path = path.display())]
    Refs { path: PathBuf, message: String },
    #[error("{path}: {what} {oid}: {message}", path = path.display())]
    Object {
        path: PathBuf,
        what: &'static str,
        oid: ObjectId,
        message: String,
    },
    /// A pack entry the scan cannot do without (a tree) could not be
    /// decoded; `source` says why, at which offset.
    #[error("{pack}: {what} {oid}: {source}", pack = pack.display())]
    Decode {
        pack: PathBuf,
        what: &'static str,
        oid: ObjectId,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{path}: corrupt or unreadable index: {message}", path = path.display())]
    Index { path: PathBuf, message: String },
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("spill file in {dir}: {source}", dir = dir.display())]
    Spill {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid option: {0}")]
    Options(String),
    #[error("a {stage} worker thread panicked")]
    WorkerPanicked { stage: &'static str },
    #[error("sink of worker {worker} failed: {source}")]
    Sink {
        worker: usize,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
