//! Deterministic generators of the three benchmark strata.
//!
//! (Being written: see issue 2.)
pub mod rng;
pub mod secrets;
