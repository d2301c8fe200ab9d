//! harness: pinned, warm, repeated measurement of the scanner over the
//! benchmark strata, and the statistics and results that come out of it.
//!
//! Data flows one way: [`measure`] runs the scanner through its library API
//! and reads its `Outcome` → [`results`] records raw samples → [`stats`]
//! summarizes (pure, no IO) → [`show`] renders. Around the measurement:
//! [`affinity`] (pinning), [`counters`] (perf-event cycles or TSC reference
//! cycles, always with their source), [`rusage`] (CPU time, peak RSS),
//! [`contamination`] (steal, pressure, context switches), [`environment`]
//! (fingerprint), [`truth`] (findings against the corpora's ground truth).
//! [`micro`] runs the per-stage microbenchmark suites (criterion and
//! gungraun) and parses their outputs into the same results file.
//!
//! Invariants: every figure carries its unit and counter source; a run
//! whose findings differ from the ground truth fails; statistics take
//! validated samples only.

pub mod affinity;
pub mod contamination;
pub mod counters;
pub mod environment;
pub mod measure;
pub mod micro;
pub mod results;
pub mod rusage;
pub mod show;
pub mod stats;
pub mod truth;
