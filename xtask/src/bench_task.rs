//! `cargo xtask bench`: the main job. Builds the corpora if missing (cached
//! by spec), builds the release harness, and runs it over the strata; the
//! harness writes `results/runs/<timestamp>-<sha>.json` and prints the table.

use crate::corpora_task::{build_all, parse_strata};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Arguments for `harness run` (see `harness run --help`), for example
    /// `--strata medium --iterations 20 --unpinned`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    harness_args: Vec<String>,
}

/// The `--strata` list among the harness arguments (all strata by default).
fn strata_arg(args: &[String]) -> &str {
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix("--strata=") {
            return v;
        }
        if a == "--strata"
            && let Some(v) = args.get(i + 1)
        {
            return v;
        }
    }
    "small,medium,large"
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let list = strata_arg(&args.harness_args);
    let strata = parse_strata(list)?;
    let root = corpora::default_root();
    eprintln!("bench: corpora ({list}) in {}", root.display());
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
    let status = Command::new(&harness)
        .current_dir(workspace_root())
        .arg("run")
        .arg("--corpora")
        .arg(&root)
        .args(&args.harness_args)
        .status()
        .with_context(|| format!("running {}", harness.display()))?;
    if !status.success() {
        bail!("the harness failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strata_are_found_among_harness_arguments() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(strata_arg(&v(&["--iterations", "3"])), "small,medium,large");
        assert_eq!(
            strata_arg(&v(&["--strata", "medium", "--unpinned"])),
            "medium"
        );
        assert_eq!(strata_arg(&v(&["--strata=large"])), "large");
    }
}
