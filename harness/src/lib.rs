//! harness: measures the scanner over the benchmark strata.
//!
//! (Being written: see issue 5.)
