//! corpora: deterministic generators of the three benchmark strata, each a
//! real git repository with planted secrets as ground truth.
//!
//! - [`spec`]: what each stratum is ([`Stratum`], [`Spec`]) and its cache key.
//! - [`content`]: realistic file contents whose versions share parts (deltas).
//! - [`secrets`]: the catalogue of synthetic secrets and near-miss decoys; the
//!   contract with the scanner's rule ids and fingerprints.
//! - [`history`]: the commit/branch/merge generator, streamed to fast-import.
//! - [`build`]: drives git (fast-import, pack-objects, multi-pack-index,
//!   commit-graph), writes the [`manifest`], caches by spec key.
//!
//! Invariants: the same spec gives the same commit ids on any machine (pinned
//! identities and dates, isolated git configuration, integer-only randomness
//! from [`rng`]); every planted value's manifest position is checked against
//! `git cat-file` in the tests.

pub mod build;
pub mod content;
pub mod fast_import;
pub mod history;
pub mod manifest;
pub mod rng;
pub mod secrets;
pub mod spec;

pub use build::{BuildError, Built, build, build_stratum, default_root};
pub use manifest::Manifest;
pub use spec::{Spec, Stratum, StratumSpec};
