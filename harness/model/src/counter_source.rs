//! Where a cycle figure came from, and what the counters were when a run
//! opened them. Every cycle figure in a document names its
//! [`CounterSource`]: the sources measure different things (CPU cycles
//! summed over threads, elapsed reference cycles, nanoseconds).

use serde::{Deserialize, Serialize};

crate::closed_enum! {
    /// Where a cycle figure came from.
    pub enum CounterSource ("counter source") {
        /// `PERF_COUNT_HW_CPU_CYCLES`, user space, summed over threads.
        PerfEvent = "perf_event",
        /// Time-stamp counter: elapsed reference cycles.
        Tsc = "tsc",
        /// Monotonic clock nanoseconds (no TSC on this architecture).
        Monotonic = "monotonic",
    }
}

impl CounterSource {
    /// Unit of the cycle figures from this source.
    pub fn unit(self) -> &'static str {
        match self {
            CounterSource::PerfEvent => "cpu cycles",
            CounterSource::Tsc => "reference cycles",
            CounterSource::Monotonic => "ns",
        }
    }
}

/// What the runtime's counters found when they were opened, for the
/// environment fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CounterReport {
    pub source: CounterSource,
    pub instructions: bool,
    pub tsc_hz: Option<f64>,
    /// Why a better source was not used (empty when perf-event works).
    pub fallback_reason: Option<String>,
}
