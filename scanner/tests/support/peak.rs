//! Peak heap of a piece of test code: a counting global allocator that
//! tracks live bytes and their high-water mark over every thread (the
//! scan's workers included). A test binary installs it with
//! `#[global_allocator] static HEAP: support::peak::PeakHeap = support::peak::PeakHeap;`.
//!
//! [`measure`] holds a lock, so measurements in one binary do not overlap;
//! other tests of the binary still allocate meanwhile under `cargo test`
//! (threads), which can only raise a figure. Under `cargo nextest` every
//! test is its own process and the figure is the test's alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

pub struct PeakHeap;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LOCK: Mutex<()> = Mutex::new(());

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
    COUNT.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(n as u64, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for PeakHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

/// What the scanner's `Options::alloc_counter` reads.
pub fn snapshot() -> scanner::git::AllocSnapshot {
    scanner::git::AllocSnapshot {
        count: COUNT.load(Ordering::Relaxed),
        bytes: BYTES.load(Ordering::Relaxed),
    }
}

/// Runs `f` and returns its result and the peak of live heap bytes above
/// what was live when it started; prints the figure (`label`), which
/// docs/reliability.md's table quotes.
pub fn measure<T>(label: &str, f: impl FnOnce() -> T) -> (T, usize) {
    let _serial = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    println!(
        "peak heap {label}: {peak} bytes ({:.1} MiB)",
        peak as f64 / (1 << 20) as f64
    );
    (out, peak)
}
