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
    /// Where to write the page (default: results/report.html in the
    /// workspace; with --history, the folder results/trend).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the trend pages of the history database instead (one per
    /// workload and metric, and an index); the kept runs are imported first.
    #[arg(long, conflicts_with = "runs")]
    history: bool,
}

/// The `.json` files in `dir`, oldest first (names start with the run's
/// UTC timestamp).
fn kept_runs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the kept runs", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    Ok(names)
}

/// `--history`: imports the kept runs (idempotent) and writes the trend
/// pages with their change points.
fn trend_pages(root: &Path, history_dir: &Path, out: Option<PathBuf>) -> anyhow::Result<()> {
    use harness::history::{self, History};
    let mut h = History::open(&history::default_db())?;
    let files = kept_runs(history_dir)?;
    for f in history::import_files(&mut h, &files, root, None)? {
        if let Err(reason) = f.result {
            eprintln!("report: warning: not imported: {reason}");
        }
    }
    let gate = harness_model::gate::Gate::read(&root.join("perf-gate.toml"))?;
    let trends = history::trends(&h, &gate.history, None, None)?;
    let out = out.unwrap_or_else(|| root.join("results").join("trend"));
    let written = history::write_trend_pages(&trends, &out)?;
    eprintln!(
        "report: {} trend pages, {} change points",
        written.len().saturating_sub(1),
        trends.iter().map(|t| t.detections.len()).sum::<usize>()
    );
    println!("{}", out.join("index.html").display());
    Ok(())
}

/// The newest results file in `dir`: file names start with the run's UTC
/// timestamp, so the greatest name is the latest run.
fn newest(dir: &Path) -> anyhow::Result<PathBuf> {
    match kept_runs(dir)?.pop() {
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
    if args.history {
        return trend_pages(&root, &history, args.out.clone());
    }
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
