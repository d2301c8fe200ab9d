//! main's history, run by the runtime: importing results files into the
//! database (with what only git knows: the commit's time, the branch),
//! detecting change points over every series, and writing the trend pages.
//! The store is `harness_history`, the statistics
//! `harness_analysis::changepoint`, the pages `harness_report::trend_page`.

use crate::environment::{self, git};
use harness_analysis::changepoint::ChangePointSettings;
pub use harness_history::{History, HistoryError, Imported, RunMeta};
use harness_model::history::SeriesKey;
use harness_model::results::{RunFile, read_run};
use harness_report::trend_page::{Trend, page_name, trend_index, trend_page};
use harness_report::{ReportError, write_text};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The database `bench` appends to and `history` reads by default.
pub fn default_db() -> PathBuf {
    environment::source_dir()
        .join("results")
        .join("history.sqlite")
}

/// What git in `repo` knows of `run`'s commit: its committer time; the
/// branch is the caller's (`bench` passes the checkout's).
pub fn meta(run: &RunFile, source: &Path, repo: &Path, branch: Option<String>) -> RunMeta {
    let commit_time = run.environment.git_sha.as_deref().and_then(|sha| {
        git(repo, &["show", "-s", "--format=%ct", sha]).and_then(|t| t.parse().ok())
    });
    RunMeta {
        source: source.display().to_string(),
        commit_time,
        branch,
    }
}

/// The branch checked out in `repo` (`None` when detached).
pub fn current_branch(repo: &Path) -> Option<String> {
    git(repo, &["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| b != "HEAD")
}

/// One file's import, or why it could not be read.
#[derive(Debug)]
pub struct FileImport {
    pub path: PathBuf,
    pub result: Result<Imported, String>,
}

/// Imports every file: one that cannot be read (corrupt, another schema)
/// is reported with its reason and the rest still import.
pub fn import_files(
    history: &mut History,
    files: &[PathBuf],
    repo: &Path,
    branch: Option<String>,
) -> Result<Vec<FileImport>, HistoryError> {
    let mut out = Vec::new();
    for path in files {
        let result = match read_run(path) {
            Ok(run) => Ok(history.import(&run, &meta(&run, path, repo, branch.clone()))?),
            Err(e) => Err(e.to_string()),
        };
        out.push(FileImport {
            path: path.clone(),
            result,
        });
    }
    Ok(out)
}

/// Every series (optionally of one workload and/or metric) with its change
/// points.
pub fn trends(
    history: &History,
    settings: &ChangePointSettings,
    workload: Option<&str>,
    metric: Option<&str>,
) -> Result<Vec<Trend>, HistoryError> {
    let mut out = Vec::new();
    for key in history.keys()? {
        if workload.is_some_and(|w| w != key.workload) || metric.is_some_and(|m| m != key.metric) {
            continue;
        }
        if let Some(series) = history.series(&key)? {
            let detections = harness_history::detect(&series, settings);
            out.push(Trend { series, detections });
        }
    }
    Ok(out)
}

fn key_of_page(k: &SeriesKey) -> String {
    page_name(&k.workload, &k.metric, k.stage.as_deref())
}

/// Writes one trend page per workload × metric (× stage) into `dir`, and
/// `index.html`; returns the pages written.
pub fn write_trend_pages(trends: &[Trend], dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut by_page: BTreeMap<String, Vec<Trend>> = BTreeMap::new();
    for t in trends {
        by_page
            .entry(key_of_page(&t.series.key))
            .or_default()
            .push(t.clone());
    }
    let mut written = Vec::new();
    for (name, ts) in &by_page {
        let path = dir.join(name);
        write_text(&path, &trend_page(ts)?.render())?;
        written.push(path);
    }
    let index: Vec<(String, &[Trend])> = by_page
        .iter()
        .map(|(n, ts)| (n.clone(), ts.as_slice()))
        .collect();
    let path = dir.join("index.html");
    write_text(&path, &trend_index(&index)?.render())?;
    written.push(path);
    Ok(written)
}
