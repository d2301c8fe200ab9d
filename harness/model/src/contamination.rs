//! What contamination looks like in a document: the noise measured around
//! an iteration ([`Noise`]), the limits it is judged against
//! ([`Thresholds`]), the workload's own level ([`Baseline`]) and the
//! [`Verdict`]. Reading `/proc` is the runtime's; judging is the analysis
//! layer's (`harness_analysis::contamination`).

use serde::{Deserialize, Serialize};

/// What happened around one iteration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Stolen time as a fraction of the iteration's wall time, per core.
    pub steal_fraction: f64,
    /// Fraction of wall time some task waited for a CPU; `None` without PSI.
    pub pressure_fraction: Option<f64>,
    pub involuntary_switches: u64,
}

/// Limits above which an iteration counts as contaminated and is re-run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Stolen time per core, as a fraction of wall time (absolute).
    pub max_steal_fraction: f64,
    /// Pressure above the baseline's, in fractions of wall time.
    pub max_pressure_excess: f64,
    /// Switch rate above `baseline × involuntary_factor + max_involuntary_excess_per_sec`…
    pub involuntary_factor: f64,
    pub max_involuntary_excess_per_sec: f64,
    /// …and at least this many switches (one switch in a 2 ms scan is not noise).
    pub min_involuntary: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_steal_fraction: 0.01,
            max_pressure_excess: 0.10,
            involuntary_factor: 1.5,
            max_involuntary_excess_per_sec: 50.0,
            min_involuntary: 5,
        }
    }
}

/// The workload's own pressure and switch rate, from its warm-up iterations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub pressure_fraction: f64,
    pub involuntary_per_sec: f64,
}

crate::closed_enum! {
    /// Which limit an iteration broke.
    pub enum Verdict ("contamination verdict") {
        Clean = "clean",
        Steal = "steal",
        Pressure = "pressure",
        ContextSwitches = "context_switches",
    }
}
