//! harness: measures the scanner over the benchmark strata.
//!
//! (Being written: see issue 5.)

pub mod contamination;
pub mod counters;
pub mod environment;
pub mod results;
pub mod rusage;
pub mod stats;
