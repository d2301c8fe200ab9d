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
use harness::compare::comment::render_comment;
use harness::compare::gate::Gate;
use harness::compare::model::{
    CompareFile, CompareInput, Findings, MethodInput, MicroPair, Revision, Round, StratumPairs,
    write_compare,
};
use harness::compare::{analyze, more_rounds};
use harness::interleave::{Progress, Servers, StratumRounds};
use harness::measure::Sample;
use harness::micro::{Instrument, MicroResult};
use harness::serve::{Client, Hello};
use sha2::{Digest, Sha256};
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
    #[arg(long, conflicts_with = "unpinned")]
    pin: Option<String>,
    /// Run both sides unpinned (noisier; for machines where pinning is
    /// not allowed).
    #[arg(long)]
    unpinned: bool,
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
    Stratum::parse_list(list).map_err(|e| anyhow::anyhow!("--strata: {e}"))
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
    let pin = if args.unpinned {
        vec!["--unpinned".to_string()]
    } else {
        vec!["--pin".to_string(), cores.to_string()]
    };
    let mut v = vec![
        "--strata".to_string(),
        args.strata.clone(),
        "--threads".into(),
        args.threads.to_string(),
    ];
    v.extend(pin);
    v.extend([
        "--trust-corpora".into(),
        "--corpora".into(),
        args.corpora
            .clone()
            .unwrap_or_else(corpora::default_root)
            .display()
            .to_string(),
    ]);
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
    let gate = Gate::read(&args.gate)?;
    let cores = match &args.pin {
        _ if args.unpinned => Vec::new(),
        Some(spec) => affinity::parse_cores(spec).map_err(anyhow::Error::msg)?,
        None => {
            let available = affinity::available();
            if available.len() < args.threads {
                bail!(
                    "--threads {} needs {} cores to pin both sides to, only {available:?} are available (pass --pin or --unpinned)",
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
        "compare: both sides ready, {}, counters {}",
        if args.unpinned {
            "unpinned".to_string()
        } else {
            format!("pinned to cores {cores_arg}")
        },
        base_hello.counter_source.name()
    );

    let mut all: Vec<StratumRounds> = strata
        .iter()
        .map(|&s| StratumRounds::new(s, MAX_RERUNS))
        .collect();
    let mut progress = |p: Progress| match p {
        Progress::Warmup { .. } => {}
        Progress::Round {
            stratum,
            index,
            ratio,
            rerun,
        } => {
            if rerun || (index + 1) % 10 == 0 {
                eprintln!(
                    "compare: {:>6} round {:>4}  head/base wall {:.4}{}",
                    stratum.name(),
                    index + 1,
                    ratio,
                    if rerun { "  (contaminated: again)" } else { "" }
                );
            }
        }
    };
    for r in &mut all {
        let caps = gate.rounds.caps(r.stratum);
        // `--rounds` replaces the unscaled initial count; the stratum's
        // scale still applies.
        let initial = args.rounds.map_or(caps.initial, |n| {
            n * (caps.initial / gate.rounds.initial.max(1)).max(1)
        });
        r.warm(&mut servers, gate.rounds.warmup, &mut progress)?;
        r.extend(&mut servers, initial, &mut progress)?;
    }
    let micro = match (&args.micro_base, &args.micro_head) {
        (Some(b), Some(h)) => micro_pairs(b, h)?,
        _ => Vec::new(),
    };
    let mut extensions = 0;
    let (input, file) = loop {
        let input = input(
            &args,
            &base_hello,
            &all,
            &micro,
            extensions,
            gate.rounds.warmup,
        )?;
        let file = analyze(&input, &gate)?;
        let more = more_rounds(&file, &gate);
        if more.is_empty() {
            break (input, file);
        }
        extensions += 1;
        for (stratum, n) in more {
            if let Some(r) = all.iter_mut().find(|r| r.stratum == stratum) {
                eprintln!(
                    "compare: {} is inconclusive after {} rounds: {n} more",
                    stratum.name(),
                    r.rounds.len()
                );
                r.extend(&mut servers, n, &mut progress)?;
            }
        }
    };
    servers.base.finish()?;
    servers.head.finish()?;
    if !forced.is_empty() {
        eprintln!(
            "compare: warning: environments differ (forced): {}",
            forced.join("; ")
        );
    }
    write_outputs(&args.out, &input, &file)?;
    eprintln!(
        "compare: {} in {:.0} s; outputs in {}",
        file.outcome.name(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    let comment = render_comment(&file);
    if let Some(first) = comment.lines().find(|l| !l.starts_with("<!--")) {
        println!("{first}");
    }
    Ok(ExitCode::from(u8::try_from(file.exit_code).unwrap_or(2)))
}

/// Contaminated rounds measured again per stratum before they are kept.
const MAX_RERUNS: usize = 5;

/// One side's findings over every round: they must not vary within a
/// side. The digest covers every stratum's findings, in stratum order.
fn side_findings<'a>(
    side: &str,
    samples: impl Iterator<Item = (Stratum, &'a Sample)>,
) -> anyhow::Result<(String, u64)> {
    let mut seen: Vec<(Stratum, &str, u64)> = Vec::new();
    for (stratum, s) in samples {
        match seen.iter().find(|(st, _, _)| *st == stratum) {
            Some((_, d, _)) if *d != s.findings_digest => bail!(
                "the {side} side's findings on {} changed between iterations: the scanner is not deterministic",
                stratum.name()
            ),
            Some(_) => {}
            None => {
                if let Some(diff) = &s.truth_diff {
                    eprintln!(
                        "compare: the {side} side's findings on {} differ from the ground truth: {diff}",
                        stratum.name()
                    );
                }
                seen.push((stratum, &s.findings_digest, s.findings));
            }
        }
    }
    let mut hasher = Sha256::new();
    for (stratum, digest, _) in &seen {
        hasher.update(stratum.name().as_bytes());
        hasher.update(b" ");
        hasher.update(digest.as_bytes());
        hasher.update(b"\n");
    }
    let count = seen.iter().map(|(_, _, n)| n).sum();
    Ok((hex::encode(hasher.finalize()), count))
}

fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    harness::results::rfc3339(secs)
}

/// The analysis input from the rounds so far.
fn input(
    args: &CompareArgs,
    hello: &Hello,
    all: &[StratumRounds],
    micro: &[MicroPair],
    extensions: usize,
    warmup_rounds: usize,
) -> anyhow::Result<CompareInput> {
    let samples = |base: bool| {
        all.iter().flat_map(move |r| {
            r.rounds
                .iter()
                .map(move |p| (r.stratum, if base { &p.base } else { &p.head }))
        })
    };
    let (base_digest, base_count) = side_findings("base", samples(true))?;
    let (head_digest, head_count) = side_findings("head", samples(false))?;
    let strata = all
        .iter()
        .map(|r| {
            let bytes = r.rounds.first().map_or(0, |p| p.base.bytes);
            StratumPairs {
                stratum: r.stratum,
                bytes,
                rounds: r
                    .rounds
                    .iter()
                    .map(|p| Round {
                        index: p.index,
                        base_first: p.base_first,
                        base: p.base.iteration.clone(),
                        head: p.head.iteration.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(CompareInput {
        created: now(),
        base: Revision {
            rev: args.base_rev.clone(),
            commit: args.base_commit.clone(),
            dirty: false,
        },
        head: Revision {
            rev: args.head_rev.clone(),
            commit: args.head_commit.clone(),
            dirty: args.head_dirty,
        },
        environment: hello.environment.clone(),
        method: MethodInput {
            warmup_rounds,
            threads: args.threads,
            extensions,
            allow_findings_change: args.allow_findings_change,
        },
        findings: Findings {
            base_digest,
            head_digest,
            base_count,
            head_count,
        },
        strata,
        micro: micro.to_vec(),
    })
}

/// compare.json, comment.md, report.html and the raw input (input.json,
/// from which the same analysis can be run again).
fn write_outputs(out: &Path, input: &CompareInput, file: &CompareFile) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let raw = serde_json::to_string(input).context("serializing the rounds")?;
    std::fs::write(out.join("input.json"), raw)
        .with_context(|| format!("writing {}", out.join("input.json").display()))?;
    write_compare(file, &out.join("compare.json"))?;
    let comment = out.join("comment.md");
    std::fs::write(&comment, render_comment(file))
        .with_context(|| format!("writing {}", comment.display()))?;
    let report = out.join("report.html");
    let html = harness::report::compare_report(file).context("rendering report.html")?;
    std::fs::write(&report, html).with_context(|| format!("writing {}", report.display()))?;
    Ok(())
}

/// The deterministic microbenchmark figures (gungraun's instruction counts
/// and estimated cycles) of both sides, paired by benchmark and metric. A
/// benchmark only one side has is named on stderr and not compared.
fn micro_pairs(base: &Path, head: &Path) -> anyhow::Result<Vec<MicroPair>> {
    let read = |p: &Path| -> anyhow::Result<Vec<MicroResult>> {
        Ok(harness::results::read_run(p)
            .with_context(|| format!("reading micro results {}", p.display()))?
            .micro)
    };
    let (base, head) = (read(base)?, read(head)?);
    let deterministic = |r: &MicroResult| {
        r.instrument == Instrument::Gungraun && r.figures.iter().any(|f| f.metric.deterministic())
    };
    let mut pairs = Vec::new();
    for b in base.iter().filter(|r| deterministic(r)) {
        let Some(h) = head
            .iter()
            .find(|h| h.id == b.id && h.instrument == b.instrument)
        else {
            eprintln!(
                "compare: micro {} only on the base side: not compared",
                b.id
            );
            continue;
        };
        for fb in b.figures.iter().filter(|f| f.metric.deterministic()) {
            if let Some(fh) = h.figures.iter().find(|f| f.metric == fb.metric) {
                pairs.push(MicroPair {
                    id: b.id.clone(),
                    metric: fb.metric.name().to_string(),
                    unit: fb.unit.clone(),
                    base: fb.value,
                    head: fh.value,
                });
            }
        }
    }
    for h in head.iter().filter(|r| deterministic(r)) {
        if !base.iter().any(|b| b.id == h.id) {
            eprintln!(
                "compare: micro {} only on the head side: not compared",
                h.id
            );
        }
    }
    Ok(pairs)
}
