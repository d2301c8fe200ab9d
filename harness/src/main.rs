//! `harness`: `run` measures the strata and writes a results file; `micro`
//! runs the stage microbenchmarks into one; `show` prints one. The binary installs a counting global allocator and hands
//! its reader to the scanner (stage metrics) and the measurement loop.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use harness::counters::CounterSource;
use harness::measure::{self, Config, Event, Pinning};
use harness::micro::Instrument;
use harness::{affinity, results, show};
use scanner::git::AllocSnapshot;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counts allocations and requested bytes; everything else is `System`'s.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(new_size as u64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn alloc_snapshot() -> AllocSnapshot {
    AllocSnapshot {
        count: ALLOCS.load(Relaxed),
        bytes: ALLOC_BYTES.load(Relaxed),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "harness",
    version,
    about = "Measure the scanner over the benchmark strata"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure the strata and write a results file.
    Run(RunArgs),
    /// Run the stage microbenchmarks (criterion and/or gungraun) and write
    /// or extend a results file.
    Micro(MicroArgs),
    /// Print a results file as a table.
    Show {
        /// A results file (results/runs/*.json).
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Comma-separated strata: small, medium, large.
    #[arg(long, default_value = "small,medium,large")]
    strata: String,
    /// Measured iterations per stratum (at least 10 for a real run).
    #[arg(long, default_value_t = 15)]
    iterations: usize,
    /// Discarded warm-up iterations per stratum.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Scanner worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Cores to pin to, e.g. `0,1` or `0-3` (default: the first THREADS cores).
    #[arg(long, value_name = "CORES", conflicts_with = "unpinned")]
    pin: Option<String>,
    /// Measure without pinning (noisier; recorded in the results).
    #[arg(long)]
    unpinned: bool,
    /// Counter source: auto, perf_event, tsc or monotonic.
    #[arg(long, default_value = "auto")]
    counters: String,
    /// Contaminated iterations re-run at most this many times per stratum.
    #[arg(long, default_value_t = 5)]
    max_reruns: usize,
    /// Corpora folder (default: $SCANNER_CORPORA_DIR or target/corpora).
    #[arg(long)]
    corpora: Option<PathBuf>,
    /// Results file (default: results/runs/<timestamp>-<sha>.json).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Measure the small test variants of the strata (checks the harness
    /// itself; `cargo xtask corpora --test-size` builds them).
    #[arg(long)]
    test_size: bool,
}

#[derive(Debug, clap::Args)]
struct MicroArgs {
    /// Which suites to run: criterion, gungraun or both.
    #[arg(long, default_value = "both")]
    instrument: String,
    /// Workspace whose benchmarks run (default: this harness's source tree);
    /// another revision's worktree for an A/B comparison.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Add the results to this existing results file (replacing its micro
    /// results).
    #[arg(long, conflicts_with = "out")]
    into: Option<PathBuf>,
    /// Write a micro-only results file (no strata) here (default:
    /// results/runs/<timestamp>-<sha>.json in the workspace).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Short criterion warm-up and measurement (gungraun is unchanged).
    #[arg(long)]
    quick: bool,
}

fn micro(args: MicroArgs) -> anyhow::Result<()> {
    let instruments = match args.instrument.as_str() {
        "both" => Instrument::all().to_vec(),
        other => vec![Instrument::from_name(other).with_context(|| {
            format!("--instrument {other:?}: expected criterion, gungraun or both")
        })?],
    };
    let workspace = args
        .workspace
        .unwrap_or_else(|| harness::environment::source_dir().to_owned());
    let results = harness::micro::run(&workspace, &instruments, args.quick)?;
    let (run, out) = match args.into {
        Some(path) => {
            let mut run = results::read_run(&path)?;
            run.micro = results;
            (run, path)
        }
        None => {
            let run = micro_only_run(&workspace, results)?;
            let out = args.out.unwrap_or_else(|| {
                results::run_path(&workspace, &run.created, run.environment.git_sha.as_deref())
            });
            (run, out)
        }
    };
    results::write_run(&run, &out)?;
    print!("{}", show::render(&run));
    println!("\nresults: {}", out.display());
    Ok(())
}

/// A results file holding only micro results: no strata, the default
/// configuration, the environment with the measured workspace's revision.
fn micro_only_run(
    workspace: &std::path::Path,
    micro: Vec<harness::micro::MicroResult>,
) -> anyhow::Result<results::RunFile> {
    let (_, report) = harness::counters::Counters::open(None).map_err(anyhow::Error::msg)?;
    let mut environment = harness::environment::Environment::capture(Vec::new(), report);
    (environment.git_sha, environment.git_dirty) = harness::environment::git_state(workspace);
    let defaults = Config::new(corpora::default_root());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(results::RunFile {
        schema: results::SchemaVersion::current(),
        created: results::rfc3339(now),
        environment,
        config: results::RunConfig {
            iterations: 0,
            warmup: 0,
            threads: defaults.threads,
            max_reruns: 0,
            thresholds: defaults.thresholds,
            bootstrap_resamples: defaults.bootstrap.resamples,
            bootstrap_seed: defaults.bootstrap.seed,
        },
        strata: Vec::new(),
        micro,
    })
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut config = Config::new(args.corpora.unwrap_or_else(corpora::default_root));
    config.strata = Vec::new();
    for name in args
        .strata
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match corpora::Stratum::from_name(name) {
            Some(s) => config.strata.push(s),
            None => bail!("--strata: unknown stratum {name:?} (expected small, medium or large)"),
        }
    }
    config.iterations = args.iterations;
    config.warmup = args.warmup;
    config.threads = args.threads;
    config.max_reruns = args.max_reruns;
    config.test_size = args.test_size;
    config.pinning = match (args.unpinned, args.pin) {
        (true, _) => Pinning::Unpinned,
        (false, Some(spec)) => {
            Pinning::Cores(affinity::parse_cores(&spec).map_err(anyhow::Error::msg)?)
        }
        (false, None) => Pinning::FirstCores,
    };
    config.counters = match args.counters.as_str() {
        "auto" => None,
        other => Some(CounterSource::from_name(other).with_context(|| {
            format!("--counters {other:?}: expected auto, perf_event, tsc or monotonic")
        })?),
    };
    scanner::git::set_alloc_counter(alloc_snapshot);

    let bar = (!args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut progress = |e: Event| {
        let Some(b) = &bar else { return };
        match e {
            Event::Stratum {
                stratum,
                iterations,
            } => {
                b.reset();
                b.set_length(iterations as u64);
                b.set_prefix(stratum.name());
            }
            Event::Iteration {
                warmup,
                wall_ns,
                verdict,
                ..
            } => {
                b.inc(1);
                b.set_message(format!(
                    "{}{:.1} ms {:?}",
                    if warmup { "warmup " } else { "" },
                    wall_ns as f64 / 1e6,
                    verdict
                ));
            }
        }
    };
    let run = measure::run(&config, Some(alloc_snapshot), &mut progress)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let out = args.out.unwrap_or_else(|| {
        results::run_path(
            harness::environment::source_dir(),
            &run.created,
            run.environment.git_sha.as_deref(),
        )
    });
    results::write_run(&run, &out)?;
    print!("{}", show::render(&run));
    println!("\nresults: {}", out.display());
    Ok(())
}

fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Run(args) => run(args),
        Command::Micro(args) => micro(args),
        Command::Show { file } => results::read_run(&file)
            .map(|r| print!("{}", show::render(&r)))
            .map_err(Into::into),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("harness: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
