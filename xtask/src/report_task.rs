//! `cargo xtask report [RUN.json…]`: writes `results/report.html` from the
//! given results files (default: the newest in `results/runs`) with the
//! history of every file in `results/runs`, and prints its path. The page
//! is made by `harness::report`; see `docs/report.md`.

use crate::harness_build::workspace_root;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Results files to report on (default: the newest in results/runs).
    runs: Vec<PathBuf>,
    /// Where to write the page (default: results/report.html in the workspace).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The newest results file in `dir`: file names start with the run's UTC
/// timestamp, so the greatest name is the latest run.
fn newest(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the kept runs", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    match names.pop() {
        Some(p) => Ok(p),
        None => bail!(
            "{}: no results files; run `cargo xtask bench` first or name one",
            dir.display()
        ),
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let history = root.join("results").join("runs");
    let runs = if args.runs.is_empty() {
        vec![newest(&history)?]
    } else {
        args.runs.clone()
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("results").join("report.html"));
    let w = harness_report::write_report(&runs, &history, &out)?;
    for f in &w.skipped {
        eprintln!("report: warning: history: skipped {}", f.reason);
    }
    eprintln!(
        "report: {} charts, {} runs in the history",
        w.figures, w.history_runs
    );
    println!("{}", w.path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_is_the_latest_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "20261121T035303Z-a.json",
            "20261121T041629Z-b.json",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(n), "{}").unwrap();
        }
        let p = newest(dir.path()).unwrap();
        assert!(p.ends_with("20261121T041629Z-b.json"), "{}", p.display());
        let empty = tempfile::tempdir().unwrap();
        let e = newest(empty.path()).unwrap_err().to_string();
        assert!(e.contains("no results files"), "{e}");
    }
}
