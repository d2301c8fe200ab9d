//! Object access: the one component that reads git's object storage.
//!
//! Everything that opens a pack, looks an id up in an index, inflates, walks
//! a delta chain or caches a decoded base lives here, in the manner of
//! gitoxide's `gix-pack`; the stages (`tree_diff`, `mapping`, `plan`,
//! `pack_exec`) orchestrate and never decode.
//!
//! - [`Packs`] (`index`): every pack of the object directory and its
//!   alternates, each memory-mapped once ([`PackFile`], `file`), and one
//!   lookup (multi-pack-index first, then the `.idx` files it does not
//!   cover), opened once per scan and shared read-only by tree diff,
//!   mapping, plan and exec; an `.idx` is looked up by interpolation
//!   within its fan-out (`idx`).
//! - `entry`: a checked entry header and the offset of its delta base.
//! - [`ChainWalk`] (`chain`): one delta chain, header by header, with the
//!   depth limit and the cycle check; the plan's header-only walk and the
//!   decoder both use it.
//! - [`Decoder`] (`decode`): `decode(pack, offset, out, cache)` → the
//!   object's bytes in the caller's buffer, or a typed [`DecodeError`]; the
//!   caller owns the decoder's scratch buffers and the cache.
//! - `BaseCache` (`cache`): what the decoder asks of a cache of decoded
//!   entries; two policies implement it: [`PlannedBases`] (exec: keep a base
//!   while the plan still has users for it) and [`RecentEntries`] (tree
//!   diff: a byte-bounded two-generation cache, [`GenCache`]).
//! - `inflate` and `delta`: zlib (zlib-rs through `gix::zlib`) to an exact
//!   announced size, and git's delta instructions, bounds checked.
//! - `loose`: a loose object file (`objects/xx/…`), header checked.
//!
//! Invariants: no size read from a header is trusted before it is checked
//! against the caller's [`Limits`]; inflation must produce exactly the
//! announced size; a chain is at most [`MAX_CHAIN`] deep and an upward
//! (ref-delta) step that revisits an offset is a cycle, never a hang.

mod cache;
mod chain;
mod decode;
mod delta;
mod entry;
mod error;
mod file;
mod idx;
mod index;
mod inflate;
mod loose;

pub use cache::{GenCache, PlannedBases, RecentEntries};
pub use chain::{ChainWalk, Link};
pub use decode::{Decoder, Limits};
pub use error::{DecodeError, LooseError};
pub use file::PackFile;
pub use index::Packs;
#[cfg(feature = "internals")]
pub use loose::inflate_loose;
pub use loose::read_loose;

// The stage microbenchmarks time these alone (see `crate::internals`).
#[cfg(feature = "internals")]
pub use delta::apply_delta;
#[cfg(feature = "internals")]
pub use entry::entry_at;
#[cfg(feature = "internals")]
pub use inflate::inflate_exact;

/// Longest delta chain followed (git's own default depth is 50, max 4095).
pub const MAX_CHAIN: usize = 10_000;
