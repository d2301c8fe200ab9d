//! Where a scan's heap peaks: live heap bytes over one `--all` scan of a
//! repository, with the peak of each stage.
//!
//! `cargo run --release -p scanner --example heap_timeline REPO [THREADS] [blobs]`
//! (`blobs`: deliver blobs to a counting sink instead of the rule engine).
//! Budgets come from `SCANNER_DEDUPE_BUDGET`, `SCANNER_TREE_CACHE_BUDGET`
//! and `SCANNER_BASE_CACHE_BUDGET` (bytes) when set, else the defaults.
//!
//! A counting global allocator tracks live bytes; a thread samples them
//! every millisecond. Stage windows come from the outcome's per-stage wall
//! times, which run one after another (tree diff includes dedupe's offers,
//! `dedupe` its final merge), so each stage's figure is the largest sample
//! inside its window, and the process-wide high-water mark is exact.

use scanner::detect::suppress::Suppressions;
use scanner::detect::{FindingsSinkFactory, ScanOptions, build_report, load_engine};
use scanner::git::{self, Options, Selection, Stage};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Live;

static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System`; only counts.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size() as u64, Relaxed) + layout.size() as u64;
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size() as u64, Relaxed);
            let now = LIVE.fetch_add(new_size as u64, Relaxed) + new_size as u64;
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

struct Count;
impl scanner::sink::BlobSink for Count {
    type Error = std::convert::Infallible;
    fn blob(&mut self, _: &scanner::sink::BlobContext<'_>, _: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }
}
struct Counts;
impl scanner::sink::SinkFactory for Counts {
    type Sink = Count;
    fn make(&self, _: usize) -> Count {
        Count
    }
}

fn mib(b: u64) -> f64 {
    b as f64 / (1u64 << 20) as f64
}

fn budget(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repo = args
        .first()
        .ok_or("usage: heap_timeline REPO [THREADS] [blobs]")?;
    let threads: usize = args.get(1).map_or(Ok(2), |t| t.parse())?;
    let blobs_only = args.iter().any(|a| a == "blobs");
    let mut opts = Options::new(repo);
    opts.selection = Selection::All;
    opts.threads = threads;
    opts.dedupe_budget = budget("SCANNER_DEDUPE_BUDGET", opts.dedupe_budget);
    opts.tree_cache_budget = budget("SCANNER_TREE_CACHE_BUDGET", opts.tree_cache_budget);
    opts.base_cache_budget = budget("SCANNER_BASE_CACHE_BUDGET", opts.base_cache_budget);
    let engine = load_engine(None)?;
    let before = LIVE.load(Relaxed);

    let samples = Arc::new(Mutex::new(Vec::<(Duration, u64)>::new()));
    let done = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let sampler = {
        let (samples, done) = (Arc::clone(&samples), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut local = Vec::with_capacity(1 << 16);
            while !done.load(Relaxed) {
                local.push((start.elapsed(), LIVE.load(Relaxed)));
                std::thread::sleep(Duration::from_millis(1));
            }
            *samples.lock().unwrap_or_else(|e| e.into_inner()) = local;
        })
    };
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let outcome = if blobs_only {
        git::scan(&opts, &Counts)?.0
    } else {
        let factory = FindingsSinkFactory {
            engine: &engine,
            opts: ScanOptions {
                show_secrets: false,
                scan_binary: false,
            },
            progress: None,
        };
        let (outcome, sinks) = git::scan(&opts, &factory)?;
        let report = build_report(&engine, sinks, &Suppressions::default());
        println!("findings: {}", report.findings.len());
        outcome
    };
    let wall = start.elapsed();
    let peak = PEAK.load(Relaxed);
    done.store(true, Relaxed);
    sampler.join().map_err(|_| "sampler panicked")?;
    let samples = samples.lock().unwrap_or_else(|e| e.into_inner());

    println!(
        "{repo}: {threads} threads, wall {:.2} s, live before {:.1} MiB, peak {:.1} MiB (budgets: dedupe {:.0}, tree cache {:.0}, base cache {:.0} MiB)",
        wall.as_secs_f64(),
        mib(before),
        mib(peak),
        mib(opts.dedupe_budget as u64),
        mib(opts.tree_cache_budget as u64),
        mib(opts.base_cache_budget as u64),
    );
    let mut from = Duration::ZERO;
    for stage in Stage::all() {
        let to = from + Duration::from_nanos(outcome.stages.flow(stage).wall_ns);
        let in_window = samples.iter().filter(|(t, _)| *t >= from && *t < to);
        let (max, end) = in_window.fold((0, 0), |(m, _), &(_, b)| (m.max(b), b));
        println!(
            "  {:<10} {:>8.3} s  peak {:>7.1} MiB  at its end {:>7.1} MiB",
            stage.to_string(),
            (to - from).as_secs_f64(),
            mib(max),
            mib(end)
        );
        from = to;
    }
    Ok(())
}
