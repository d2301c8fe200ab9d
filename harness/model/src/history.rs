//! main's history as series: what the history store returns and the trend
//! page draws. A [`Series`] is one workload × metric (× stage) on one
//! machine with one counter source, its [`SeriesPoint`]s in commit order;
//! [`Detection`] is a change point found in it, named by the commits it
//! falls between.

use crate::counter_source::CounterSource;
use serde::{Deserialize, Serialize};

/// What a series measures, and where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    /// A stratum (`medium`), or a microbenchmark id (`spill_merge/runs_16`).
    pub workload: String,
    /// A metric name (`cpu_ns`, `instructions`, …).
    pub metric: String,
    /// The pipeline stage, for per-stage figures.
    pub stage: Option<String>,
    /// The machine fingerprint ([`crate::Environment::machine`]).
    pub machine: String,
    pub counter_source: CounterSource,
}

impl SeriesKey {
    /// `medium cpu_ns`, `large exec cycles_per_byte`.
    pub fn label(&self) -> String {
        match &self.stage {
            Some(stage) => format!("{} {stage} {}", self.workload, self.metric),
            None => format!("{} {}", self.workload, self.metric),
        }
    }
}

/// One run's figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub commit: Option<String>,
    /// Committer time, seconds since the epoch, where git knew the commit.
    pub commit_time: Option<i64>,
    /// When the run was made (RFC 3339).
    pub created: String,
    pub branch: Option<String>,
    /// Whether the run measured a working tree with uncommitted changes.
    pub dirty: bool,
    pub median: f64,
    /// The median's interval (equal to it for deterministic figures).
    pub low: f64,
    pub high: f64,
    pub n: usize,
}

/// One series, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub key: SeriesKey,
    pub unit: String,
    /// Exact figures (instruction counts, allocations): compared by steps.
    pub deterministic: bool,
    pub points: Vec<SeriesPoint>,
}

/// A change point, as `harness history detect` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub key: SeriesKey,
    /// Index into the series' points of the first run at the new level.
    pub index: usize,
    /// The last run before and the first run after the shift.
    pub before: SeriesPoint,
    pub after: SeriesPoint,
    /// New level's median over the old level's.
    pub ratio: f64,
    pub interval: Option<(f64, f64)>,
    pub p_value: Option<f64>,
}
