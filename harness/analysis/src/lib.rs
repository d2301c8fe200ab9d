//! harness-analysis: pure statistics over the model's documents.
//!
//! No IO, no clock, no processes, no perf-event, plotters or libc in the
//! dependency tree: every function maps validated values to values, so the
//! same inputs give byte-identical outputs. The modules, in the order data
//! flows:
//!
//! - [`rng`] — the bootstrap's seeded generator (SplitMix64).
//! - [`stats`] — [`stats::Samples`] (validated), median, MAD, quantiles,
//!   the percentile bootstrap, [`stats::summarize`].
//! - [`series`] — a plain run's per-metric and per-stage summaries.
//! - [`contamination`] — judging an iteration's noise against thresholds
//!   and the workload's own baseline.
//! - [`paired`] — validated pairs, per-pair ratios, the median ratio and
//!   its interval, the minimum detectable change.
//! - [`replicated`] — rounds from several process pairs: the two-level
//!   bootstrap, variance components, what would settle an inconclusive.
//! - [`wilcoxon`] — the signed-rank test on the log-ratios (exact or normal).
//! - [`correction`] — Benjamini–Hochberg.
//! - [`verdict`] — verdicts per metric and the gate's outcome.
//! - [`changepoint`] — E-divisive means and exact steps over history series.
//! - [`callgrind`] — the callgrind profile format, parsed to per-function
//!   exclusive and inclusive costs.
//! - [`profile`] — stage attribution of stacks and functions, profile
//!   tables, and the ranked per-function diff of two builds.
//! - [`compare`] — [`compare::analyze`]: an A/B compare's raw rounds to
//!   `compare.json`; [`compare::more_rounds`]; [`compare::pair_micro`].
//! - [`calibration`] — a calibration's compares to its rates, power and
//!   coverage.
//!
//! Invariants: statistics only ever see validated samples (finite, positive
//! where a ratio is taken, at least two values or pairs); the bootstrap is
//! seeded; every verdict is an enum. The method is described in
//! `docs/compare.md` and `docs/methodology.md`.

pub mod calibration;
pub mod callgrind;
pub mod changepoint;
pub mod compare;
pub mod contamination;
pub mod correction;
pub mod paired;
pub mod profile;
pub mod replicated;
pub mod rng;
pub mod series;
pub mod stats;
pub mod verdict;
pub mod wilcoxon;
