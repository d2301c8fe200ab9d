//! The detection half: rules, prefilter, confirmation, findings.
//!
//! (Being written: see issue 4.)
