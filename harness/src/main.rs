//! `harness`: `run` measures the strata and writes a results file; `micro`
//! runs the stage microbenchmarks into one; `show` prints one; `serve`
//! measures on request and `compare` drives two of those for an A/B
//! compare; `report` writes results as an HTML page. The binary installs a
//! counting global allocator and hands its reader to the scanner (stage
//! metrics) and the measurement loop.

mod compare_cmd;

use anyhow::Context;
use clap::{Parser, Subcommand};
use harness::counters::CounterSource;
use harness::measure::{self, Config, Event, Pinning, Session, SessionConfig};
use harness::micro::Instrument;
use harness::{affinity, results, show};
use scanner::git::AllocSnapshot;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
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
    /// Compare two harness builds: interleaved ABBA rounds, paired
    /// statistics, the gate (exit 0 pass, 1 regression, 2 error, 3
    /// inconclusive); `cargo xtask bench-compare` builds the two sides.
    Compare(Box<compare_cmd::CompareArgs>),
    /// Answer measurement requests over stdin, one JSON line each (the A/B
    /// compare's resident side; see `harness::serve`).
    Serve(ServeArgs),
    /// Run the stage microbenchmarks (criterion and/or gungraun) and write
    /// or extend a results file.
    Micro(MicroArgs),
    /// Print a results file as a table.
    Show {
        /// A results file (results/runs/*.json).
        file: PathBuf,
    },
    /// Write results files, or an A/B compare's compare.json, as a
    /// self-contained HTML report with charts.
    Report {
        /// Results files to report on (results/runs/*.json).
        #[arg(required_unless_present = "compare")]
        runs: Vec<PathBuf>,
        /// Report on an A/B compare instead: its compare.json.
        #[arg(long, conflicts_with_all = ["runs", "history"])]
        compare: Option<PathBuf>,
        /// Folder of kept runs for the history section; unreadable files in
        /// it are skipped and listed on the page.
        #[arg(long)]
        history: Option<PathBuf>,
        /// Where to write the page (default: results/report.html, or
        /// report.html next to the compare.json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Where and how to measure: shared by `run` and `serve`.
#[derive(Debug, clap::Args)]
struct SessionArgs {
    /// Comma-separated strata: small, medium, large.
    #[arg(long, default_value = "small,medium,large")]
    strata: String,
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
    /// Corpora folder (default: $SCANNER_CORPORA_DIR or target/corpora).
    #[arg(long)]
    corpora: Option<PathBuf>,
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

impl SessionArgs {
    fn strata(&self) -> anyhow::Result<Vec<corpora::Stratum>> {
        corpora::Stratum::parse_list(&self.strata).map_err(|e| anyhow::anyhow!("--strata: {e}"))
    }

    fn pinning(&self) -> anyhow::Result<Pinning> {
        Ok(match (self.unpinned, &self.pin) {
            (true, _) => Pinning::Unpinned,
            (false, Some(spec)) => {
                Pinning::Cores(affinity::parse_cores(spec).map_err(anyhow::Error::msg)?)
            }
            (false, None) => Pinning::FirstCores,
        })
    }

    fn counters(&self) -> anyhow::Result<Option<CounterSource>> {
        Ok(match self.counters.as_str() {
            "auto" => None,
            other => Some(CounterSource::from_name(other).with_context(|| {
                format!("--counters {other:?}: expected auto, perf_event, tsc or monotonic")
            })?),
        })
    }

    fn corpora_root(&self) -> PathBuf {
        self.corpora.clone().unwrap_or_else(corpora::default_root)
    }
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Measured iterations per stratum (at least 10 for a real run).
    #[arg(long, default_value_t = 15)]
    iterations: usize,
    /// Discarded warm-up iterations per stratum.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Contaminated iterations re-run at most this many times per stratum.
    #[arg(long, default_value_t = 5)]
    max_reruns: usize,
    /// Results file (default: results/runs/<timestamp>-<sha>.json).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Accept corpora generated from another revision's spec (an A/B
    /// compare measures both sides on one set of corpora).
    #[arg(long)]
    trust_corpora: bool,
}

/// `harness serve`: one session, measured on request (see `harness::serve`).
fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = SessionConfig {
        strata: args.session.strata()?,
        threads: args.session.threads,
        pinning: args.session.pinning()?,
        counters: args.session.counters()?,
        thresholds: harness::contamination::Thresholds::default(),
        corpora_root: args.session.corpora_root(),
        test_size: args.session.test_size,
        trust_manifest: args.trust_corpora,
    };
    scanner::git::set_alloc_counter(alloc_snapshot);
    let mut session = Session::open(&config, Some(alloc_snapshot))?;
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    harness::serve::serve(&mut session, stdin, stdout)?;
    Ok(())
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut config = Config::new(args.session.corpora_root());
    config.strata = args.session.strata()?;
    config.iterations = args.iterations;
    config.warmup = args.warmup;
    config.threads = args.session.threads;
    config.max_reruns = args.max_reruns;
    config.test_size = args.session.test_size;
    config.pinning = args.session.pinning()?;
    config.counters = args.session.counters()?;
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

fn report(runs: &[PathBuf], history: &Path, out: &Path) -> anyhow::Result<()> {
    let w = harness::report::write_report(runs, history, out)?;
    for f in &w.skipped {
        eprintln!("harness: warning: history: skipped {}", f.reason);
    }
    println!(
        "report: {} ({} charts, {} runs in the history)",
        w.path.display(),
        w.figures,
        w.history_runs
    );
    Ok(())
}

/// `harness report --compare FILE`: the A/B compare page, by default as
/// `report.html` next to the compare.json.
fn compare_report(compare: &Path, out: Option<PathBuf>) -> anyhow::Result<()> {
    let out = out.unwrap_or_else(|| compare.with_file_name("report.html"));
    let charts = harness::report::write_compare_report(compare, &out)?;
    println!("report: {} ({charts} charts)", out.display());
    Ok(())
}

fn main() -> std::process::ExitCode {
    let ok = |()| std::process::ExitCode::SUCCESS;
    let result = match Cli::parse().command {
        Command::Compare(args) => compare_cmd::run(*args),
        Command::Run(args) => run(args).map(ok),
        Command::Serve(args) => serve(args).map(ok),
        Command::Micro(args) => micro(args).map(ok),
        Command::Show { file } => results::read_run(&file)
            .map(|r| print!("{}", show::render(&r)))
            .map(ok)
            .map_err(Into::into),
        Command::Report {
            compare: Some(compare),
            out,
            ..
        } => compare_report(&compare, out).map(ok),
        Command::Report {
            runs,
            compare: None,
            history,
            out,
        } => report(
            &runs,
            &history.unwrap_or_else(|| "results/runs".into()),
            &out.unwrap_or_else(|| "results/report.html".into()),
        )
        .map(ok),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("harness: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
