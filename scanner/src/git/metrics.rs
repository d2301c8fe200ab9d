//! The stages' running figures and the allocation counter.
//!
//! Every stage fills one [`StageMetrics`] while it runs (the orchestration
//! in [`crate::git::scan`] times it with a [`StageTimer`]); at the end of
//! the scan each becomes that stage's typed outcome (`crate::git::stage`),
//! whose fields say what the counters mean for that stage.
//!
//! Allocations are counted only when the caller passes an
//! [`AllocCounter`] in the options (the embedding binary's counting global
//! allocator; the library never installs an allocator). The counter is
//! process-wide, so the figures include every thread that allocates during
//! the stage.

use std::time::Instant;

/// A reading of a process-wide allocation counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocSnapshot {
    /// Number of allocations (alloc + realloc calls) so far.
    pub count: u64,
    /// Bytes requested by those allocations so far.
    pub bytes: u64,
}

/// Reads the embedding binary's allocation counter.
pub type AllocCounter = fn() -> AllocSnapshot;

/// Running counters of one stage; what each means per stage is the typed
/// outcome's business (see `crate::git::stage`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageMetrics {
    pub wall_ns: u64,
    pub items_in: u64,
    pub items_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub spill_runs: u64,
    pub spill_bytes: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub allocs: u64,
    pub alloc_bytes: u64,
}

impl StageMetrics {
    /// Adds the counters of `other` (used to merge per-worker metrics).
    pub fn add(&mut self, other: &StageMetrics) {
        self.items_in += other.items_in;
        self.items_out += other.items_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.spill_runs += other.spill_runs;
        self.spill_bytes += other.spill_bytes;
        self.cache_hits += other.cache_hits;
        self.cache_misses += other.cache_misses;
    }
}

/// Measures wall time and allocations of a stage.
#[derive(Debug)]
pub struct StageTimer {
    start: Instant,
    counter: Option<AllocCounter>,
    alloc: AllocSnapshot,
}

impl StageTimer {
    pub fn start(counter: Option<AllocCounter>) -> Self {
        StageTimer {
            start: Instant::now(),
            counter,
            alloc: counter.map(|read| read()).unwrap_or_default(),
        }
    }

    pub fn finish(self, m: &mut StageMetrics) {
        m.wall_ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let now = self.counter.map(|read| read()).unwrap_or_default();
        m.allocs = now.count.saturating_sub(self.alloc.count);
        m.alloc_bytes = now.bytes.saturating_sub(self.alloc.bytes);
    }
}
