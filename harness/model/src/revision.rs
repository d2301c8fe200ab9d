//! [`Revision`]: one build the harness measured, as the user named it and
//! as it resolved. Compares, profiles and calibrations all name their
//! builds with it, so it sits below each of them.

use serde::{Deserialize, Serialize};

/// One side of a compare (or a profiled build), as the user named it and
/// as it resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// As given on the command line (`main`, `HEAD~1`, a path...).
    pub rev: String,
    /// The full commit id it resolved to.
    pub commit: String,
    /// Whether the build came from a working tree with uncommitted changes.
    pub dirty: bool,
}
