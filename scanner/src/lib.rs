//! scanner: a fast git-history secret scanner, as a library.
//!
//! Two halves meet at one interface:
//! - [`git`] walks a commit selection, tree-diffs each commit against its
//!   parents, dedupes the introduced blobs by OID in bounded memory, maps them
//!   to pack offsets and decodes them in offset order, handing each unique blob
//!   once to a caller's [`sink::BlobSink`], and returns an `Outcome` with
//!   per-stage metrics.
//! - [`detect`] turns bytes into findings: rules, keyword prefilter, regex
//!   confirmation, entropy gate, findings and their output formats.
//!
//! Data flows one way: git → sink → detect → findings. Neither half reaches
//! into the other's internals.

pub mod detect;
pub mod git;
pub mod sink;
