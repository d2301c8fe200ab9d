//! `harness compare`: the A/B driver. Starts both sides' harnesses as
//! resident `harness serve` processes pinned to the same cores, runs warm-up
//! and measured ABBA rounds per stratum (`harness::interleave`), adds
//! rounds while a gated metric is inconclusive (up to the gate's cap), and
//! writes `compare.json`, `comment.md` and `report.html`.
//!
//! `cargo xtask bench-compare` builds the two binaries and calls this; it
//! can also be called directly with any two harness binaries.

use anyhow::{Context, bail};
use corpora::Stratum;
use harness::affinity;
use harness::interleave::{Progress, Servers, StratumRounds};
use harness::serve::{Client, Hello};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
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
    /// Comma-separated strata: small, medium, large.
    #[arg(long, default_value = "small,medium,large")]
    strata: String,
    /// Scanner worker threads (both sides).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Cores both sides are pinned to (default: the first THREADS cores).
    #[arg(long)]
    pin: Option<String>,
    /// Corpora folder (default: $SCANNER_CORPORA_DIR or target/corpora).
    #[arg(long)]
    corpora: Option<PathBuf>,
    /// Measure the small test variants of the strata.
    #[arg(long)]
    test_size: bool,
    /// The gate's configuration.
    #[arg(long, default_value = "perf-gate.toml")]
    gate: PathBuf,
    /// Override the gate's initial number of rounds.
    #[arg(long)]
    rounds: Option<usize>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// The base side's `harness micro --out` file (gungraun).
    #[arg(long, requires = "micro_head")]
    micro_base: Option<PathBuf>,
    /// The head side's `harness micro --out` file (gungraun).
    #[arg(long, requires = "micro_base")]
    micro_head: Option<PathBuf>,
    /// Accept different findings on the two sides.
    #[arg(long)]
    allow_findings_change: bool,
    /// Compare even when the two sides' environments differ.
    #[arg(long)]
    force: bool,
}

fn parse_strata(list: &str) -> anyhow::Result<Vec<Stratum>> {
    let mut strata = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match Stratum::from_name(name) {
            Some(s) => strata.push(s),
            None => bail!("--strata: unknown stratum {name:?} (expected small, medium or large)"),
        }
    }
    if strata.is_empty() {
        bail!("--strata: no strata given");
    }
    Ok(strata)
}

/// Both servers' greetings must describe one machine and one set of corpora.
fn check_sides(base: &Hello, head: &Hello, force: bool) -> anyhow::Result<Vec<String>> {
    let mismatches = base.environment.mismatches(&head.environment);
    if !mismatches.is_empty() && !force {
        bail!(
            "the two sides' environments differ ({}); pass --force to compare anyway",
            mismatches.join("; ")
        );
    }
    if base.corpora != head.corpora {
        bail!(
            "the two sides loaded different corpora: base {:?}, head {:?}",
            base.corpora,
            head.corpora
        );
    }
    Ok(mismatches)
}

fn server_args(args: &CompareArgs, cores: &str) -> Vec<String> {
    let mut v = vec![
        "--strata".to_string(),
        args.strata.clone(),
        "--threads".into(),
        args.threads.to_string(),
        "--pin".into(),
        cores.to_string(),
        "--trust-corpora".into(),
        "--corpora".into(),
        args.corpora
            .clone()
            .unwrap_or_else(corpora::default_root)
            .display()
            .to_string(),
    ];
    if args.test_size {
        v.push("--test-size".into());
    }
    v
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(p).with_context(|| format!("{} does not exist", p.display()))
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let strata = parse_strata(&args.strata)?;
    let gate = harness::compare::gate::Gate::read(&args.gate)?;
    let cores = match &args.pin {
        Some(spec) => affinity::parse_cores(spec).map_err(anyhow::Error::msg)?,
        None => {
            let available = affinity::available();
            if available.len() < args.threads {
                bail!(
                    "--threads {} needs {} cores, only {available:?} are available",
                    args.threads,
                    args.threads
                );
            }
            available[..args.threads].to_vec()
        }
    };
    let cores_arg = cores
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let dir = std::env::current_dir().context("reading the current folder")?;
    let sargs = server_args(&args, &cores_arg);
    let base_bin = absolute(&args.base_bin)?;
    let head_bin = absolute(&args.head_bin)?;
    let mut servers = Servers {
        base: Client::spawn("base", &base_bin, &dir, &sargs)?,
        head: Client::spawn("head", &head_bin, &dir, &sargs)?,
    };
    let base_hello = servers.base.hello()?;
    let head_hello = servers.head.hello()?;
    let forced = check_sides(&base_hello, &head_hello, args.force)?;
    eprintln!(
        "compare: both sides ready, pinned to cores {cores_arg}, counters {}",
        base_hello.counter_source.name()
    );

    let initial = args.rounds.unwrap_or(gate.rounds.initial);
    let mut all: Vec<StratumRounds> = strata
        .iter()
        .map(|&s| StratumRounds::new(s, gate.rounds.max_reruns()))
        .collect();
    let mut progress = |p: Progress| match p {
        Progress::Warmup { .. } => {}
        Progress::Round {
            stratum,
            index,
            ratio,
            rerun,
        } => eprintln!(
            "compare: {:>6} round {:>3}  head/base wall {:.4}{}",
            stratum.name(),
            index + 1,
            ratio,
            if rerun { "  (contaminated: again)" } else { "" }
        ),
    };
    for r in &mut all {
        r.warm(&mut servers, gate.rounds.warmup, &mut progress)?;
        r.extend(&mut servers, initial, &mut progress)?;
    }
    todo_analysis(&args, &gate, &mut servers, &mut all, &mut progress, forced, started)
}
