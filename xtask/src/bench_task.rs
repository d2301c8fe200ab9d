//! `cargo xtask bench`: the main job. Builds the corpora if missing (cached
//! by spec), builds the release harness, and runs it over the strata; the
//! harness writes `results/runs/<timestamp>-<sha>.json` and prints the table.

use crate::corpora_task::{build_all, parse_strata};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Comma-separated strata (small, medium, large).
    #[arg(long, default_value = "small,medium,large")]
    strata: String,
    /// Measured iterations per stratum.
    #[arg(long, default_value_t = 15)]
    iterations: usize,
    /// Warm-up iterations per stratum.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Scanner worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Cores to pin to (default: the first THREADS cores).
    #[arg(long)]
    pin: Option<String>,
    /// Measure without pinning.
    #[arg(long)]
    unpinned: bool,
    /// Counter source: auto, perf_event, tsc, monotonic.
    #[arg(long, default_value = "auto")]
    counters: String,
    /// Results file (default: results/runs/<timestamp>-<sha>.json).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let strata = parse_strata(&args.strata)?;
    let root = corpora::default_root();
    eprintln!("bench: corpora ({}) in {}", args.strata, root.display());
    build_all(&strata, &root, false)?;

    eprintln!("bench: building the release harness");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "--locked", "--quiet", "-p", "harness"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the release harness failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let harness = target.join("release").join("harness");

    let mut cmd = Command::new(&harness);
    cmd.current_dir(workspace_root()).args([
        "run",
        "--strata",
        &args.strata,
        "--iterations",
        &args.iterations.to_string(),
        "--warmup",
        &args.warmup.to_string(),
        "--threads",
        &args.threads.to_string(),
        "--counters",
        &args.counters,
    ]);
    cmd.arg("--corpora").arg(&root);
    if let Some(pin) = &args.pin {
        cmd.args(["--pin", pin]);
    }
    if args.unpinned {
        cmd.arg("--unpinned");
    }
    if let Some(out) = &args.out {
        cmd.arg("--out").arg(out);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running {}", harness.display()))?;
    if !status.success() {
        bail!("the harness failed ({status})");
    }
    Ok(())
}
