//! Allocation guard: after warmup (trees cached, path buffer grown), the
//! tree-diff loop performs zero heap allocations, however many entries it
//! walks. A counting global allocator in this test binary counts the
//! allocations of the current thread only, so parallel tests do not disturb
//! the count.

mod support;

use scanner::git::repo::Repo;
use scanner::git::tree_diff::TreeDiff;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use support::*;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: allocation during thread teardown must not panic.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

#[test]
fn tree_diff_does_not_allocate_per_entry_after_warmup() {
    let mut r = TestRepo::new();
    for d in 0..20 {
        for f in 0..100 {
            r.write(&format!("d{d:02}/sub/f{f:03}.txt"), format!("{d} {f}\n"));
        }
    }
    let c1 = r.commit("wide");
    for d in [3, 7, 15] {
        r.write(&format!("d{d:02}/sub/f050.txt"), "changed\n");
        r.write(&format!("d{d:02}/new.txt"), "new\n");
    }
    let c2 = r.commit("change a few");
    let tree = |c: &str| r.oid(&format!("{c}^{{tree}}"));
    let (t1, t2) = (tree(&c1), tree(&c2));

    let repo = Repo::open(r.path()).unwrap();
    let mut src = repo.trees();
    let mut td = TreeDiff::new(64 << 20, r.path().to_owned());
    let entries = Cell::new(0u64);
    let mut emit = |_: &gix::ObjectId, path: &[u8], _| {
        entries.set(entries.get() + 1);
        assert!(!path.is_empty());
        Ok(())
    };
    // Warmup: loads and caches every tree, grows the path buffer.
    let cold = allocs();
    td.diff(&mut src, None, &t1, &mut emit).unwrap();
    td.diff(&mut src, Some(&t1), &t2, &mut emit).unwrap();
    td.diff(&mut src, None, &t2, &mut emit).unwrap();
    let warm = entries.get();
    assert!(allocs() > cold, "the counting allocator counts");
    assert_eq!(warm, 2000 + 6 + 2003);

    let before = allocs();
    for _ in 0..3 {
        td.diff(&mut src, None, &t1, &mut emit).unwrap();
        td.diff(&mut src, Some(&t1), &t2, &mut emit).unwrap();
        td.diff(&mut src, None, &t2, &mut emit).unwrap();
    }
    let during = allocs() - before;
    assert_eq!(entries.get() - warm, 3 * warm);
    assert_eq!(
        during,
        0,
        "{during} allocations while diffing {} entries",
        entries.get() - warm
    );
}

#[test]
fn alloc_hook_feeds_stage_metrics() {
    fn read() -> scanner::git::AllocSnapshot {
        scanner::git::AllocSnapshot {
            count: allocs(),
            bytes: 0,
        }
    }
    scanner::git::set_alloc_counter(read);
    let mut r = TestRepo::new();
    r.write("a", "a\n");
    r.commit("one");
    let (o, _) = run(&options(r.path(), scanner::git::Selection::All));
    let m = o.metrics();
    let get = |n: &str| m.iter().find(|(k, _)| k == n).map(|(_, v)| *v).unwrap();
    assert!(get("repo.allocs") > 0);
    assert!(get("tree_diff.allocs") > 0);
    assert_eq!(get("scan.unique_blobs"), 1);
}
