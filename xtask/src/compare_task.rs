//! `cargo xtask bench-compare BASE [HEAD]`: builds two revisions and has
//! the harness measure them interleaved and paired.
//!
//! This task owns the git and cargo side: resolving the revisions, checking
//! each out into its own worktree under `target/bench-compare/`, building
//! each side's release harness (cached by commit: a commit's binary never
//! changes), building the corpora once with this checkout's generator,
//! and running each side's gungraun suite (cached by commit too, as
//! instruction counts are deterministic). It then hands both binaries, as
//! a typed [`CompareJob`], to the harness's driver ([`harness::compare::drive`],
//! called in this process), which runs them as resident `harness serve`
//! processes, decides, and writes the outputs. Worktrees are removed when
//! the task ends, also on error or Ctrl-C.
//!
//! Exit codes are the harness's: 0 pass, 1 regression, 2 error, 3
//! inconclusive.

use crate::corpora_task::build_all;
use crate::exact::exact_pairs;
use crate::harness_build::{target_dir, workspace_root};
use crate::layouts::{harness_with_layouts, seeds};
use crate::profile_task::profile_and_diff;
use crate::revisions::{Side, Worktrees, check_interrupt, resolve, working_tree};
use anyhow::{Context, bail};
use harness::cli::{CompareOptions, ProfileArgs};
use harness::compare::{CompareJob, SideJob};
use harness_model::WorkloadId;
use harness_model::compare::Revision;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base revision (anything `git rev-parse` understands).
    pub base: String,
    /// The head revision; omitted, the working tree as it is now
    /// (uncommitted changes included).
    pub head: Option<String>,
    #[command(flatten)]
    pub options: CompareOptions,
    /// Skip the gungraun microbenchmarks.
    #[arg(long)]
    pub no_micro: bool,
    /// Skip the differential profiles after the verdicts.
    #[arg(long, conflicts_with = "profile_all")]
    pub no_profile: bool,
    /// Profile every stratum, not only those whose gated metric moved.
    #[arg(long)]
    pub profile_all: bool,
    /// Output folder (default: results/compare/<base>-<head>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Keep the worktrees (for debugging a build).
    #[arg(long)]
    pub keep_worktrees: bool,
    /// Skip the exact end-to-end figures (callgrind) the gate's `[exact]` asks for.
    #[arg(long)]
    pub no_exact: bool,
    /// Calibrate the gate on this machine instead of comparing: BASE is the
    /// build to calibrate with (HEAD must be omitted); see `--k` and `--sizes`.
    #[arg(long)]
    pub calibrate: bool,
    /// Calibration: compares per experiment.
    #[arg(long, default_value_t = 10, requires = "calibrate")]
    pub k: usize,
    /// Calibration: injected slowdowns, as shares of CPU time.
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [0.01, 0.02, 0.04],
        requires = "calibrate"
    )]
    pub sizes: Vec<f64>,
    /// Calibration: which experiments (aa, layout, injected).
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = ["aa".to_string(), "layout".to_string(), "injected".to_string()],
        requires = "calibrate"
    )]
    pub experiments: Vec<String>,
}

/// `side`'s gungraun results (cached by commit): `None` when its revision
/// has no `harness micro` (older than the microbenchmarks).
fn micro(
    side: &Side,
    harness: &Path,
    dir: &Path,
    target: &Path,
    cache: &Path,
    corpora_root: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    let out = cache.join(format!("{}.json", side.short()));
    if !side.dirty && out.exists() {
        eprintln!("bench-compare: {} micro results cached", side.label);
        return Ok(Some(out));
    }
    let help = Command::new(harness)
        .args(["micro", "--help"])
        .output()
        .context("asking the harness for `micro`")?;
    if !help.status.success() {
        eprintln!(
            "bench-compare: the {} revision has no `harness micro`; microbenchmarks skipped",
            side.label
        );
        return Ok(None);
    }
    eprintln!("bench-compare: running the {} gungraun suite", side.label);
    std::fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let tmp = out.with_extension("partial");
    let status = Command::new(harness)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        // Both sides read their benchmark inputs from the one corpora
        // folder, so the inputs (and their paths) are the same bytes.
        .env("SCANNER_CORPORA_DIR", corpora_root)
        .args(["micro", "--instrument", "gungraun", "--workspace"])
        .arg(dir)
        .arg("--out")
        .arg(&tmp)
        .status()
        .context("running harness micro")?;
    if !status.success() {
        bail!("the {} gungraun suite failed ({status})", side.label);
    }
    std::fs::rename(&tmp, &out).with_context(|| format!("caching {}", out.display()))?;
    Ok(Some(out))
}

/// The differential profiles of the workloads whose gated metric moved
/// (every workload with `all`), added to the compare's outputs.
fn where_profiles(
    root: &Path,
    job: &CompareJob,
    file: &harness_model::compare::CompareFile,
    sides: [(&Side, &PathBuf); 2],
    all: bool,
) -> anyhow::Result<()> {
    let ids = harness_analysis::profile::workloads_to_profile(file, all);
    if ids.is_empty() {
        return Ok(());
    }
    let mut corpora = job.options.corpora.clone();
    corpora.strata = harness::cli::StrataList(ids.iter().filter_map(WorkloadId::stratum).collect());
    let repos: Vec<String> = ids
        .iter()
        .filter(|id| id.stratum().is_none())
        .map(ToString::to_string)
        .collect();
    corpora.workloads = (!repos.is_empty()).then_some(harness::cli::NameList(repos));
    let profile = ProfileArgs {
        threads: job.options.placement.threads,
        ..ProfileArgs::default()
    };
    let profiles = root.join("results").join("profiles");
    let [(bs, bb), (hs, hb)] = sides;
    let pairs = [(bs, bb.as_path()), (hs, hb.as_path())];
    let Some(diffs) = profile_and_diff(pairs, &corpora, &profile, &profiles, &job.out)? else {
        return Ok(());
    };
    harness::profile::attach_to_compare(&job.out, file, &diffs)?;
    eprintln!(
        "bench-compare: differential profiles of {} workload(s) in {}",
        diffs.len(),
        job.out.display()
    );
    Ok(())
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.calibrate {
        if args.head.is_some() {
            bail!("--calibrate measures one build: give BASE only");
        }
        return crate::calibrate_task::run(args);
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        // Ctrl-C reaches the children too (same process group) and ends
        // them; this process only notes it, so the worktrees get removed.
        let flag = Arc::clone(&interrupted);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let root = workspace_root();
    let strata = &args.options.corpora.strata.0;
    let gate = if args.options.gate.gate.is_absolute() {
        args.options.gate.gate.clone()
    } else {
        root.join(&args.options.gate.gate)
    };
    if !gate.is_file() {
        bail!("the gate configuration {} does not exist", gate.display());
    }
    let gate_file = harness_model::gate::Gate::read(&gate)?;
    let layout_seeds = seeds(gate_file.replication.layouts, 0);
    let base = resolve(&root, "base", &args.base)?;
    let head = match &args.head {
        Some(rev) => resolve(&root, "head", rev)?,
        None => working_tree(&root, "head")?,
    };
    let work = root.join("target").join("bench-compare");
    let target = work.join("target");
    let bins = work.join("bin");
    let micro_cache = work.join("micro");
    let mut worktrees = Worktrees {
        root: root.clone(),
        paths: Vec::new(),
        keep: args.keep_worktrees,
    };

    // Corpora first: one spec, this checkout's generator, used by both.
    let corpora_root = args.options.corpora.root();
    eprintln!(
        "bench-compare: corpora ({}) in {}",
        args.options.corpora.strata,
        corpora_root.display()
    );
    build_all(strata, &corpora_root, args.options.corpora.test_size)?;
    check_interrupt(&interrupted)?;

    // Each side's build (and micro suite) in its own worktree, unless both
    // are cached; a dirty working tree builds in place.
    let mut sides = Vec::new();
    for side in [&base, &head] {
        let cached = |p: PathBuf| !side.dirty && p.exists();
        let folder = bins.join(side.short());
        let need_build = !cached(folder.join("harness"))
            || layout_seeds
                .iter()
                .any(|s| !cached(folder.join(format!("harness.layout-{s}"))));
        let need_micro =
            !args.no_micro && !cached(micro_cache.join(format!("{}.json", side.short())));
        let (dir, side_target) = if side.dirty {
            (root.clone(), target_dir(&root))
        } else if need_build || need_micro {
            (worktrees.add(side, &work.join("wt"))?, target.clone())
        } else {
            (root.clone(), target.clone())
        };
        let (bin, layouts) = harness_with_layouts(side, &dir, &side_target, &bins, &layout_seeds)?;
        check_interrupt(&interrupted)?;
        let micro_file = if args.no_micro {
            None
        } else {
            micro(side, &bin, &dir, &side_target, &micro_cache, &corpora_root)?
        };
        check_interrupt(&interrupted)?;
        sides.push((bin, layouts, micro_file));
    }
    // The worktrees were only needed for building; measuring runs the
    // cached binaries, so remove them before the long part.
    drop(worktrees);

    let out = args.out.clone().unwrap_or_else(|| {
        root.join("results")
            .join("compare")
            .join(format!("{}-{}", base.short(), head.short()))
    });
    let side_job =
        |side: &Side, (bin, layouts, micro): (PathBuf, Vec<PathBuf>, Option<PathBuf>)| SideJob {
            bin,
            revision: Revision {
                rev: side.rev.clone(),
                commit: side.commit.clone(),
                dirty: side.dirty,
            },
            micro,
            layouts,
            inject: None,
        };
    let mut sides = sides.into_iter();
    let (Some(b), Some(h)) = (sides.next(), sides.next()) else {
        bail!("both sides must be built");
    };
    let mut corpora = args.options.corpora.clone();
    corpora.corpora = Some(corpora_root);
    // Exact figures before the timed rounds (they run callgrind on both
    // cores), for the strata the compare measures and `[exact]` names.
    let exact = if args.no_exact {
        Vec::new()
    } else {
        let strata = gate_file.exact.strata_among(&corpora.strata.0);
        let profiles = root.join("results").join("profiles");
        exact_pairs(&strata, [(&base, &b.0), (&head, &h.0)], &corpora, &profiles)?
    };
    check_interrupt(&interrupted)?;
    let mut gate_args = args.options.gate.clone();
    gate_args.gate = gate;
    let job = CompareJob {
        base: side_job(&base, b),
        head: side_job(&head, h),
        options: CompareOptions {
            corpora,
            placement: args.options.placement.clone(),
            gate: gate_args,
        },
        out,
        exact,
        calibrations: Some(root.join("results").join("calibration")),
        processes: None,
    };
    let outcome = harness::compare::drive(&job)?;
    println!("{}", outcome.summary);
    check_interrupt(&interrupted)?;
    if !args.no_profile {
        // After the measured rounds, never during them. A profile that
        // cannot be made is reported and leaves the gate's verdict alone.
        let sides = [(&base, &job.base.bin), (&head, &job.head.bin)];
        if let Err(e) = where_profiles(&root, &job, &outcome.file, sides, args.profile_all) {
            eprintln!("bench-compare: no differential profiles: {e:#}");
        }
    }
    Ok(ExitCode::from(
        u8::try_from(outcome.file.exit_code).unwrap_or(2),
    ))
}
