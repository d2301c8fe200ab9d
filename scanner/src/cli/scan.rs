//! `scanner scan`: scan a repository's history or a directory tree.
//!
//! Exit status: 0 when no finding is reported, `--exit-code` (default 1)
//! when findings are reported, 2 on any error (bad rules, ignore file or
//! baseline, unreadable input, output failure), and with `--fail-on-partial`
//! 3 when nothing was found but the scan was partial (objects skipped: each
//! is listed on stderr and in the JSON and SARIF reports either way). Rules, ignore file, baseline
//! and the output file are all loaded or created before scanning starts.

use anyhow::Context;
use scanner::detect::findings::{ProgressFn, SkippedObject};
use scanner::detect::format::{self, Format};
use scanner::detect::suppress::Suppressions;
use scanner::detect::{self, FindingsSink, FindingsSinkFactory, Report, ScanOptions, dirscan};
use scanner::git::{self, Options, Selection, Status};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// Name of the ignore file picked up at the scan root when `--ignore-file`
/// is not given.
pub const DEFAULT_IGNORE_FILE: &str = ".scannerignore";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Repository to scan (default: the current directory).
    #[arg(value_name = "REPO", conflicts_with = "path")]
    pub repo: Option<PathBuf>,
    /// Scan the history reachable from every ref (default: from HEAD).
    #[arg(long, conflicts_with_all = ["range", "path"])]
    pub all: bool,
    /// Scan the commits in A..B (reachable from B, not from A).
    #[arg(long, value_name = "A..B", conflicts_with = "path")]
    pub range: Option<String>,
    /// Scan a plain directory tree instead of git history (respects .gitignore).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads (default: available parallelism).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Rules directory (default: the embedded rule set).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Report only findings not present in this previous JSON report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Ignore file of fingerprints and path globs (default: .scannerignore at the root).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Show secrets in snippets and output (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Also scan binary blobs (a NUL byte in the first 8000 bytes).
    #[arg(long)]
    pub scan_binary: bool,
    /// Exit status when findings are reported (0 to never fail on findings).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Exit 3 when the scan was partial (some objects skipped) and found
    /// nothing; findings still exit with --exit-code.
    #[arg(long)]
    pub fail_on_partial: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Memory budgets (git history only).
    #[command(flatten)]
    pub budgets: super::budgets::Budgets,
    /// Directory for dedupe spill runs (default: the system temp directory).
    #[arg(long, value_name = "DIR", conflicts_with = "path")]
    pub spill_dir: Option<PathBuf>,
    /// Skip blobs larger than this many bytes (reported as skipped).
    #[arg(long, value_name = "BYTES", conflicts_with = "path")]
    pub max_blob_size: Option<u64>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Everything that can be wrong with the inputs fails here, before scanning.
    if args.path.is_some() && args.budgets.any() {
        anyhow::bail!(
            "--path scans a directory; the memory flags (--memory-budget, --dedupe-budget, \
             --tree-cache-budget, --base-cache-budget) apply to git history only"
        );
    }
    let engine = detect::load_engine(args.rules.as_deref())?;
    let root = args
        .path
        .clone()
        .or_else(|| args.repo.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut suppress = Suppressions::default();
    match &args.ignore_file {
        Some(file) => suppress.add_ignore_file(file)?,
        None => {
            let default = root.join(DEFAULT_IGNORE_FILE);
            if default.is_file() {
                suppress.add_ignore_file(&default)?;
            }
        }
    }
    if let Some(baseline) = &args.baseline {
        suppress.add_baseline_file(baseline)?;
    }
    // The pipeline validates the range (syntax and both ends) when it opens
    // the repository, before any blob is scanned.
    let selection = match (&args.range, args.all) {
        (Some(r), _) => Selection::Range(r.clone()),
        (None, true) => Selection::All,
        (None, false) => Selection::Head,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(file) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(file)
                .with_context(|| format!("output file {}", file.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let opts = ScanOptions {
        show_secrets: args.show_secrets,
        scan_binary: args.scan_binary,
    };
    let show_progress = !args.no_progress && std::io::stderr().is_terminal();

    // Directory scans know their total size; repository scans do not (spinner).
    let files = match &args.path {
        Some(dir) => Some(dirscan::list_files(dir)?),
        None => None,
    };
    let total = files.as_ref().map(|f| f.iter().map(|f| f.2).sum());
    let bar = progress_bar(show_progress, total);
    let blobs = AtomicU64::new(0);
    let callback = |n: u64| {
        if let Some(bar) = &bar {
            bar.inc(n);
            let b = blobs.fetch_add(1, Ordering::Relaxed) + 1;
            if b.is_multiple_of(64) {
                bar.set_message(format!("{b} blobs"));
            }
        }
    };
    let factory = FindingsSinkFactory {
        engine: &engine,
        opts,
        progress: bar.as_ref().map(|_| &callback as &ProgressFn),
    };
    let (sinks, skipped) = match &files {
        Some(files) => (dirscan::scan_dir(&factory, files, threads)?, Vec::new()),
        None => scan_repository(&root, &args, selection, &factory, threads)?,
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut report = detect::build_report(&engine, sinks, &suppress);
    report.skipped = skipped;
    write_report(&report, &engine, args.format, color, &mut out)?;
    Ok(if !report.findings.is_empty() {
        ExitCode::from(args.exit_code)
    } else if args.fail_on_partial && !report.skipped.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scans the history of the repository at `repo` through the git pipeline,
/// one findings sink per worker. A partial scan (objects skipped, each with a
/// reason) is reported on stderr and returned for the report; the report
/// covers what was scanned.
pub fn scan_repository<'e>(
    repo: &Path,
    args: &Args,
    selection: Selection,
    factory: &FindingsSinkFactory<'e>,
    threads: usize,
) -> anyhow::Result<(Vec<FindingsSink<'e>>, Vec<SkippedObject>)> {
    let mut opts = Options::new(repo);
    opts.selection = selection;
    opts.threads = threads;
    args.budgets.apply(&mut opts);
    opts.spill_dir = args.spill_dir.clone();
    if let Some(m) = args.max_blob_size {
        opts.max_blob_size = m;
    }
    let (outcome, sinks) = git::scan(&opts, factory)?;
    for w in &outcome.warnings {
        eprintln!("scanner: warning: {w}");
    }
    if outcome.status == Status::Partial {
        eprintln!(
            "scanner: warning: {}: partial scan, {} object(s) skipped:",
            repo.display(),
            outcome.skipped.len()
        );
        for s in outcome.skipped.iter().take(20) {
            eprintln!("  {} {}", s.oid, s.reason);
        }
        if outcome.skipped.len() > 20 {
            eprintln!("  … and {} more", outcome.skipped.len() - 20);
        }
    }
    let skipped = outcome
        .skipped
        .iter()
        .map(|s| SkippedObject {
            oid: s.oid.to_string(),
            reason: s.reason.to_string(),
        })
        .collect();
    Ok((sinks, skipped))
}

fn write_report(
    report: &Report,
    engine: &detect::Engine,
    fmt: Format,
    color: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    format::write(fmt, report, engine, color, out).context("writing the report")?;
    out.flush().context("writing the report")?;
    Ok(())
}

fn progress_bar(enabled: bool, total: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !enabled {
        return None;
    }
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    Some(bar)
}
