//! The wall clock, read in one place: the `created` stamp of every results
//! file and compare (the model formats it, [`harness_model::results::rfc3339`]).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as RFC 3339 UTC (second resolution).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    harness_model::results::rfc3339(secs)
}
