//! `cargo xtask bench`: the main job. Builds the corpora if missing (cached
//! by spec), builds the release harness, and runs it over the strata; the
//! harness writes `results/runs/<timestamp>-<sha>.json` and prints the table.
//! Then it runs the stage microbenchmarks (`harness micro`, both suites) and
//! folds them into the same file; `--no-micro` skips them, `--micro` runs
//! only them (into a file of their own).

use crate::corpora_task::{build_all, parse_strata};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run only the stage microbenchmarks (criterion and gungraun).
    #[arg(long, conflicts_with = "no_micro")]
    micro: bool,
    /// Skip the stage microbenchmarks (quick runs).
    #[arg(long)]
    no_micro: bool,
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
    let root = corpora::default_root();
    if !args.micro {
        let list = strata_arg(&args.harness_args);
        let strata = parse_strata(list)?;
        eprintln!("bench: corpora ({list}) in {}", root.display());
        build_all(&strata, &root, false)?;
    }
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
    let mut micro = Command::new(&harness);
    micro
        .current_dir(workspace_root())
        .env("SCANNER_CORPORA_DIR", &root)
        .args(["micro", "--instrument", "both", "--workspace"])
        .arg(workspace_root());
    if args.micro {
        eprintln!("bench: stage microbenchmarks");
        let status = micro
            .status()
            .with_context(|| format!("running {} micro", harness.display()))?;
        if !status.success() {
            bail!("the microbenchmarks failed ({status})");
        }
        return Ok(());
    }
    // The table goes to stdout; the last line names the results file.
    let out = Command::new(&harness)
        .current_dir(workspace_root())
        .arg("run")
        .arg("--corpora")
        .arg(&root)
        .args(&args.harness_args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", harness.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    if !out.status.success() {
        bail!("the harness failed ({})", out.status);
    }
    if args.no_micro {
        return Ok(());
    }
    let file = results_file(&stdout).context("the harness did not name its results file")?;
    eprintln!("bench: stage microbenchmarks into {}", file.display());
    let status = micro
        .arg("--into")
        .arg(&file)
        .status()
        .with_context(|| format!("running {} micro", harness.display()))?;
    if !status.success() {
        bail!("the microbenchmarks failed ({status})");
    }
    Ok(())
}

/// The path on the harness's closing `results: PATH` line.
fn results_file(stdout: &str) -> Option<PathBuf> {
    stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("results: "))
        .map(|p| PathBuf::from(p.trim()))
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

    #[test]
    fn the_results_file_is_read_from_the_closing_line() {
        let out = "table\nresults: results/runs/x.json\n";
        assert_eq!(
            results_file(out),
            Some(PathBuf::from("results/runs/x.json"))
        );
        assert_eq!(results_file("no file\n"), None);
    }
}
