//! No heap allocation per blob in the scan loop after warm-up: a counting
//! global allocator counts allocations made on the scanning thread while a
//! warmed-up engine scans blobs (with and without secrets).

use corpora::rng::Rng;
use corpora::secrets::{DecoyKind, SecretKind};
use scanner::detect::{Engine, RuleSet};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: delegates to the system allocator; only adds a counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn scan_loop_does_not_allocate_after_warmup() {
    let engine = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    let mut scratch = engine.scratch();
    let mut rng = Rng::new(99);
    let mut blobs = Vec::new();
    for i in 0..64 {
        let mut text = String::new();
        for j in 0..40 {
            text.push_str("fn f(x: u32) -> u32 { x + 1 } // filler line of source\n");
            if (i + j) % 7 == 0 {
                text.push_str(&rng.pick(SecretKind::all()).generate(&mut rng).text);
            }
            if (i + j) % 11 == 0 {
                text.push_str(&rng.pick(DecoyKind::all()).generate(&mut rng).text);
            }
        }
        blobs.push(text.into_bytes());
    }
    // Warm-up: buffers and lazy-DFA caches reach their working size.
    let mut warm = 0;
    for _ in 0..2 {
        for b in &blobs {
            warm += engine.scan(&mut scratch, b).len();
        }
    }
    assert!(warm > 0);
    COUNTING.with(|c| c.set(true));
    let mut found = 0;
    for b in &blobs {
        found += engine.scan(&mut scratch, b).len();
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(found * 2, warm);
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        0,
        "allocations in the scan loop"
    );
}
