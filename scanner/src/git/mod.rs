//! The git half: commit selection → tree diff → dedupe → mapping → plan → exec.
//!
//! (Being written: see issue 3.)
