//! The `harness serve` protocol: the typed messages that cross the process
//! boundary between an A/B compare's driver and each side's resident
//! measuring process, one JSON line each.
//!
//! The driver writes a [`Request`] per line and reads exactly one
//! [`Response`] line back. [`PROTOCOL`] changes whenever a message's
//! meaning changes; the driver refuses a server that speaks another.

use crate::counter_source::CounterSource;
use crate::environment::Environment;
use crate::results::Iteration;
use crate::workload::WorkloadId;
use serde::{Deserialize, Serialize};

/// The protocol version this build speaks.
pub const PROTOCOL: u32 = 1;

/// One line from the driver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Who are you, and what did you load?
    Hello,
    /// Scan `stratum` once and report the sample; `index` names it in errors.
    Measure {
        stratum: WorkloadId,
        warmup: bool,
        index: usize,
    },
}

/// What a loaded corpus is, so the driver can check both sides scan the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    pub stratum: WorkloadId,
    pub head: String,
    pub spec_key: String,
    pub selection: String,
}

/// The answer to [`Request::Hello`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub harness_version: String,
    pub environment: Environment,
    pub counter_source: CounterSource,
    pub tsc_hz: Option<f64>,
    pub corpora: Vec<CorpusInfo>,
}

/// One line from the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Hello(Box<Hello>),
    Sample(Box<Sample>),
    /// The request failed; the session stays usable unless it says so.
    Error {
        message: String,
    },
}

/// One measured scan: the iteration's record plus what it delivered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub iteration: Iteration,
    pub bytes: u64,
    pub blobs: u64,
    pub findings: u64,
    /// SHA-256 over the findings in ground-truth form, sorted: equal digests
    /// mean equal findings (rule, blob, commit, path, position, secret hash).
    pub findings_digest: String,
    /// How the findings differ from the ground truth; `None` when exact.
    pub truth_diff: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_one_json_line() {
        for r in [
            Request::Hello,
            Request::Measure {
                stratum: crate::Stratum::Medium.into(),
                warmup: true,
                index: 3,
            },
        ] {
            let text = serde_json::to_string(&r).unwrap();
            assert!(!text.contains('\n'));
            assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
        }
        assert_eq!(
            serde_json::to_string(&Request::Measure {
                stratum: crate::Stratum::Small.into(),
                warmup: false,
                index: 0
            })
            .unwrap(),
            r#"{"op":"measure","stratum":"small","warmup":false,"index":0}"#
        );
    }
}
