//! The results file: one JSON document per harness run, versioned.
//!
//! Written to `results/runs/<UTC timestamp>-<short sha>.json` and described
//! in `docs/results-schema.md`. A file holds the environment fingerprint, the
//! run's configuration, and for each stratum the raw per-iteration records
//! plus, per metric and per stage, the samples and their [`Summary`].
//! [`read_run`] checks the schema's major version before anything else and
//! refuses other majors with an error naming the file and both versions;
//! minor versions only add fields, which older readers ignore (1.1 added
//! the optional `micro` results, 1.2 the iterations' peak heap and sampled
//! peak `RssAnon`/`RssFile`, 1.3 the optional exact end-to-end figures
//! of one callgrind scan per stratum, [`crate::exact::ExactRun`]; see
//! [`crate::document`]).
//! [`rfc3339`] formats the `created` stamp from seconds the caller read
//! from its clock (the model reads none).

use crate::contamination::{Baseline, Noise, Thresholds, Verdict};
use crate::counter_source::CounterSource;
use crate::document::{self, DocumentError, SchemaVersion};
use crate::environment::Environment;
use crate::exact::ExactRun;
use crate::micro::MicroResult;
use crate::summary::Summary;
use crate::workload::WorkloadId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const SCHEMA_MAJOR: u32 = 1;
pub const SCHEMA_MINOR: u32 = 3;

/// The schema version this harness writes.
pub fn current_schema() -> SchemaVersion {
    SchemaVersion {
        major: SCHEMA_MAJOR,
        minor: SCHEMA_MINOR,
    }
}

crate::closed_enum! {
    /// End-to-end metrics recorded per iteration.
    pub enum Metric ("metric") {
        WallNs = "wall_ns",
        CpuNs = "cpu_ns",
        Cycles = "cycles",
        Instructions = "instructions",
        CyclesPerByte = "cycles_per_byte",
        Allocations = "allocations",
        AllocatedBytes = "allocated_bytes",
        PeakRssBytes = "peak_rss_bytes",
        PeakHeapBytes = "peak_heap_bytes",
        RssAnonPeakBytes = "rss_anon_peak_bytes",
        RssFilePeakBytes = "rss_file_peak_bytes",
    }
}

impl Metric {
    /// Whether repeated runs on the same input give the same value (compared
    /// exactly rather than statistically).
    pub fn deterministic(self) -> bool {
        match self {
            Metric::Allocations | Metric::AllocatedBytes => true,
            Metric::WallNs
            | Metric::CpuNs
            | Metric::Cycles
            | Metric::Instructions
            | Metric::CyclesPerByte
            | Metric::PeakRssBytes
            | Metric::PeakHeapBytes
            | Metric::RssAnonPeakBytes
            | Metric::RssFilePeakBytes => false,
        }
    }

    /// Whether the metric measures how long the work took (time, cycles,
    /// instructions from a PMU): what a stratum's exact instruction counts
    /// and estimated cycles speak to, and so what they can settle.
    pub fn timing(self) -> bool {
        match self {
            Metric::WallNs
            | Metric::CpuNs
            | Metric::Cycles
            | Metric::Instructions
            | Metric::CyclesPerByte => true,
            Metric::Allocations
            | Metric::AllocatedBytes
            | Metric::PeakRssBytes
            | Metric::PeakHeapBytes
            | Metric::RssAnonPeakBytes
            | Metric::RssFilePeakBytes => false,
        }
    }

    /// Unit of the metric; cycle metrics depend on the counter source.
    pub fn unit(self, source: CounterSource) -> String {
        match self {
            Metric::WallNs | Metric::CpuNs => "ns".into(),
            Metric::Cycles => source.unit().into(),
            Metric::Instructions => "instructions".into(),
            Metric::CyclesPerByte => format!("{} per byte", source.unit()),
            Metric::Allocations => "allocations".into(),
            Metric::AllocatedBytes
            | Metric::PeakRssBytes
            | Metric::PeakHeapBytes
            | Metric::RssAnonPeakBytes
            | Metric::RssFilePeakBytes => "bytes".into(),
        }
    }
}

impl Metric {
    /// This metric's value in one iteration, `bytes` being the blob bytes the
    /// scan decoded and scanned (the cycles/byte divisor); `None` where the
    /// iteration did not record it (no PMU, no counting allocator).
    pub fn value(self, it: &Iteration, bytes: u64) -> Option<f64> {
        match self {
            Metric::WallNs => Some(it.wall_ns as f64),
            Metric::CpuNs => Some(it.cpu_ns as f64),
            Metric::Cycles => Some(it.cycles as f64),
            Metric::Instructions => it.instructions.map(|x| x as f64),
            Metric::CyclesPerByte => Some(it.cycles as f64 / bytes.max(1) as f64),
            Metric::Allocations => it.allocations.map(|x| x as f64),
            Metric::AllocatedBytes => it.allocated_bytes.map(|x| x as f64),
            Metric::PeakRssBytes => it.peak_rss_bytes.map(|x| x as f64),
            Metric::PeakHeapBytes => it.peak_heap_bytes.map(|x| x as f64),
            Metric::RssAnonPeakBytes => it.rss_anon_peak_bytes.map(|x| x as f64),
            Metric::RssFilePeakBytes => it.rss_file_peak_bytes.map(|x| x as f64),
        }
    }
}

/// Converts a stage's wall time into cycles per scanned byte: reference
/// cycles from the TSC when its rate is known (the only source that can
/// split one scan by stage), else monotonic nanoseconds, so stages add up to
/// the end-to-end figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageClock {
    pub source: CounterSource,
    cycles_per_ns: f64,
}

impl StageClock {
    pub fn new(tsc_hz: Option<f64>) -> StageClock {
        match tsc_hz {
            Some(hz) => StageClock {
                source: CounterSource::Tsc,
                cycles_per_ns: hz / 1e9,
            },
            None => StageClock {
                source: CounterSource::Monotonic,
                cycles_per_ns: 1.0,
            },
        }
    }

    /// Cycles per byte of a stage that took `wall_ns` over `bytes` scanned bytes.
    pub fn per_byte(self, wall_ns: u64, bytes: u64) -> f64 {
        wall_ns as f64 * self.cycles_per_ns / bytes.max(1) as f64
    }
}

/// What one pipeline stage did in one iteration (from the scanner's Outcome).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSample {
    pub stage: String,
    pub wall_ns: u64,
    pub items_in: u64,
    pub items_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// One measured iteration, as recorded (the raw data every summary comes from).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iteration {
    pub wall_ns: u64,
    pub cpu_ns: u64,
    pub cycles: u64,
    pub instructions: Option<u64>,
    pub allocations: Option<u64>,
    pub allocated_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    /// Live heap bytes at their high-water mark during the run (the
    /// counting allocator's; the session's resident state included). Since
    /// schema 1.2; older files read as `None`.
    #[serde(default)]
    pub peak_heap_bytes: Option<u64>,
    /// The largest `RssAnon` (anonymous resident memory) sampled during the
    /// run. Since schema 1.2.
    #[serde(default)]
    pub rss_anon_peak_bytes: Option<u64>,
    /// The largest `RssFile` (file-backed resident pages: the mapped packs,
    /// which are the page cache's) sampled during the run. Since schema 1.2.
    #[serde(default)]
    pub rss_file_peak_bytes: Option<u64>,
    pub noise: Noise,
    pub verdict: Verdict,
    /// Whether the summaries include this iteration: clean ones, and
    /// contaminated ones kept because the re-run budget was spent.
    pub counted: bool,
    pub stages: Vec<StageSample>,
}

/// Samples and summary of one metric over the clean iterations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    pub metric: Metric,
    pub unit: String,
    /// Counter source for cycle metrics; `None` for others.
    pub source: Option<CounterSource>,
    pub samples: Vec<f64>,
    pub summary: Summary,
}

/// Per-stage figures over the clean iterations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSeries {
    pub stage: String,
    /// Bytes the stage processed per iteration (its cycles/byte divisor).
    pub bytes: u64,
    pub wall_ns: Summary,
    /// Reference cycles per byte (stage wall time × TSC rate ÷ bytes); the
    /// TSC is the only source that can split one scan by stage.
    pub cycles_per_byte: Option<Summary>,
    pub cycles_source: CounterSource,
}

/// Results for one stratum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratumRun {
    pub stratum: WorkloadId,
    pub corpus_head: String,
    pub corpus_key: String,
    pub selection: String,
    /// Blob bytes the scan decoded and scanned (end-to-end cycles/byte divisor).
    pub bytes: u64,
    pub blobs: u64,
    pub findings: u64,
    /// Iterations re-run because contamination was detected.
    pub reruns: usize,
    /// The workload's own pressure and switch rate (median of its warm-ups),
    /// which contamination is judged against.
    pub noise_baseline: Baseline,
    /// Every measured iteration, contaminated ones included (marked).
    pub iterations: Vec<Iteration>,
    pub metrics: Vec<MetricSeries>,
    pub stages: Vec<StageSeries>,
}

/// How the run was configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub iterations: usize,
    pub warmup: usize,
    pub threads: usize,
    pub max_reruns: usize,
    pub thresholds: Thresholds,
    pub bootstrap_resamples: usize,
    pub bootstrap_seed: u64,
}

/// A whole results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    pub schema: SchemaVersion,
    /// UTC, RFC 3339.
    pub created: String,
    pub environment: Environment,
    pub config: RunConfig,
    pub strata: Vec<StratumRun>,
    /// Stage microbenchmark results (schema 1.1; absent in 1.0 files and
    /// in runs without them), see `docs/benchmarking.md`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub micro: Vec<MicroResult>,
    /// Exact end-to-end figures, one callgrind scan per stratum (schema
    /// 1.3; absent in older files and in runs that did not ask for them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exact: Vec<ExactRun>,
}

/// Why a results file could not be read or written.
pub type ResultsError = DocumentError;

/// Document kind named in errors.
const KIND: &str = "results";

/// Parses a results document, checking the major version first.
pub fn parse_run(text: &str, path: &Path) -> Result<RunFile, ResultsError> {
    document::parse(text, path, KIND, SCHEMA_MAJOR)
}

pub fn read_run(path: &Path) -> Result<RunFile, ResultsError> {
    document::read(path, KIND, SCHEMA_MAJOR)
}

pub fn write_run(run: &RunFile, path: &Path) -> Result<(), ResultsError> {
    document::write(run, path, KIND)
}

/// RFC 3339 UTC timestamp for seconds since the Unix epoch (proleptic
/// Gregorian, Howard Hinnant's days-to-civil algorithm).
pub fn rfc3339(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `results/runs/<timestamp>-<short sha>.json` under `root`.
pub fn run_path(root: &Path, created: &str, sha: Option<&str>) -> PathBuf {
    let stamp: String = created
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let short = sha.map_or("nogit", |s| &s[..s.len().min(10)]);
    root.join("results")
        .join("runs")
        .join(format!("{stamp}-{short}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_600_000_000), "2020-09-13T12:26:40Z");
    }

    #[test]
    fn other_major_versions_are_refused() {
        let p = Path::new("runs/x.json");
        let err = parse_run(r#"{"schema":{"major":2,"minor":0}}"#, p)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("runs/x.json") && err.contains("2.0") && err.contains("schema 1.x"),
            "{err}"
        );
        let err = parse_run("{}", p).unwrap_err().to_string();
        assert!(err.contains("not a results file"), "{err}");
    }

    #[test]
    fn every_metric_has_a_unit() {
        for m in Metric::all() {
            for s in CounterSource::all() {
                assert!(!m.unit(s).is_empty());
            }
        }
    }
}
