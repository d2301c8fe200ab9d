//! `harness`: `run` measures the strata and writes a results file; `micro`
//! runs the stage microbenchmarks into one; `show` prints one; `serve`
//! measures on request and `compare` drives two of those for an A/B
//! compare; `report` writes results as an HTML page. A thin `main`: each
//! subcommand turns its flags into the library's typed configuration and
//! calls it. The binary installs a counting global allocator and hands its
//! reader to the scanner (stage metrics) and the measurement loop.

use anyhow::Context;
use clap::{Parser, Subcommand};
use harness::cli::{CompareOptions, CorporaArgs, ProfileArgs, RunArgs, SessionArgs};
use harness::compare::{CompareJob, SideJob};
use harness::measure::{AllocReader, Event, Session};
use harness::micro::Instrument;
use harness::scan_session;
use harness_model::compare::Revision;
use harness_model::results::{self, RunFile};
use harness_report::{Output, Reports, RunInput};
use scanner::git::AllocSnapshot;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// Counts allocations and requested bytes, and tracks live bytes and their
/// high-water mark; the memory itself is `System`'s.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grew(count_bytes: u64, live_by: u64) {
    ALLOCS.fetch_add(1, Relaxed);
    ALLOC_BYTES.fetch_add(count_bytes, Relaxed);
    let live = LIVE.fetch_add(live_by, Relaxed) + live_by;
    // A plain load first: the mark rarely moves, and `fetch_max` is a
    // compare-and-swap loop on a line both scan threads touch.
    if live > PEAK.load(Relaxed) {
        PEAK.fetch_max(live, Relaxed);
    }
}

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size() as u64, layout.size() as u64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size() as u64, layout.size() as u64);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let old = layout.size() as u64;
            let new = new_size as u64;
            if new >= old {
                grew(new, new - old);
            } else {
                ALLOCS.fetch_add(1, Relaxed);
                ALLOC_BYTES.fetch_add(new, Relaxed);
                LIVE.fetch_sub(old - new, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Whether [`getrandom`] answers with fixed bytes (set first thing by
/// `profile-scan`, never by the measuring commands).
static FIXED_SEEDS: AtomicBool = AtomicBool::new(false);

/// Fixed hash seeds for the exact run. std seeds every `RandomState` from
/// `getrandom`, which it looks up as a weak symbol so that measurements can
/// interpose it; the hash maps of the scanner's dependencies (regex's lazy
/// DFA, gix's config) then differ from process to process in their probes
/// and in the order they free memory, which moves glibc's heap layout,
/// in-place reallocations and alignment-dependent copy and checksum loops.
/// Under callgrind that made two runs of one commit differ by 0.01–0.23%
/// of their instructions; with this, they count the same. Everything else
/// gets the kernel's randomness. `harness/build.rs` exports the symbol.
///
/// # Safety
/// The C `getrandom(2)` contract: `buf` is valid for `len` bytes of writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn getrandom(
    buf: *mut libc::c_void,
    len: libc::size_t,
    flags: libc::c_uint,
) -> libc::ssize_t {
    if FIXED_SEEDS.load(Relaxed) {
        // SAFETY: the caller's contract.
        unsafe { std::ptr::write_bytes(buf.cast::<u8>(), 0x5a, len) };
        return len as libc::ssize_t;
    }
    // SAFETY: the same contract, handed to the kernel.
    unsafe { libc::syscall(libc::SYS_getrandom, buf, len, flags) as libc::ssize_t }
}

fn alloc_totals() -> AllocSnapshot {
    AllocSnapshot {
        count: ALLOCS.load(Relaxed),
        bytes: ALLOC_BYTES.load(Relaxed),
    }
}

fn reset_heap_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

fn heap_peak() -> u64 {
    PEAK.load(Relaxed)
}

const ALLOC_READER: AllocReader = AllocReader {
    totals: alloc_totals,
    reset_peak: reset_heap_peak,
    peak: heap_peak,
};

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
    Run {
        /// Read every setting from a job file (`cargo xtask bench` writes
        /// one) instead of the flags.
        #[arg(long, exclusive = true)]
        job: Option<PathBuf>,
        #[command(flatten)]
        args: Box<RunArgs>,
    },
    /// Compare two harness builds: interleaved ABBA rounds, paired
    /// statistics, the gate (exit 0 pass, 1 regression, 2 error, 3
    /// inconclusive); `cargo xtask bench-compare` builds the two sides.
    Compare(Box<CompareArgs>),
    /// Judge a compare's recorded rounds again (its input.json) under a
    /// gate, without measuring: writes compare.json, comment.md and
    /// report.html into OUT (exit codes as for compare).
    Rejudge {
        /// The compare's input.json.
        input: PathBuf,
        /// The gate's configuration.
        #[arg(long, default_value = "perf-gate.toml")]
        gate: PathBuf,
        /// Output folder (default: the input's folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Answer measurement requests over stdin, one JSON line each (the A/B
    /// compare's resident side; see `harness::serve`).
    Serve(ServeArgs),
    /// Run the stage microbenchmarks (criterion and/or gungraun) and write
    /// or extend a results file.
    Micro(MicroArgs),
    /// main's history: import results files into the database, show a
    /// series, detect change points, write trend pages.
    History {
        /// The history database (default: results/history.sqlite).
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: HistoryCommand,
    },
    /// Profile the release build: sampled warm iterations (flame graph,
    /// folded stacks, pprof) and one scan under callgrind, per workload,
    /// into OUT/<label>-<workload>/ (docs/profiling.md).
    Profile(Box<ProfileCmd>),
    /// What `harness profile` runs under callgrind: one counted scan.
    #[command(hide = true)]
    ProfileScan {
        #[command(flatten)]
        corpora: CorporaArgs,
    },
    /// Diff two profile folders of one workload: per-function movers and
    /// the differential flame graph, into OUT.
    ProfileDiff {
        base: PathBuf,
        head: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
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

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Import results files (idempotent; unreadable files are named and
    /// skipped, the rest import, and the exit code is 2).
    Import {
        /// Results files (results/runs/*.json).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The branch the runs measured (default: none recorded).
        #[arg(long)]
        branch: Option<String>,
    },
    /// Print one series (per machine and counter source), oldest first.
    Show {
        /// A stratum (`medium`) or microbenchmark id (`plan/medium_test`).
        #[arg(long)]
        workload: String,
        /// A metric (`cpu_ns`, `instructions`, …).
        #[arg(long)]
        metric: String,
        /// A pipeline stage, for per-stage figures (`exec`).
        #[arg(long)]
        stage: Option<String>,
    },
    /// List change points: the runs each falls between, its magnitude and
    /// interval, and the metrics of the workload that moved with it.
    Detect {
        #[arg(long)]
        workload: Option<String>,
        #[arg(long)]
        metric: Option<String>,
        /// The settings' file (its `[history]` section).
        #[arg(long, default_value = "perf-gate.toml")]
        gate: PathBuf,
    },
    /// Write a trend page per workload and metric, and an index.
    Page {
        /// Output folder (default: results/trend).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "perf-gate.toml")]
        gate: PathBuf,
    },
}

/// `harness compare`: two binaries and what they are.
#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The base side's harness binary.
    #[arg(long)]
    base_bin: PathBuf,
    /// The head side's harness binary.
    #[arg(long)]
    head_bin: PathBuf,
    /// The base revision as given (shown in the outputs).
    #[arg(long, default_value = "base")]
    base_rev: String,
    /// The base side's commit id.
    #[arg(long, default_value = "")]
    base_commit: String,
    /// The head revision as given.
    #[arg(long, default_value = "head")]
    head_rev: String,
    /// The head side's commit id.
    #[arg(long, default_value = "")]
    head_commit: String,
    /// The head is a working tree with uncommitted changes.
    #[arg(long)]
    head_dirty: bool,
    #[command(flatten)]
    options: CompareOptions,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// The base side's `harness micro --out` file (gungraun).
    #[arg(long, requires = "micro_head")]
    micro_base: Option<PathBuf>,
    /// The head side's `harness micro --out` file (gungraun).
    #[arg(long, requires = "micro_base")]
    micro_head: Option<PathBuf>,
    /// Layout variants of the base binary (relinked in other link orders),
    /// comma-separated; process pair k runs variant k mod (1 + count).
    #[arg(long, value_delimiter = ',')]
    base_layouts: Vec<PathBuf>,
    /// Layout variants of the head binary.
    #[arg(long, value_delimiter = ',')]
    head_layouts: Vec<PathBuf>,
    /// Calibration: the head side burns this share of each iteration's CPU
    /// time more, inside the measured region.
    #[arg(long, value_name = "SHARE")]
    inject_slowdown: Option<f64>,
    /// Process pairs (default: the gate's `[replication] processes`).
    #[arg(long)]
    processes: Option<usize>,
    /// Folder of calibration files to quote the matching one from.
    #[arg(long, default_value = "results/calibration")]
    calibrations: PathBuf,
}

impl CompareArgs {
    fn job(self) -> CompareJob {
        CompareJob {
            base: SideJob {
                bin: self.base_bin,
                revision: Revision {
                    rev: self.base_rev,
                    commit: self.base_commit,
                    dirty: false,
                },
                micro: self.micro_base,
                layouts: self.base_layouts,
                inject: None,
            },
            head: SideJob {
                bin: self.head_bin,
                revision: Revision {
                    rev: self.head_rev,
                    commit: self.head_commit,
                    dirty: self.head_dirty,
                },
                micro: self.micro_head,
                layouts: self.head_layouts,
                inject: self.inject_slowdown,
            },
            options: self.options,
            out: self.out,
            exact: Vec::new(),
            calibrations: Some(self.calibrations),
            processes: self.processes,
        }
    }
}

/// `harness profile`: what, how, and which revision this binary is.
#[derive(Debug, clap::Args)]
struct ProfileCmd {
    #[command(flatten)]
    corpora: CorporaArgs,
    #[command(flatten)]
    profile: ProfileArgs,
    /// Parent folder of the profiles.
    #[arg(long, default_value = "results/profiles")]
    out: PathBuf,
    /// Folder name prefix (default: this build's short commit).
    #[arg(long)]
    label: Option<String>,
    /// The revision as given (recorded in profile.json).
    #[arg(long)]
    rev: Option<String>,
    /// The commit id (default: this harness's source tree's HEAD).
    #[arg(long)]
    commit: Option<String>,
    /// The build has uncommitted changes (default: as the source tree says).
    #[arg(long)]
    dirty: bool,
}

fn profile(cmd: ProfileCmd) -> anyhow::Result<()> {
    let source = harness::environment::source_dir();
    let mut revision = harness::compare::working_tree_revision("HEAD", source);
    if let Some(commit) = cmd.commit {
        revision.commit = commit;
        revision.dirty = cmd.dirty;
    }
    if let Some(rev) = cmd.rev {
        revision.rev = rev;
    }
    let label = cmd
        .label
        .unwrap_or_else(|| harness::profile::label(&revision, cmd.corpora.test_size));
    let harness_bin = std::env::current_exe().context("finding this binary")?;
    for target in cmd.corpora.profile_targets()? {
        let dir = harness::profile::folder(&cmd.out, &label, &target.id());
        let config = cmd.profile.config(cmd.corpora.test_size);
        if harness::profile::cached(&dir, &revision, &config).is_some() {
            println!("profile: {} (cached)", dir.display());
            continue;
        }
        eprintln!("harness: profiling {} into {}", target.id(), dir.display());
        let job = harness::profile::ProfileJob {
            target,
            revision: revision.clone(),
            config,
            warmup: cmd.profile.warmup,
            min_seconds: cmd.profile.min_seconds,
            threads: cmd.profile.threads,
            out: dir.clone(),
            harness: harness_bin.clone(),
        };
        harness::profile::profile(&job)?;
        println!("profile: {}", dir.display());
    }
    Ok(())
}

fn profile_scan(corpora: &CorporaArgs) -> anyhow::Result<()> {
    let targets = corpora.profile_targets()?;
    let [target] = targets.as_slice() else {
        anyhow::bail!(
            "profile-scan takes exactly one workload ({} given)",
            targets.len()
        );
    };
    harness::profile::profile_scan(target)?;
    Ok(())
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Accept corpora generated from another revision's spec (an A/B
    /// compare measures both sides on one set of corpora).
    #[arg(long)]
    trust_corpora: bool,
    /// Calibration only: burn this share of each iteration's CPU time more
    /// inside the measured region (0.02 = a 2% slowdown of known size).
    #[arg(long, value_name = "SHARE")]
    inject_slowdown: Option<f64>,
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

/// The terminal table of `run`.
fn table(run: &RunFile) -> anyhow::Result<String> {
    let input = RunInput {
        runs: std::slice::from_ref(run),
        history: &[],
        skipped: &[],
    };
    Ok(Reports::of(&[Output::Table])
        .run(input)?
        .into_iter()
        .map(|r| r.text)
        .collect())
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
            let run =
                harness::micro::micro_only_run(&workspace, results).map_err(anyhow::Error::msg)?;
            let out = args.out.unwrap_or_else(|| {
                results::run_path(&workspace, &run.created, run.environment.git_sha.as_deref())
            });
            (run, out)
        }
    };
    results::write_run(&run, &out)?;
    print!("{}", table(&run)?);
    println!("\nresults: {}", out.display());
    Ok(())
}

/// `harness serve`: one session, measured on request (see `harness::serve`).
fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // A compare gives each process pair its own heap offset: one block of
    // that size, allocated first and kept, moves everything after it.
    let offset = std::env::var(harness::compare::HEAP_OFFSET_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let keep = std::hint::black_box(vec![1u8; offset]);
    let (config, skipped) = args.session.session_config(args.trust_corpora)?;
    for s in &skipped {
        eprintln!("harness: workload {} skipped: {}", s.name, s.reason);
    }
    let mut session = Session::open(&config, Some(ALLOC_READER))?;
    if let Some(share) = args.inject_slowdown {
        anyhow::ensure!(
            share.is_finite() && (0.0..=1.0).contains(&share),
            "--inject-slowdown {share}: must lie in [0, 1]"
        );
        session.inject_slowdown(share);
    }
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    harness::serve::serve(&mut session, stdin, stdout)?;
    drop(keep);
    Ok(())
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let (config, skipped) = args.config()?;
    for s in &skipped {
        eprintln!("harness: workload {} skipped: {}", s.name, s.reason);
    }

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
                b.set_prefix(stratum.to_string());
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
    let run = scan_session::run(&config, Some(ALLOC_READER), &mut progress)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let out = args.out.clone().unwrap_or_else(|| {
        results::run_path(
            harness::environment::source_dir(),
            &run.created,
            run.environment.git_sha.as_deref(),
        )
    });
    results::write_run(&run, &out)?;
    print!("{}", table(&run)?);
    println!("\nresults: {}", out.display());
    Ok(())
}

fn report(runs: &[PathBuf], history: &Path, out: &Path) -> anyhow::Result<()> {
    let w = harness_report::write_report(runs, history, out)?;
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
    let charts = harness_report::write_compare_report(compare, &out)?;
    println!("report: {} ({charts} charts)", out.display());
    Ok(())
}

fn history(db: Option<PathBuf>, command: HistoryCommand) -> anyhow::Result<std::process::ExitCode> {
    use harness::history::{self, History, Imported};
    let db = db.unwrap_or_else(history::default_db);
    let mut h = History::open(&db)?;
    let source = harness::environment::source_dir();
    match command {
        HistoryCommand::Import { files, branch } => {
            let (mut added, mut present, mut failed) = (0, 0, 0);
            for f in history::import_files(&mut h, &files, source, branch)? {
                match f.result {
                    Ok(Imported::Added(_)) => added += 1,
                    Ok(Imported::AlreadyPresent) => present += 1,
                    Err(reason) => {
                        failed += 1;
                        eprintln!("harness: error: not imported: {reason}");
                    }
                }
            }
            println!(
                "history: {added} runs added, {present} already present, {failed} unreadable; {} runs in {}",
                h.runs()?,
                db.display()
            );
            return Ok(std::process::ExitCode::from(if failed > 0 { 2 } else { 0 }));
        }
        HistoryCommand::Show {
            workload,
            metric,
            stage,
        } => {
            let all = h.find(&workload, &metric, stage.as_deref())?;
            if all.is_empty() {
                anyhow::bail!(
                    "{}: no series {workload} {metric}{} (see `harness history detect` for what is stored)",
                    db.display(),
                    stage.map(|s| format!(" stage {s}")).unwrap_or_default()
                );
            }
            print!("{}", harness_report::history_text::render_series(&all));
        }
        HistoryCommand::Detect {
            workload,
            metric,
            gate,
        } => {
            let settings = harness_model::gate::Gate::read(&gate)?.history;
            let trends = history::trends(&h, &settings, workload.as_deref(), metric.as_deref())?;
            print!("{}", harness_report::history_text::render_detect(&trends));
            eprintln!("history: from {}", db.display());
        }
        HistoryCommand::Page { out, gate } => {
            let settings = harness_model::gate::Gate::read(&gate)?.history;
            let trends = history::trends(&h, &settings, None, None)?;
            let out = out.unwrap_or_else(|| source.join("results").join("trend"));
            let written = history::write_trend_pages(&trends, &out)?;
            println!(
                "history: {} trend pages in {} (index.html)",
                written.len().saturating_sub(1),
                out.display()
            );
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `harness compare`: drives the job and exits with the gate's code.
fn compare(args: CompareArgs) -> anyhow::Result<std::process::ExitCode> {
    let outcome = harness::compare::drive(&args.job())?;
    println!("{}", outcome.summary);
    Ok(std::process::ExitCode::from(
        u8::try_from(outcome.file.exit_code).unwrap_or(2),
    ))
}

fn rejudge(
    input: &Path,
    gate: &Path,
    out: Option<PathBuf>,
) -> anyhow::Result<std::process::ExitCode> {
    let gate = harness_model::gate::Gate::read(gate)?;
    let out = out.unwrap_or_else(|| input.parent().unwrap_or(Path::new(".")).to_path_buf());
    let (file, summary) = harness::compare::rejudge(input, &gate, &out)?;
    println!("{summary}");
    Ok(std::process::ExitCode::from(
        u8::try_from(file.exit_code).unwrap_or(2),
    ))
}

fn main() -> std::process::ExitCode {
    // Before anything seeds a hash map (argument parsing included).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "profile-scan")
    {
        FIXED_SEEDS.store(true, Relaxed);
    }
    let ok = |()| std::process::ExitCode::SUCCESS;
    let result = match Cli::parse().command {
        Command::Compare(args) => compare(*args),
        Command::Rejudge { input, gate, out } => rejudge(&input, &gate, out),
        Command::Run { job: Some(job), .. } => RunArgs::read_job(&job)
            .map_err(anyhow::Error::from)
            .and_then(|args| run(&args))
            .map(ok),
        Command::Run { job: None, args } => run(&args).map(ok),
        Command::Serve(args) => serve(args).map(ok),
        Command::History { db, command } => history(db, command),
        Command::Micro(args) => micro(args).map(ok),
        Command::Profile(cmd) => profile(*cmd).map(ok),
        Command::ProfileScan { corpora } => profile_scan(&corpora).map(ok),
        Command::ProfileDiff { base, head, out } => harness::profile::diff(&base, &head, &out)
            .map(|(d, _)| {
                print!("{}", harness_report::profile::diff_markdown(&d, 10));
            })
            .map_err(anyhow::Error::from)
            .map(ok),
        Command::Show { file } => results::read_run(&file)
            .map_err(anyhow::Error::from)
            .and_then(|r| table(&r))
            .map(|t| print!("{t}"))
            .map(ok),
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
