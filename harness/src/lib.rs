//! harness: pinned, warm, repeated measurement of the scanner over the
//! benchmark strata, and the statistics and results that come out of it.
//!
//! Data flows one way: [`measure`] runs the scanner through its library API
//! and reads its `Outcome` → [`results`] records raw samples → [`stats`]
//! summarizes (pure, no IO) → [`show`] renders a table, [`report`] an HTML
//! page with charts. Around the measurement:
//! [`affinity`] (pinning), [`counters`] (perf-event cycles or TSC reference
//! cycles, always with their source), [`rusage`] (CPU time, peak RSS),
//! [`contamination`] (steal, pressure, context switches), [`environment`]
//! (fingerprint), [`truth`] (findings against the corpora's ground truth).
//! [`document`] reads and writes both versioned JSON files.
//! [`compare`] is the pure core of an A/B compare of two builds: paired
//! statistics, verdicts, the gate file, `compare.json` and the PR comment.
//! [`micro`] runs the per-stage microbenchmark suites (criterion and
//! gungraun) and parses their outputs into the same results file.
//!
//! Invariants: every figure carries its unit and counter source; a run
//! whose findings differ from the ground truth fails; statistics take
//! validated samples only.

pub mod affinity;
pub mod compare;
pub mod contamination;
pub mod counters;
pub mod document;
pub mod environment;
pub mod interleave;
pub mod measure;
pub mod micro;
pub mod report;
pub mod results;
pub mod rusage;
pub mod serve;
pub mod show;
pub mod stats;
pub mod truth;
