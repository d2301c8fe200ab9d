//! Exact end-to-end figures: one scan of a stratum under callgrind (one
//! scanner thread, fixed hashing), its instruction count and cache-simulated
//! estimated cycles, in total and per pipeline stage.
//!
//! A compare holds both sides' figures ([`crate::compare::ExactPair`]); a
//! run holds its own ([`ExactRun`], in `RunFile::exact`), so main's history
//! has a series with no noise in it, judged by exact steps instead of
//! statistics.
//!
//! Invariant: the figures are counts of one deterministic execution, never
//! estimates from samples; two runs of one commit give the same counts.

use crate::profile::PipelineStage;
use crate::stratum::Stratum;
use serde::{Deserialize, Serialize};

crate::closed_enum! {
    /// Where an exact end-to-end figure came from.
    pub enum ExactSource ("exact source") {
        /// One scan under valgrind's callgrind (instructions; estimated
        /// cycles from its cache simulation).
        Callgrind = "callgrind",
    }
}

crate::closed_enum! {
    /// An exact end-to-end figure.
    pub enum ExactMetric ("exact metric") {
        /// Instructions executed (callgrind `Ir`).
        Instructions = "instructions",
        /// `Ir + 10·(I1mr + D1mr + D1mw) + 100·(ILmr + DLmr + DLmw)`, the
        /// estimate gungraun and KCachegrind use.
        EstimatedCycles = "estimated_cycles",
    }
}

/// One stage's exact instruction count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactStage {
    pub stage: PipelineStage,
    pub instructions: u64,
}

/// The exact figures of one scan of a stratum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactFigures {
    pub instructions: u64,
    /// `None` when callgrind ran without its cache simulation.
    pub estimated_cycles: Option<u64>,
    pub stages: Vec<ExactStage>,
}

impl ExactFigures {
    /// The figure `metric` names; `None` for estimated cycles without the
    /// cache simulation.
    pub fn value(&self, metric: ExactMetric) -> Option<u64> {
        match metric {
            ExactMetric::Instructions => Some(self.instructions),
            ExactMetric::EstimatedCycles => self.estimated_cycles,
        }
    }
}

/// A run's exact figures of one stratum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactRun {
    pub stratum: Stratum,
    pub source: ExactSource,
    pub figures: ExactFigures,
}
