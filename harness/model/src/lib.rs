//! harness-model: the harness's vocabulary and documents, the lowest layer.
//!
//! Everything that crosses a process or a file boundary is a type here:
//! the results file of a run ([`results::RunFile`]), an A/B compare's input
//! and `compare.json` ([`compare`]), stage microbenchmark results
//! ([`micro`]), the gate file `perf-gate.toml` ([`gate::Gate`]), and the
//! `harness serve` protocol ([`protocol`]), profiles and their diffs
//! ([`profile`]), and exact end-to-end figures ([`exact`]). Their axes are closed enums
//! declared with [`closed_enum!`] ([`axis`]): [`Stratum`],
//! [`results::Metric`], [`micro::MicroStage`], [`CounterSource`],
//! [`micro::Instrument`], [`verdict::Verdict`], [`verdict::GateOutcome`],
//! [`contamination::Verdict`].
//!
//! Layering (enforced by the crate graph): model ← analysis ← report ←
//! runtime (`harness`) ← xtask. This crate depends on serde, toml and
//! thiserror only (clap behind the `clap` feature, for `ValueEnum`).
//!
//! Invariants: no IO but reading and writing a document
//! ([`document`]); no clock (timestamps are inputs, [`results::rfc3339`]
//! formats them); no processes; every document has a `schema {major,
//! minor}` that is checked before anything else is read.

pub mod axis;
pub mod calibration;
pub mod compare;
pub mod contamination;
pub mod counter_source;
pub mod document;
pub mod environment;
pub mod exact;
pub mod gate;
pub mod history;
pub mod micro;
pub mod profile;
pub mod protocol;
pub mod results;
pub mod revision;
pub mod stratum;
pub mod summary;
pub mod verdict;
pub mod workload;

pub use axis::UnknownName;
pub use counter_source::{CounterReport, CounterSource};
pub use document::{DocumentError, SchemaVersion};
pub use environment::Environment;
pub use stratum::Stratum;
pub use workload::WorkloadId;

#[cfg(feature = "clap")]
#[doc(hidden)]
pub use clap as __clap;
