//! `cargo xtask bench`: the main job. Builds the corpora if missing (cached
//! by spec), builds the release harness, and runs it over the strata with a
//! typed job file (`harness run --job`): the harness writes the results
//! file this task named and prints the table. Then it runs the stage
//! microbenchmarks (both suites, through `harness::micro` in this process:
//! the runner only drives `cargo bench`) and folds them into the same file;
//! `--no-micro` skips them, `--micro` runs only them (into a file of their
//! own). Before them it records the exact end-to-end figures (one callgrind
//! scan of each stratum the gate's `[exact]` names, cached by commit;
//! `--no-exact` skips them). Every results file it writes is appended to
//! the history database (`results/history.sqlite`, see docs/history.md).

use crate::corpora_task::build_all;
use crate::exact::own_exact;
use crate::harness_build::{release_harness, target_dir, workspace_root};
use crate::revisions::working_tree;
use anyhow::{Context, bail};
use harness::cli::RunArgs;
use harness::micro::Instrument;
use harness_model::results::{self, RunFile};
use harness_report::{Output, Reports, RunInput};
use std::path::Path;
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run only the stage microbenchmarks (criterion and gungraun).
    #[arg(long, conflicts_with = "no_micro")]
    micro: bool,
    /// Skip the stage microbenchmarks (quick runs).
    #[arg(long)]
    no_micro: bool,
    /// Skip the exact end-to-end figures (callgrind scans of the strata
    /// `perf-gate.toml`'s `[exact]` names).
    #[arg(long)]
    no_exact: bool,
    /// How `harness run` measures (the same flags, see `harness run --help`).
    #[command(flatten)]
    run: RunArgs,
}

fn print_table(run: &RunFile) -> anyhow::Result<()> {
    let input = RunInput {
        runs: std::slice::from_ref(run),
        history: &[],
        skipped: &[],
    };
    for r in Reports::of(&[Output::Table]).run(input)? {
        print!("{}", r.text);
    }
    Ok(())
}

/// Appends the run in `file` to the history database (`bench` always does;
/// `harness history import` rebuilds it from the files at any time).
fn append_history(root: &Path, file: &Path) -> anyhow::Result<()> {
    use harness::history::{self, History, Imported};
    let db = history::default_db();
    let mut h = History::open(&db)?;
    let branch = history::current_branch(root);
    for f in history::import_files(&mut h, &[file.to_owned()], root, branch)? {
        match f.result {
            Ok(Imported::Added(n)) => {
                eprintln!("bench: history: {n} figures added to {}", db.display());
            }
            Ok(Imported::AlreadyPresent) => eprintln!("bench: history: run already present"),
            Err(reason) => bail!("history: {reason}"),
        }
    }
    Ok(())
}

/// The results file of a run started now in `root`.
fn results_path(root: &Path) -> std::path::PathBuf {
    let (sha, _) = harness::environment::git_state(root);
    results::run_path(root, &harness::clock::now_rfc3339(), sha.as_deref())
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = workspace_root();
    if args.micro {
        eprintln!("bench: stage microbenchmarks");
        let micro = harness::micro::run(&root, &Instrument::all(), false)?;
        let run = harness::micro::micro_only_run(&root, micro).map_err(anyhow::Error::msg)?;
        let out = results::run_path(&root, &run.created, run.environment.git_sha.as_deref());
        results::write_run(&run, &out)?;
        print_table(&run)?;
        println!("\nresults: {}", out.display());
        return append_history(&root, &out);
    }
    let corpora = &args.run.session.corpora;
    let corpora_root = corpora.root();
    eprintln!(
        "bench: corpora ({}) in {}",
        corpora.strata,
        corpora_root.display()
    );
    build_all(&corpora.strata.0, &corpora_root, corpora.test_size)?;
    eprintln!("bench: building the release harness");
    let harness = release_harness(&root, &target_dir(&root), "the release harness")?;
    let mut job = args.run.clone();
    job.session.corpora.corpora = Some(corpora_root);
    let out = job.out.clone().unwrap_or_else(|| results_path(&root));
    job.out = Some(out.clone());
    let job_file = target_dir(&root).join("xtask").join("run-job.json");
    job.write_job(&job_file)?;
    let status = Command::new(&harness)
        .current_dir(&root)
        .arg("run")
        .arg("--job")
        .arg(&job_file)
        .status()
        .with_context(|| format!("running {}", harness.display()))?;
    if !status.success() {
        bail!("the harness failed ({status})");
    }
    if args.no_micro && args.no_exact {
        return append_history(&root, &out);
    }
    let mut run = results::read_run(&out)?;
    if !args.no_exact {
        let gate = harness_model::gate::Gate::read(&root.join("perf-gate.toml"))?;
        let strata = gate.exact.strata_among(&corpora.strata.0);
        let side = working_tree(&root, "checked-out")?;
        let profiles = root.join("results").join("profiles");
        run.exact = own_exact(&side, &harness, &strata, &job.session.corpora, &profiles)?;
        results::write_run(&run, &out)?;
    }
    if !args.no_micro {
        eprintln!("bench: stage microbenchmarks into {}", out.display());
        run.micro = harness::micro::run(&root, &Instrument::all(), false)?;
        results::write_run(&run, &out)?;
    }
    print_table(&run)?;
    println!("\nresults: {}", out.display());
    append_history(&root, &out)
}
