//! Per-stage metrics and the allocation-counter hook.
//!
//! Every stage fills one [`StageMetrics`]; [`crate::git::Outcome::metrics`]
//! flattens them to stable `stage.field` names (defined in `docs/metrics.md`)
//! that the benchmark harness reads.
//!
//! Allocations are counted only when the embedding binary installs a counting
//! global allocator and registers a reader with [`set_alloc_counter`]; the
//! library never installs an allocator. The counter is process-wide, so the
//! figures include every thread that allocates during the stage.

use std::sync::OnceLock;
use std::time::Instant;

/// A reading of a process-wide allocation counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocSnapshot {
    /// Number of allocations (alloc + realloc calls) so far.
    pub count: u64,
    /// Bytes requested by those allocations so far.
    pub bytes: u64,
}

static ALLOC_COUNTER: OnceLock<fn() -> AllocSnapshot> = OnceLock::new();

/// Registers the function that reads the embedding binary's allocation
/// counter. Only the first registration wins; returns false if one was
/// already registered.
pub fn set_alloc_counter(read: fn() -> AllocSnapshot) -> bool {
    ALLOC_COUNTER.set(read).is_ok()
}

/// Current allocation counter, or zeros when no counter is registered.
pub fn alloc_snapshot() -> AllocSnapshot {
    ALLOC_COUNTER.get().map(|read| read()).unwrap_or_default()
}

/// Metrics of one pipeline stage. Fields a stage has no use for stay zero;
/// `docs/metrics.md` says what each means per stage.
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
    /// Field names in the order [`StageMetrics::values`] returns them.
    pub const FIELDS: [&'static str; 11] = [
        "wall_ns",
        "items_in",
        "items_out",
        "bytes_in",
        "bytes_out",
        "spill_runs",
        "spill_bytes",
        "cache_hits",
        "cache_misses",
        "allocs",
        "alloc_bytes",
    ];

    pub fn values(&self) -> [u64; 11] {
        [
            self.wall_ns,
            self.items_in,
            self.items_out,
            self.bytes_in,
            self.bytes_out,
            self.spill_runs,
            self.spill_bytes,
            self.cache_hits,
            self.cache_misses,
            self.allocs,
            self.alloc_bytes,
        ]
    }

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
    alloc: AllocSnapshot,
}

impl StageTimer {
    pub fn start() -> Self {
        StageTimer {
            start: Instant::now(),
            alloc: alloc_snapshot(),
        }
    }

    pub fn finish(self, m: &mut StageMetrics) {
        m.wall_ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let now = alloc_snapshot();
        m.allocs = now.count.saturating_sub(self.alloc.count);
        m.alloc_bytes = now.bytes.saturating_sub(self.alloc.bytes);
    }
}
