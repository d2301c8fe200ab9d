//! `cargo xtask bench-compare --calibrate REV`: the gate measures itself
//! on the machine at hand.
//!
//! One build (REV), its layout variants for compares (seeds `1..layouts`)
//! and a second set for the layout no-op (seeds `101..`), then K compares
//! of each experiment through the same driver a PR's compare uses:
//!
//! - **A/A**: the same binaries on both sides;
//! - **layout no-op**: the same commit, head relinked in other link orders
//!   (what an unrelated code change does to a build's layout);
//! - **injected**: the same binaries, the head side burning a known share
//!   of each iteration's CPU time inside the measured region
//!   (`harness serve --inject-slowdown`), once per size.
//!
//! Their outcomes become `results/calibration/<machine>.json`
//! (`harness_model::calibration`), which later compares on a machine with
//! the same fingerprint quote. Each compare's own outputs stay under
//! `results/calibration/runs/`. The build's exact end-to-end figures (the
//! gate's `[exact]`, made once and cached by commit) go into every compare
//! as both sides' figures, as a real compare of these builds would have
//! them, so that the calibration measures the gate as it decides, settling
//! included (`--no-exact`: the timed gate alone). Microbenchmarks are left
//! out: they cannot tell these sides apart.

use crate::compare_task::Args;
use crate::corpora_task::build_all;
use crate::exact::own_exact;
use crate::harness_build::workspace_root;
use crate::layouts::{harness_with_layouts, seeds};
use crate::revisions::{BuildCache, Worktrees, check_interrupt, resolve};
use anyhow::{Context, bail};
use harness::cli::CompareOptions;
use harness::compare::{CompareJob, SideJob};
use harness_analysis::calibration::{calibration_compare, experiment, summarize};
use harness_model::WorkloadId;
use harness_model::calibration::{
    CalibrationFile, ExperimentKind, calibration_schema, read_calibration, write_calibration,
};
use harness_model::compare::{ExactPair, Revision};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Seeds of the layout no-op's head variants start after this.
const NO_OP_SEED_OFFSET: u64 = 100;

/// A short, file-name-safe key of a machine fingerprint (FNV-1a, 64 bits).
fn machine_key(machine: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in machine.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let root = workspace_root();
    let gate_path = if args.options.gate.gate.is_absolute() {
        args.options.gate.gate.clone()
    } else {
        root.join(&args.options.gate.gate)
    };
    let gate = harness_model::gate::Gate::read(&gate_path)?;
    let mut kinds = Vec::new();
    for name in &args.experiments {
        kinds.push(match name.as_str() {
            "aa" => ExperimentKind::AA,
            "layout" => ExperimentKind::Layout,
            "injected" => ExperimentKind::Injected,
            other => bail!("--experiments: unknown experiment {other:?} (aa, layout, injected)"),
        });
    }
    if args.k == 0 {
        bail!("--k 0: a calibration needs at least one compare per experiment");
    }
    for &s in &args.sizes {
        if !(s > 0.0 && s <= 0.5) {
            bail!("--sizes: {s} is not a share in (0, 0.5]");
        }
    }
    let side = resolve(&root, "calibrated", &args.base)?;
    let corpora_root = args.options.corpora.root();
    build_all(
        &args.options.corpora.strata.0,
        &corpora_root,
        args.options.corpora.test_size,
    )?;
    let cache = BuildCache::new();
    let layouts = gate.replication.layouts.max(1);
    let compare_seeds = seeds(layouts, 0);
    let no_op_seeds = seeds(layouts, NO_OP_SEED_OFFSET);
    let mut all_seeds = compare_seeds.clone();
    if kinds.contains(&ExperimentKind::Layout) {
        all_seeds.extend(&no_op_seeds);
    }
    let (bin, variants) = {
        let mut worktrees = Worktrees {
            root: root.clone(),
            paths: Vec::new(),
            keep: args.keep_worktrees,
        };
        let dir = worktrees.add(&side, &cache.work.join("wt"))?;
        harness_with_layouts(&side, &dir, &cache.target, &cache.bins, &all_seeds)?
    };
    check_interrupt(&interrupted)?;
    let (compare_variants, no_op_variants) = variants.split_at(compare_seeds.len());
    let revision = Revision {
        rev: side.rev.clone(),
        commit: side.commit.clone(),
        dirty: false,
    };
    let side_job = |bin: PathBuf, layouts: Vec<PathBuf>, inject: Option<f64>| SideJob {
        bin,
        revision: revision.clone(),
        micro: None,
        layouts,
        inject,
    };
    let mut corpora = args.options.corpora.clone();
    corpora.corpora = Some(corpora_root);
    // The sides differ in layout or in the injection, never in the code
    // callgrind counts: one set of figures stands for both.
    let exact: Vec<ExactPair> = if args.no_exact {
        Vec::new()
    } else {
        let strata = gate.exact.strata_among(&corpora.strata.0);
        let profiles = root.join("results").join("profiles");
        own_exact(&side, &bin, &strata, &corpora, &profiles)?
            .into_iter()
            .map(|run| ExactPair {
                stratum: run.stratum,
                source: run.source,
                base: run.figures.clone(),
                head: run.figures,
            })
            .collect()
    };
    check_interrupt(&interrupted)?;
    let mut gate_args = args.options.gate.clone();
    gate_args.gate = gate_path;
    let out_root = root.join("results").join("calibration");
    let mut plan: Vec<(ExperimentKind, f64)> = Vec::new();
    for &k in &kinds {
        match k {
            ExperimentKind::AA | ExperimentKind::Layout => plan.push((k, 0.0)),
            ExperimentKind::Injected => plan.extend(args.sizes.iter().map(|&s| (k, s))),
        }
    }
    let mut experiments = Vec::new();
    let mut environment = None;
    for (kind, size) in plan {
        let mut compares = Vec::new();
        for i in 0..args.k {
            check_interrupt(&interrupted)?;
            let base = side_job(bin.clone(), compare_variants.to_vec(), None);
            let head = match kind {
                ExperimentKind::AA => side_job(bin.clone(), compare_variants.to_vec(), None),
                ExperimentKind::Layout => {
                    let (first, rest) = no_op_variants
                        .split_first()
                        .context("the layout no-op needs layouts of at least 2")?;
                    side_job(first.clone(), rest.to_vec(), None)
                }
                ExperimentKind::Injected => {
                    side_job(bin.clone(), compare_variants.to_vec(), Some(size))
                }
            };
            let label = match kind {
                ExperimentKind::Injected => format!("injected-{}pct", size * 100.0),
                ExperimentKind::AA => "aa".to_string(),
                ExperimentKind::Layout => "layout".to_string(),
            };
            eprintln!(
                "calibrate: {label} compare {} of {} ({} strata)",
                i + 1,
                args.k,
                corpora.strata
            );
            let job = CompareJob {
                base,
                head,
                options: CompareOptions {
                    corpora: corpora.clone(),
                    placement: args.options.placement.clone(),
                    gate: gate_args.clone(),
                },
                out: out_root.join("runs").join(format!("{label}-{}", i + 1)),
                exact: exact.clone(),
                calibrations: None,
                processes: None,
            };
            let outcome = harness::compare::drive(&job)?;
            eprintln!("calibrate: {}", outcome.summary);
            environment.get_or_insert_with(|| outcome.file.environment.clone());
            compares.push(calibration_compare(&outcome.file, outcome.seconds));
        }
        experiments.push(experiment(kind, size, compares));
    }
    let Some(environment) = environment else {
        bail!("no compare ran");
    };
    let created = harness::clock::now_rfc3339();
    let strata: Vec<WorkloadId> = corpora.strata.0.iter().map(|&s| s.into()).collect();
    let path = out_root.join(format!("{}.json", machine_key(&environment.machine())));
    // A calibration of the same build and strata on this machine keeps the
    // experiments this run did not repeat, so one experiment can be re-run
    // (or added) without re-running the others.
    if let Ok(earlier) = read_calibration(&path)
        && earlier.revision.commit == side.commit
        && earlier.summary.strata == strata
    {
        let repeated = |e: &harness_model::calibration::Experiment| {
            experiments
                .iter()
                .any(|n| n.kind == e.kind && n.injected == e.injected)
        };
        let kept: Vec<_> = earlier
            .experiments
            .into_iter()
            .filter(|e| !repeated(e))
            .collect();
        eprintln!(
            "calibrate: keeping {} experiment(s) of the earlier calibration of this build",
            kept.len()
        );
        experiments.extend(kept);
    }
    let summary = summarize(
        environment.machine(),
        created.clone(),
        side.commit.clone(),
        strata,
        &experiments,
    );
    let file = CalibrationFile {
        schema: calibration_schema(),
        created,
        revision,
        environment,
        experiments,
        summary,
    };
    write_calibration(&file, &path)?;
    print!("{}", harness_report::calibration::calibration_text(&file));
    println!("calibration: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
