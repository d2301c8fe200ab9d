//! Allocation guard: after warmup (trees cached, path buffer grown), the
//! tree-diff loop performs zero heap allocations, however many entries it
//! walks. A counting global allocator in this test binary counts the
//! allocations of the current thread only, so parallel tests do not disturb
//! the count.

mod support;

use scanner::git::TableHashing;
use scanner::internals::{OdbTrees, PackTrees, Repo, TreeDiff};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use support::*;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    /// New blocks only (`alloc`), not a reused buffer's growth (`realloc`).
    static NEW_BLOCKS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: allocation during thread teardown must not panic.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

fn bump_new() {
    let _ = NEW_BLOCKS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        bump_new();
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

fn new_blocks() -> u64 {
    NEW_BLOCKS.with(Cell::get)
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
    let mut src = OdbTrees::of(&repo);
    let mut td = TreeDiff::new(64 << 20);
    let entries = Cell::new(0u64);
    let mut emit = |_: &gix::ObjectId, path: &[u8], _| {
        entries.set(entries.get() + 1);
        assert!(!path.is_empty());
        Ok(())
    };
    // Warmup: loads and caches every tree, grows the path buffer.
    let cold = allocs();
    td.diff(&mut src, &t2, None, &t1, &mut emit).unwrap();
    td.diff(&mut src, &t2, Some(&t1), &t2, &mut emit).unwrap();
    td.diff(&mut src, &t2, None, &t2, &mut emit).unwrap();
    let warm = entries.get();
    assert!(allocs() > cold, "the counting allocator counts");
    assert_eq!(warm, 2000 + 6 + 2003);

    let before = allocs();
    for _ in 0..3 {
        td.diff(&mut src, &t2, None, &t1, &mut emit).unwrap();
        td.diff(&mut src, &t2, Some(&t1), &t2, &mut emit).unwrap();
        td.diff(&mut src, &t2, None, &t2, &mut emit).unwrap();
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
    let mut r = TestRepo::new();
    r.write("a", "a\n");
    r.commit("one");
    let mut opts = options(r.path(), scanner::git::Selection::All);
    let (o, _) = run(&opts);
    assert_eq!(o.stages.tree_diff.cost.allocs, 0, "no counter, no count");
    opts.alloc_counter = Some(read);
    let (o, _) = run(&opts);
    let m = o.metrics();
    let get = |n: &str| m.iter().find(|(k, _)| k == n).map(|(_, v)| *v).unwrap();
    assert!(get("repo.allocs") > 0);
    assert!(get("tree_diff.allocs") > 0);
    assert_eq!(get("scan.unique_blobs"), 1);
}

/// Allocations made by `finish` (the k-way merge of `runs` spilled runs of
/// `per_run` records each), and the unique blobs it produced.
fn merge_allocs(runs: usize, per_run: usize) -> (u64, usize) {
    use scanner::internals::{Dedupe, ENTRY_COST};
    let dir = tempfile::tempdir().expect("temporary directory");
    // Spills exactly at `per_run` distinct ids; each id is in two runs.
    let mut d = Dedupe::new(
        (per_run - 1) * ENTRY_COST,
        dir.path().to_owned(),
        TableHashing::default(),
    );
    for r in 0..runs {
        for i in 0..per_run {
            let n = (r * per_run / 2 + i) as u64;
            let mut b = [0u8; 20];
            b[..8].copy_from_slice(&n.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
            let oid = gix::ObjectId::Sha1(b);
            d.offer(&oid, r as u32, 0, b"p", scanner::sink::ChangeKind::Added)
                .expect("offer");
        }
    }
    assert_eq!(d.metrics.spill_runs, runs as u64);
    let before = allocs();
    let (out, _, _) = d
        .finish(scanner::internals::StageTimer::start(None))
        .expect("merge");
    let during = allocs() - before;
    (during, out.len())
}

#[test]
fn spill_merge_does_not_allocate_per_record() {
    // Same runs, ten times the records: allocations are per run (readers,
    // heap) and one output vector, never per record.
    let (few, n_few) = merge_allocs(8, 200);
    let (many, n_many) = merge_allocs(8, 2000);
    assert!(n_many > 9 * n_few, "{n_few} {n_many}");
    assert!(few > 0, "the counting allocator counts");
    assert_eq!(
        many, few,
        "merging {n_many} records allocated {many} times, {n_few} records {few} times"
    );
}

/// A sink that only counts bytes, and blobs over 1 MiB (exec does not keep
/// buffers that large for reuse: a big blob's buffer must not outlive it).
struct CountingSink(u64, u64);

impl scanner::sink::BlobSink for CountingSink {
    type Error = std::convert::Infallible;
    fn blob(
        &mut self,
        _: &scanner::sink::BlobContext<'_>,
        bytes: &[u8],
    ) -> Result<(), Self::Error> {
        self.0 += bytes.len() as u64;
        self.1 += u64::from(bytes.len() > 1 << 20);
        Ok(())
    }
}

#[test]
fn pack_exec_does_not_allocate_per_object() {
    use scanner::internals::{
        Chunk, Dedupe, Plan, Shared, StageMetrics, StageTimer, diff_commits, map, plan, worker,
    };
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    let root = corpora::default_root();
    let built = corpora::build(
        &corpora::StratumSpec::test_spec(corpora::Stratum::Small),
        &root,
    )
    .unwrap();
    let mut repo = Repo::open(&built.repo).unwrap();
    let mut m = StageMetrics::default();
    let selected = repo.select(&scanner::git::Selection::All, &mut m).unwrap();
    let spill = tempfile::tempdir().unwrap();
    let mut dd = Dedupe::new(usize::MAX, spill.path().to_owned(), TableHashing::default());
    let mut src = PackTrees::of(&repo, 32 << 20);
    let mut td = TreeDiff::new(32 << 20);
    let n = selected.commits.len();
    diff_commits(
        &mut td,
        &mut src,
        &selected,
        0..n,
        &mut |o, r, p, path, c| dd.offer(o, r, p, path, c),
    )
    .unwrap();
    let (uniques, paths, _) = dd.finish(StageTimer::start(None)).unwrap();
    let map = map(&repo.packs, &uniques, &mut m).unwrap();
    // The same chunks once, and three times over (fresh maps of the packs).
    let once = plan(
        &repo.packs,
        &map,
        &uniques,
        1,
        TableHashing::default(),
        &mut m,
    );
    let mut thrice = plan(
        &repo.packs,
        &map,
        &uniques,
        1,
        TableHashing::default(),
        &mut m,
    );
    thrice.chunks = (0..3)
        .flat_map(|_| {
            once.chunks.iter().map(|c| match c {
                Chunk::Pack { pack, steps } => Chunk::Pack {
                    pack: *pack,
                    steps: steps.clone(),
                },
                Chunk::Loose(v) => Chunk::Loose(v.clone()),
            })
        })
        .collect();
    let run = |plan: &Plan| {
        let shared = Shared {
            plan,
            packs: &repo.packs,
            uniques: &uniques,
            selected: &selected,
            paths: &paths,
            max_blob_size: 64 << 20,
            base_cache_budget: 16 << 20,
        };
        let mut sink = CountingSink(0, 0);
        let (next, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
        let (before, grown) = (new_blocks(), allocs() - new_blocks());
        let out = worker(&shared, 0, &mut sink, &next, &stop);
        let during = new_blocks() - before;
        let grown = allocs() - new_blocks() - grown;
        assert!(out.error.is_none() && out.skipped.is_empty());
        eprintln!(
            "{} objects ({} over 1 MiB): {during} new blocks, {grown} reallocations",
            out.metrics.items_out, sink.1
        );
        (during, out.metrics.items_out, sink.0, sink.1)
    };
    let (a1, n1, b1, big1) = run(&once);
    let (a3, n3, b3, big3) = run(&thrice);
    assert_eq!((n3, b3), (3 * n1, 3 * b1));
    assert!(n1 > 100 && a1 > 0);
    // The first pass allocates the worker's buffers; the two passes over the
    // same objects after it allocate no new block (reused buffers may still
    // grow when an object is larger than the one they held before), except
    // for objects over 1 MiB, whose buffers are not kept: at most two each
    // (its output, and its cached copy when it is a delta base).
    assert!(big1 < n1 / 10, "{big1} of {n1} objects are over 1 MiB");
    assert!(
        a3.saturating_sub(a1) <= 2 * (big3 - big1),
        "decoding {n3} objects allocated {a3} new blocks, {n1} objects {a1}; {} over 1 MiB",
        big3 - big1
    );
}
