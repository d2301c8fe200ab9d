//! `calibration.json`: what the gate measured about itself on one machine.
//!
//! A calibration runs, on the machine at hand, K compares of each kind of
//! [`Experiment`]: A/A (one build against itself), a layout no-op (one
//! commit against itself relinked in other link orders) and injected
//! slowdowns of known sizes (a harness-side knob that burns a fixed share
//! of each iteration's CPU time inside the measured region of the head
//! side). From their outcomes it states the false-alarm rates, the power
//! at each injected size, how often the intervals cover the pooled
//! estimate, and the minimum detectable change ([`CalibrationSummary`]).
//! The file is keyed by the environment fingerprint
//! ([`crate::Environment::machine`]); a compare on a machine with the same
//! fingerprint quotes its summary.

use crate::document::{self, DocumentError, SchemaVersion};
use crate::environment::Environment;
use crate::results::Metric;
use crate::revision::Revision;
use crate::summary::Interval;
use crate::verdict::{GateOutcome, Verdict};
use crate::workload::WorkloadId;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const CALIBRATION_SCHEMA_MAJOR: u32 = 1;
pub const CALIBRATION_SCHEMA_MINOR: u32 = 0;

pub fn calibration_schema() -> SchemaVersion {
    SchemaVersion {
        major: CALIBRATION_SCHEMA_MAJOR,
        minor: CALIBRATION_SCHEMA_MINOR,
    }
}

crate::closed_enum! {
    /// What one calibration experiment compares.
    pub enum ExperimentKind ("calibration experiment") {
        /// The same binaries on both sides.
        AA = "a/a",
        /// One commit on both sides, head relinked in other link orders.
        Layout = "layout no-op",
        /// The same binaries, head burning `injected` of each iteration's
        /// CPU time more inside the measured region.
        Injected = "injected slowdown",
    }
}

/// One gated metric of one stratum in one calibration compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationStratum {
    pub stratum: WorkloadId,
    pub metric: Metric,
    pub median_ratio: f64,
    pub ci: Interval,
    pub verdict: Verdict,
    pub min_detectable_change: f64,
    pub between_process_share: Option<f64>,
}

/// One compare of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationCompare {
    pub outcome: GateOutcome,
    pub strata: Vec<CalibrationStratum>,
    /// Strata whose gated timing unchanged exact figures settled (the
    /// gate's `[exact] settle`); empty when the compare had none.
    #[serde(default)]
    pub settled: Vec<WorkloadId>,
    /// Wall time of the compare (measuring only).
    pub seconds: f64,
}

/// K compares of one kind, and what they add up to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub kind: ExperimentKind,
    /// Injected share of CPU time (0 for A/A and layout).
    pub injected: f64,
    pub compares: Vec<CalibrationCompare>,
    /// Compares whose outcome was a regression.
    pub regressions: usize,
    pub inconclusive: usize,
    /// Compares that passed because exact figures settled timing left
    /// inconclusive: the timed gate alone would have called them
    /// inconclusive.
    #[serde(default)]
    pub settled: usize,
    /// Share of the per-stratum intervals that contain the pooled estimate
    /// of that stratum (the median of all the experiment's median ratios).
    pub coverage_of_pooled: f64,
    /// Share of the per-stratum intervals that contain the true ratio:
    /// 1 for A/A, `1 + injected` for injected slowdowns; `None` for the
    /// layout no-op, whose true effect is what is being measured.
    pub coverage_of_truth: Option<f64>,
}

/// The power of the gate at one injected size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerPoint {
    pub injected: f64,
    /// Share of the compares that reported a regression.
    pub rate: f64,
    pub compares: usize,
}

/// What a compare quotes about its machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSummary {
    /// [`Environment::machine`] of the calibrated machine.
    pub machine: String,
    pub created: String,
    /// The build the calibration measured.
    pub commit: String,
    pub strata: Vec<WorkloadId>,
    /// Compares per experiment.
    pub k: usize,
    /// A/A compares that reported a regression, as a share.
    pub false_alarm_rate: f64,
    /// A/A compares that were inconclusive, as a share.
    pub inconclusive_rate: f64,
    /// A/A compares that passed only because exact figures settled their
    /// timing, as a share (the timed gate alone: `inconclusive_rate` plus
    /// this).
    #[serde(default)]
    pub settled_rate: f64,
    /// Layout no-op compares that reported a regression, as a share.
    pub noop_false_alarm_rate: Option<f64>,
    pub power: Vec<PowerPoint>,
    /// Lowest coverage of the pooled estimate over the experiments.
    pub coverage: f64,
    /// Median over the A/A compares of the widest gated interval's half-width.
    pub min_detectable_change: f64,
}

/// The whole `calibration.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFile {
    pub schema: SchemaVersion,
    pub created: String,
    pub revision: Revision,
    pub environment: Environment,
    pub experiments: Vec<Experiment>,
    pub summary: CalibrationSummary,
}

const KIND: &str = "calibration";

pub fn parse_calibration(text: &str, path: &Path) -> Result<CalibrationFile, DocumentError> {
    document::parse(text, path, KIND, CALIBRATION_SCHEMA_MAJOR)
}

pub fn read_calibration(path: &Path) -> Result<CalibrationFile, DocumentError> {
    document::read(path, KIND, CALIBRATION_SCHEMA_MAJOR)
}

pub fn write_calibration(file: &CalibrationFile, path: &Path) -> Result<(), DocumentError> {
    document::write(file, path, KIND)
}
