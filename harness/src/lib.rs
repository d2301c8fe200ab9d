//! harness: the runtime layer. Pinned, warm, repeated measurement of the
//! scanner, the A/B compare driver, the microbenchmark runner, and the
//! `harness` binary on top.
//!
//! The layers below it are crates of their own, so the compiler holds the
//! walls: `harness-model` (documents and closed enums), `harness-analysis`
//! (pure statistics and verdicts), `harness-report` (table, PR comment,
//! HTML). This crate is where IO, clocks, processes and the machine live:
//!
//! - [`measure`] — the [`measure::Session`] over a [`measure::Workload`]
//!   (the real one is [`scan_workload::ScanWorkload`]), the measured
//!   region, re-runs and the ground-truth policy; [`scan_session`] opens
//!   one over the strata and repositories and runs `harness run`.
//! - [`affinity`] (pinning), [`counters`] (perf-event cycles or TSC
//!   reference cycles, always with their source), [`rusage`] (CPU time,
//!   peak RSS), [`rss_sampler`] (peak anonymous and file-backed RSS),
//!   [`contamination`] (steal, pressure, context switches from
//!   `/proc`), [`environment`] (the fingerprint), [`truth`] (findings in
//!   ground-truth form), [`clock`] (the one wall-clock read).
//! - [`serve`] (a resident session driven over stdin), [`interleave`]
//!   (ABBA rounds over two servers), [`compare`] (the A/B driver as a
//!   library: [`compare::drive`]).
//! - [`micro`] — runs the stage microbenchmark suites and parses them.
//! - [`profile`] — sampled (pprof) and exact (callgrind) profiles of a
//!   workload, their diffs, and the diffs added to a compare's outputs.
//! - [`cli`] — the flag structs `harness` and `cargo xtask` share.
//!
//! Invariants: every figure carries its unit and counter source; a run
//! whose findings differ from the ground truth fails; statistics take
//! validated samples only (the analysis layer refuses anything else).

pub mod affinity;
pub mod cli;
pub mod clock;
pub mod compare;
pub mod contamination;
pub mod counters;
pub mod environment;
pub mod history;
pub mod interleave;
pub mod measure;
pub mod micro;
pub mod profile;
pub mod rss_sampler;
pub mod rusage;
pub mod scan_session;
pub mod scan_workload;
pub mod serve;
pub mod truth;
