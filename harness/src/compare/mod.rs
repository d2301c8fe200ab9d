//! The pure core of an A/B performance compare (`cargo xtask bench-compare
//! BASE HEAD`): statistics, verdicts, the gate configuration, the
//! `compare.json` model and the PR comment. No IO beyond reading and writing
//! the two files; no clock.
//!
//! The driver runs both builds in paired ABBA rounds and hands the raw
//! rounds over as a [`CompareInput`]; [`analyze`] turns them, with the
//! [`Gate`] read from `perf-gate.toml`, into a [`CompareFile`] (after each
//! batch of rounds; [`more_rounds`] says whether to add rounds), which
//! [`write_compare`] stores as `compare.json` and [`render_comment`] renders
//! as the PR comment. The modules, in the order data flows:
//!
//! - [`gate`] — thresholds, metric set and round caps ([`Gate`]).
//! - [`paired`] — validated pairs ([`Pairs`]), per-pair ratios, the median
//!   ratio, its seeded bootstrap interval, the minimum detectable change.
//! - [`wilcoxon`] — the signed-rank test on the log-ratios (exact or normal).
//! - [`correction`] — Benjamini–Hochberg over every test of a compare.
//! - [`verdict`] — [`Verdict`] per metric, [`GateOutcome`] and its exit code.
//! - [`model`] — input and output types, the versioned `compare.json`.
//! - [`analysis`] — [`analyze`] and [`more_rounds`].
//! - [`comment`] — [`render_comment`].
//!
//! Invariants: statistics only ever see validated samples (finite, positive
//! where a ratio is taken, at least two pairs); the same input and gate give
//! byte-identical `compare.json` and comment (seeded bootstrap, fixed
//! formatting, the creation time is an input); every verdict is an enum.
//! The method is described in `docs/compare.md`.

pub mod analysis;
pub mod comment;
pub mod correction;
pub mod gate;
pub mod model;
pub mod paired;
pub mod verdict;
pub mod wilcoxon;

pub use analysis::{CompareError, analyze, more_rounds};
pub use comment::render_comment;
pub use gate::{Gate, GateError};
pub use model::{
    CompareFile, CompareFileError, CompareInput, Findings, MethodInput, MicroPair, Revision, Round,
    StratumPairs, read_compare, write_compare,
};
pub use paired::Pairs;
pub use verdict::{GateOutcome, Verdict};
