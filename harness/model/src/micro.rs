//! Stage microbenchmark results as documents store them: one
//! [`MicroResult`] per benchmark id and instrument, with its
//! [`MicroFigure`]s, each naming its unit. Main types: [`Instrument`],
//! [`MicroStage`], [`MicroMetric`] (closed enums). Running the suites and
//! parsing their outputs is the runtime's (`harness::micro`).
//!
//! Invariants: ids are `<stage>/<case>` with a known stage; every figure
//! carries its unit; results are sorted by (stage, id, instrument).

use serde::{Deserialize, Serialize};

crate::closed_enum! {
    /// Which instrument measured a figure.
    pub enum Instrument ("instrument") {
        /// Wall-clock time, repeated samples (advisory).
        Criterion = "criterion",
        /// Instruction counts under callgrind, one deterministic run (gates).
        Gungraun = "gungraun",
    }
}

impl Instrument {
    /// The `scanner` bench target that holds this instrument's suite.
    pub fn bench_target(self) -> &'static str {
        match self {
            Instrument::Criterion => "stages",
            Instrument::Gungraun => "stages_ir",
        }
    }
}

crate::closed_enum! {
    /// The pipeline stage a microbenchmark isolates.
    pub enum MicroStage ("micro stage") {
        TreeDiff = "tree_diff",
        DedupeWrite = "dedupe_write",
        SpillMerge = "spill_merge",
        Mapping = "mapping",
        Plan = "plan",
        Inflate = "inflate",
        DeltaApply = "delta_apply",
        EngineScan = "engine_scan",
        Format = "format",
    }
}

impl MicroStage {
    /// What the benchmark's elements are (for throughput in elements).
    pub fn element_unit(self) -> &'static str {
        match self {
            MicroStage::TreeDiff => "tree entries",
            MicroStage::DedupeWrite | MicroStage::SpillMerge => "records",
            MicroStage::Mapping => "OIDs",
            MicroStage::Plan => "candidates",
            MicroStage::Inflate | MicroStage::DeltaApply | MicroStage::EngineScan => "bytes",
            MicroStage::Format => "findings",
        }
    }

    /// The end-to-end stage of `scanner::git::scan`'s `Outcome` whose wall
    /// time includes this work (`None`: outside the scan).
    pub fn end_to_end(self) -> Option<&'static str> {
        match self {
            // Offering candidates (and spilling full tables) is interleaved
            // with tree diff and counted in its wall time.
            MicroStage::TreeDiff | MicroStage::DedupeWrite => Some("tree_diff"),
            MicroStage::SpillMerge => Some("dedupe"),
            MicroStage::Mapping => Some("mapping"),
            MicroStage::Plan => Some("plan"),
            // The sinks scan blobs on the exec workers.
            MicroStage::Inflate | MicroStage::DeltaApply | MicroStage::EngineScan => Some("exec"),
            MicroStage::Format => None,
        }
    }
}

/// What one iteration of a benchmark processes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Work {
    pub amount: u64,
    /// `bytes`, or the stage's element unit (`tree entries`, `records`, …).
    pub unit: String,
}

crate::closed_enum! {
    /// The kind of a micro figure.
    pub enum MicroMetric ("micro metric") {
        /// criterion: nanoseconds per iteration (median, MAD).
        TimePerIteration = "time_per_iteration",
        /// criterion: nanoseconds per unit of work (median, MAD).
        TimePerUnit = "time_per_unit",
        /// criterion: units of work per second, at the median time.
        Throughput = "throughput",
        /// gungraun: instructions executed per iteration (Ir).
        Instructions = "instructions",
        /// gungraun: callgrind's estimated cycles per iteration.
        EstimatedCycles = "estimated_cycles",
        /// gungraun: estimated cycles per unit of work (e.g. cycles per byte).
        EstimatedCyclesPerUnit = "estimated_cycles_per_unit",
    }
}

impl MicroMetric {
    pub fn instrument(self) -> Instrument {
        match self {
            MicroMetric::TimePerIteration | MicroMetric::TimePerUnit | MicroMetric::Throughput => {
                Instrument::Criterion
            }
            MicroMetric::Instructions
            | MicroMetric::EstimatedCycles
            | MicroMetric::EstimatedCyclesPerUnit => Instrument::Gungraun,
        }
    }

    /// The figure's unit, given the unit of work (`bytes`, `records`, …).
    pub fn unit(self, work_unit: &str) -> String {
        match self {
            MicroMetric::TimePerIteration => "ns".into(),
            MicroMetric::TimePerUnit => format!("ns per {}", singular(work_unit)),
            MicroMetric::Throughput => format!("{work_unit} per second"),
            MicroMetric::Instructions => "instructions (Ir)".into(),
            MicroMetric::EstimatedCycles => "estimated cycles".into(),
            MicroMetric::EstimatedCyclesPerUnit => {
                format!("estimated cycles per {}", singular(work_unit))
            }
        }
    }

    /// Whether repeated runs give the same value (compare exactly).
    pub fn deterministic(self) -> bool {
        self.instrument() == Instrument::Gungraun
    }
}

fn singular(unit: &str) -> &str {
    match unit {
        "tree entries" => "tree entry",
        "OIDs" => "OID",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// One figure of one benchmark.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MicroFigure {
    pub metric: MicroMetric,
    pub unit: String,
    pub value: f64,
    /// Median absolute deviation (raw), for sampled figures.
    pub mad: Option<f64>,
    /// Samples behind the figure; `None` for a single deterministic run.
    pub samples: Option<usize>,
}

/// One benchmark id under one instrument.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MicroResult {
    /// `<stage>/<case>`, e.g. `spill_merge/runs_16`.
    pub id: String,
    pub stage: MicroStage,
    pub instrument: Instrument,
    /// The unit of work per iteration, when known (criterion records it;
    /// gungraun results take it from the criterion run of the same call).
    pub work: Option<Work>,
    pub figures: Vec<MicroFigure>,
}

impl MicroResult {
    pub fn figure(&self, metric: MicroMetric) -> Option<&MicroFigure> {
        self.figures.iter().find(|f| f.metric == metric)
    }
}
