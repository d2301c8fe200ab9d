//! What a compare takes in ([`CompareInput`], from the driver) and what it
//! writes out ([`CompareFile`], `compare.json`, versioned).
//!
//! The input holds raw rounds only: per stratum, each round's base and head
//! [`Iteration`] in the order they ran. The output holds everything a reader
//! needs without re-running statistics: per stratum and metric both sides'
//! summaries, the per-pair ratios, the median ratio and its interval, raw and
//! adjusted p-values, the minimum detectable change and the verdict; the
//! per-stage comparisons; the raw per-round series (for drift plots); the
//! microbenchmark comparisons; the findings check; and the outcome with its
//! exit code. [`parse_compare`] checks the schema's major version first and
//! refuses other majors; minor versions only add fields.

use crate::calibration::CalibrationSummary;
use crate::counter_source::CounterSource;
use crate::document::{self, DocumentError, SchemaVersion};
use crate::environment::Environment;
pub use crate::exact::{ExactFigures, ExactMetric, ExactSource, ExactStage};
use crate::gate::Gate;
use crate::profile::PipelineStage;
use crate::results::{Iteration, Metric};
pub use crate::revision::Revision;
use crate::stratum::Stratum;
use crate::summary::{Interval, Summary};
use crate::verdict::{GateOutcome, Verdict};
use crate::workload::WorkloadId;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const COMPARE_SCHEMA_MAJOR: u32 = 1;
pub const COMPARE_SCHEMA_MINOR: u32 = 3;

/// The schema version written by this harness.
pub fn compare_schema() -> SchemaVersion {
    SchemaVersion {
        major: COMPARE_SCHEMA_MAJOR,
        minor: COMPARE_SCHEMA_MINOR,
    }
}

/// One ABBA round: one base and one head iteration, back to back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Round {
    pub index: usize,
    /// The process pair it ran in ([`ProcessPair::index`]; 0 in inputs
    /// written before replication).
    #[serde(default)]
    pub process: usize,
    /// Whether base ran first in this round.
    pub base_first: bool,
    pub base: Iteration,
    pub head: Iteration,
}

/// The rounds of one stratum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratumPairs {
    pub stratum: WorkloadId,
    /// Blob bytes one scan decodes and scans (the cycles/byte divisor).
    pub bytes: u64,
    pub rounds: Vec<Round>,
}

/// One process pair of a compare: two fresh `serve` processes and what was
/// randomized for them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessPair {
    pub index: usize,
    /// Layout variant both sides ran (0: the plain build, k: relinked with
    /// the k-th `--shuffle-sections` seed).
    pub layout: usize,
    /// Bytes of padding in both processes' environment (moves the stack).
    pub env_pad: usize,
    /// Bytes each process allocates and keeps before loading (moves the heap).
    pub heap_offset: usize,
    /// Seconds from spawning the pair to its first measured round, warm-ups
    /// included (what one more process pair costs beyond its rounds).
    pub setup_seconds: f64,
}

/// Both sides' exact figures of one stratum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactPair {
    pub stratum: Stratum,
    pub source: ExactSource,
    pub base: ExactFigures,
    pub head: ExactFigures,
}

/// What both sides found, summarized by the driver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    pub base_digest: String,
    pub head_digest: String,
    pub base_count: u64,
    pub head_count: u64,
}

/// One deterministic microbenchmark figure on both sides (e.g. gungraun Ir).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MicroPair {
    pub id: String,
    pub metric: String,
    pub unit: String,
    pub base: f64,
    pub head: f64,
}

/// How the rounds were run (what the driver knows and the statistics do not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodInput {
    pub warmup_rounds: usize,
    pub threads: usize,
    /// Times rounds were added because a gated metric was inconclusive.
    pub extensions: usize,
    /// `--allow-findings-change`.
    pub allow_findings_change: bool,
}

/// Everything `harness_analysis::compare::analyze` needs; the driver builds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareInput {
    /// UTC, RFC 3339; an input so that the analysis stays pure.
    pub created: String,
    pub base: Revision,
    pub head: Revision,
    pub environment: Environment,
    pub method: MethodInput,
    pub findings: Findings,
    pub strata: Vec<StratumPairs>,
    pub micro: Vec<MicroPair>,
    /// The process pairs the rounds ran in (empty before replication: one).
    #[serde(default)]
    pub processes: Vec<ProcessPair>,
    /// Exact end-to-end figures per stratum (empty: none were made).
    #[serde(default)]
    pub exact: Vec<ExactPair>,
    /// The calibration of the machine the compare ran on, if it has one.
    #[serde(default)]
    pub calibration: Option<CalibrationSummary>,
}

crate::closed_enum! {
    /// Which side of a compare (and of each pair) a value came from.
    pub enum Side ("side") {
        Base = "base",
        Head = "head",
    }
}

crate::closed_enum! {
    /// The order of the two sides within rounds.
    pub enum RoundOrder ("round order") {
        /// Base first, then head first, alternating: ABBA ABBA...
        Abba = "ABBA",
    }
}

crate::closed_enum! {
    /// How a signed-rank p-value was computed.
    pub enum PMethod ("p-value method") {
        /// Exact null distribution (no ties, few enough pairs).
        Exact = "exact",
        /// Normal approximation with tie and continuity corrections.
        Normal = "normal",
        /// Two-level bootstrap (process pairs, then rounds within each):
        /// twice the share of resampled medians on the far side of 1.
        Bootstrap = "two-level bootstrap",
    }
}

/// How the compare was run, echoed into the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub order: RoundOrder,
    /// Most rounds counted in any stratum.
    pub rounds: usize,
    pub warmup_rounds: usize,
    pub extensions: usize,
    pub threads: usize,
    pub pinned_cores: Vec<usize>,
    pub counter_source: CounterSource,
    pub tsc_hz: Option<f64>,
    /// Paired tests corrected together (the Benjamini–Hochberg family).
    pub tests: usize,
    pub gate: Gate,
}

/// The findings check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingsCheck {
    pub identical: bool,
    pub base_count: u64,
    pub head_count: u64,
    pub base_digest: String,
    pub head_digest: String,
    pub allowed_to_change: bool,
}

/// The paired statistics of one comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedStats {
    /// `head / base` per counted round, in round order.
    pub ratios: Vec<f64>,
    pub median_ratio: f64,
    /// Bootstrap interval of the median ratio.
    pub ci: Interval,
    /// Wilcoxon signed-rank statistic on the log-ratios.
    pub w_plus: f64,
    pub p_method: PMethod,
    /// Two-sided p-value before correction.
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted over [`Method::tests`] tests.
    pub p_adjusted: f64,
    /// Half-width of `ci` (ratio units): the smallest change this run could
    /// have told apart from none.
    pub min_detectable_change: f64,
    /// Process pairs the ratios came from.
    #[serde(default = "one")]
    pub processes: usize,
    /// Share of the log-ratios' variance between process pairs (one-way
    /// random-effects estimate); `None` with one pair.
    #[serde(default)]
    pub between_process_share: Option<f64>,
}

fn one() -> usize {
    1
}

/// Why a stratum stayed inconclusive, and what would settle it at the
/// measured variance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Needed {
    /// The gated metric that decided it (the widest interval).
    pub metric: Metric,
    /// Half-width the interval would need (ratio units).
    pub target_half_width: f64,
    /// More process pairs, each with as many rounds as the compare's had.
    pub more_processes: usize,
    /// Or: more rounds in each existing pair; `None` when rounds alone
    /// cannot get there (the between-process variance dominates).
    pub more_rounds_per_process: Option<usize>,
    /// Estimated time of the `more_processes` route (setup and rounds).
    pub seconds: f64,
    /// Schema 1.3: the `[replication] layouts` the `more_processes` route
    /// needs when that is more than the gate's (past them a new pair
    /// repeats a layout variant and is no new draw of its effect); absent
    /// when the gate's layouts suffice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layouts_needed: Option<usize>,
}

/// Both sides of one compared quantity and the verdict on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub gated: bool,
    pub base: Summary,
    pub head: Summary,
    /// Head median over base median; `None` when the base median is 0.
    pub ratio_of_medians: Option<f64>,
    /// `None` where the medians are compared exactly: deterministic metrics,
    /// and stages that took no measurable time in some round (no ratio).
    pub paired: Option<PairedStats>,
    pub verdict: Verdict,
}

/// One end-to-end metric of one stratum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    pub metric: Metric,
    pub unit: String,
    /// Compared exactly (medians) rather than statistically.
    pub deterministic: bool,
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// Per-stage cycles per scanned byte of one stratum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageComparison {
    pub stage: String,
    /// Reference cycles (TSC) or monotonic nanoseconds.
    pub source: CounterSource,
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// One round as it ran, for drift plots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundPoint {
    pub index: usize,
    pub base_first: bool,
    /// Whether both iterations were clean (or kept) and so counted.
    pub counted: bool,
    pub base_wall_ns: u64,
    pub head_wall_ns: u64,
    pub base_cycles_per_byte: f64,
    pub head_cycles_per_byte: f64,
}

/// Everything compared for one stratum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StratumComparison {
    pub stratum: WorkloadId,
    pub bytes: u64,
    pub rounds: usize,
    /// Rounds whose two iterations both counted (the pairs analysed).
    pub rounds_counted: usize,
    pub metrics: Vec<MetricComparison>,
    /// Reported metrics some iteration did not record (no PMU for
    /// instructions, no counting allocator), not compared.
    pub metrics_not_compared: Vec<Metric>,
    pub stages: Vec<StageComparison>,
    /// Stages missing from some iteration of either side, not compared.
    pub stages_not_compared: Vec<String>,
    /// Largest minimum detectable change among the gated statistical metrics.
    pub min_detectable_change: Option<f64>,
    /// Process pairs its counted rounds came from.
    #[serde(default = "one")]
    pub processes: usize,
    /// Set when a gated metric is inconclusive.
    #[serde(default)]
    pub needed: Option<Needed>,
    /// Set when unchanged exact figures settled gated timing that stayed
    /// inconclusive at the round cap.
    #[serde(default)]
    pub settled: Option<Settlement>,
    /// Schema 1.3: gated timing metrics whose regression (or improvement)
    /// the exact totals did not corroborate: every total unchanged and the
    /// interval not wholly past the threshold, so the verdict is
    /// inconclusive instead (`[exact] corroborate`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncorroborated: Vec<Metric>,
    pub series: Vec<RoundPoint>,
}

impl StratumComparison {
    /// Whether unchanged exact figures settled `metric` (see [`Settlement`]).
    pub fn is_settled(&self, metric: Metric) -> bool {
        self.settled
            .as_ref()
            .is_some_and(|st| st.metrics.contains(&metric))
    }
}

/// Gated timing of one stratum left inconclusive at its round cap and
/// settled by the stratum's unchanged exact totals (the gate's `[exact]`
/// `settle`): these metrics keep their inconclusive verdict, but do not
/// make the compare inconclusive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    /// The settled metrics; each one's interval contains no change and is
    /// at most `settle_within` wide either side.
    pub metrics: Vec<Metric>,
    /// The exact totals that settled them, every one unchanged.
    pub by: Vec<SettlingFigure>,
}

/// One exact total behind a [`Settlement`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettlingFigure {
    pub metric: ExactMetric,
    /// `head / base`; `None` when base is 0 (and so is head).
    pub ratio: Option<f64>,
}

/// One exact end-to-end figure compared exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactComparison {
    pub stratum: Stratum,
    /// `None`: the whole scan.
    pub stage: Option<PipelineStage>,
    pub metric: ExactMetric,
    pub source: ExactSource,
    pub base: f64,
    pub head: f64,
    /// `head / base`; `None` when base is 0.
    pub ratio: Option<f64>,
    /// Totals gate (when the gate's `[exact]` says so); stages are shown.
    pub gated: bool,
    pub verdict: Verdict,
}

/// One microbenchmark figure compared exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MicroComparison {
    pub id: String,
    pub metric: String,
    pub unit: String,
    pub base: f64,
    pub head: f64,
    /// `head − base`.
    pub delta: f64,
    /// `head / base`; `None` when base is 0.
    pub ratio: Option<f64>,
    pub gated: bool,
    pub verdict: Verdict,
}

/// The whole `compare.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareFile {
    pub schema: SchemaVersion,
    pub created: String,
    pub base: Revision,
    pub head: Revision,
    pub environment: Environment,
    pub method: Method,
    pub findings: FindingsCheck,
    pub strata: Vec<StratumComparison>,
    pub micro: Vec<MicroComparison>,
    /// Exact end-to-end figures (empty: none were made).
    #[serde(default)]
    pub exact: Vec<ExactComparison>,
    /// Process pairs the compare ran.
    #[serde(default)]
    pub processes: Vec<ProcessPair>,
    /// The machine's calibration, when one matches its fingerprint.
    #[serde(default)]
    pub calibration: Option<CalibrationSummary>,
    pub outcome: GateOutcome,
    pub exit_code: i32,
}

/// Why a compare file could not be read or written.
pub type CompareFileError = DocumentError;

/// Document kind named in errors.
const KIND: &str = "compare";

/// Parses a compare document, checking the major version first.
pub fn parse_compare(text: &str, path: &Path) -> Result<CompareFile, CompareFileError> {
    document::parse(text, path, KIND, COMPARE_SCHEMA_MAJOR)
}

/// The document as [`write_compare`] stores it: pretty JSON, final newline.
pub fn to_json(file: &CompareFile) -> Result<String, serde_json::Error> {
    document::to_json(file)
}

pub fn read_compare(path: &Path) -> Result<CompareFile, CompareFileError> {
    document::read(path, KIND, COMPARE_SCHEMA_MAJOR)
}

pub fn write_compare(file: &CompareFile, path: &Path) -> Result<(), CompareFileError> {
    document::write(file, path, KIND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_compare_kind() {
        let p = Path::new("out/compare.json");
        let err = parse_compare(r#"{"schema":{"major":2,"minor":3}}"#, p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "out/compare.json: compare schema 2.3 is not readable by this harness (schema 1.x)"
        );
    }

    #[test]
    fn round_order_serializes_as_abba() {
        assert_eq!(
            serde_json::to_string(&RoundOrder::Abba).unwrap(),
            "\"ABBA\""
        );
        assert_eq!(RoundOrder::all()[0].as_str(), "ABBA");
    }
}
