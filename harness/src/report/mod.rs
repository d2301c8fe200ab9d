//! Reports: self-contained HTML pages with inline SVG charts, made from
//! results files. Nothing here measures; everything is a pure function of
//! its input (the same files give the same bytes), except [`write_report`]
//! and the loaders, which read and write files.
//!
//! Building blocks, generic so other pages (an A/B comparison) can reuse
//! them:
//! - [`charts`]: grouped bars, time series, distributions, history, each
//!   from plain data to an [`charts::Svg`], with a fixed colour-blind-safe
//!   palette and typed errors ([`charts::ChartError`]) for bad data.
//! - [`html`]: [`html::Page`] / [`html::Section`] / [`html::Table`], a tiny
//!   builder that escapes all text and embeds its CSS: one offline file.
//!
//! The run report ([`run_report()`]) puts them together for `harness report`
//! and `cargo xtask report`; the A/B compare report ([`compare_report()`])
//! for `harness compare` (its `report.html`) and `harness report --compare`.
//! `docs/report.md` says what each chart shows.

pub mod charts;
pub mod compare_report;
pub mod html;
pub mod run_report;

pub use compare_report::{compare_report, compare_report_page};
pub use run_report::{History, SkippedFile, load_history, load_runs, run_report, run_report_page};

use crate::compare::model::read_compare;
use crate::results::ResultsError;
use std::path::{Path, PathBuf};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error("no results files given")]
    NoRuns,
    #[error("{path}: cannot read the history folder: {source}")]
    HistoryDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write the report: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error(transparent)]
    Html(#[from] html::HtmlError),
}

/// What [`write_report`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub figures: usize,
    pub history_runs: usize,
    pub skipped: Vec<SkippedFile>,
}

/// Reads `runs` (each must load) and every results file in `history_dir`
/// (unreadable ones are skipped and listed on the page), renders the run
/// report and writes it to `out`, creating its folder.
pub fn write_report(
    runs: &[PathBuf],
    history_dir: &Path,
    out: &Path,
) -> Result<Written, ReportError> {
    let runs = load_runs(runs)?;
    let history = load_history(history_dir)?;
    let page = run_report_page(&runs, &history.runs, &history.skipped)?;
    write_page(&page, out)?;
    Ok(Written {
        path: out.to_owned(),
        figures: page.figure_count(),
        history_runs: history.runs.len(),
        skipped: history.skipped,
    })
}

/// Reads a `compare.json`, renders its compare report and writes it to
/// `out`, creating its folder; returns the number of charts written.
pub fn write_compare_report(compare: &Path, out: &Path) -> Result<usize, ReportError> {
    let file = read_compare(compare)?;
    let page = compare_report_page(&file)?;
    write_page(&page, out)?;
    Ok(page.figure_count())
}

/// Writes a rendered page to `out`, creating its folder.
pub fn write_page(page: &html::Page, out: &Path) -> Result<(), ReportError> {
    let io = |source| ReportError::Write {
        path: out.to_owned(),
        source,
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(out, page.render()).map_err(io)
}
