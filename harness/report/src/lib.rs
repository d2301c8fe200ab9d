//! harness-report: every renderer of the model's documents — the terminal
//! table ([`table`]), the PR comment ([`comment`]) and the HTML pages
//! ([`run_page`], [`compare_page`], built from [`charts`] and [`html`]) —
//! and profiles with their diffs ([`profile`]: Markdown tables, the
//! comment's "where" section, the page's profile section), all
//! sharing one formatting module ([`format`]), so a figure reads the same
//! in every output.
//!
//! One fan-out from the model to the outputs, in the manner of criterion's
//! `Report` trait: each output implements [`Report`] (what it makes of a
//! plain run, what of an A/B compare), and [`Reports`] hands a document to
//! every output that was asked for. Callers (the runtime's `run`, `show`,
//! `report` and compare driver, xtask) pick outputs, never renderers.
//!
//! Invariants: rendering is pure (the same document gives the same bytes);
//! the only IO is reading documents and writing the rendered files
//! ([`write_report`], [`Reports::write_compare`]). `docs/report.md` says what
//! each chart shows.

pub mod calibration;
pub mod charts;
pub mod comment;
pub mod compare_page;
pub mod format;
pub mod history_text;
pub mod html;
pub mod profile;
pub mod run_page;
pub mod table;
pub mod trend_page;

pub use compare_page::{compare_report, compare_report_page};
pub use run_page::{History, SkippedFile, load_history, load_runs, run_report, run_report_page};

use harness_model::compare::{CompareFile, read_compare};
use harness_model::results::{ResultsError, RunFile};
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
    let input = RunInput {
        runs: &runs,
        history: &history.runs,
        skipped: &history.skipped,
    };
    let mut figures = 0;
    for r in Reports::of(&[Output::Html]).run(input)? {
        write_text(out, &r.text)?;
        figures = r.figures;
    }
    Ok(Written {
        path: out.to_owned(),
        figures,
        history_runs: history.runs.len(),
        skipped: history.skipped,
    })
}

/// Reads a `compare.json`, renders its compare report and writes it to
/// `out`, creating its folder; returns the number of charts written.
pub fn write_compare_report(compare: &Path, out: &Path) -> Result<usize, ReportError> {
    let file = read_compare(compare)?;
    let mut figures = 0;
    for r in Reports::of(&[Output::Html]).compare(&file)? {
        write_text(out, &r.text)?;
        figures = r.figures;
    }
    Ok(figures)
}

/// Writes rendered text to `out`, creating its folder.
pub fn write_text(out: &Path, text: &str) -> Result<(), ReportError> {
    let io = |source| ReportError::Write {
        path: out.to_owned(),
        source,
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(out, text).map_err(io)
}

harness_model::closed_enum! {
    /// The outputs a document can be rendered to.
    pub enum Output ("output") {
        /// The terminal table (`harness run`, `harness show`).
        Table = "table",
        /// The PR comment (`comment.md`).
        Comment = "comment",
        /// A self-contained HTML page (`report.html`).
        Html = "html",
    }
}

impl Output {
    /// The file an A/B compare's rendering is written to; `None`: printed.
    pub fn compare_file_name(self) -> Option<&'static str> {
        match self {
            Output::Table => None,
            Output::Comment => Some("comment.md"),
            Output::Html => Some("report.html"),
        }
    }
}

/// One rendered document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub output: Output,
    pub text: String,
    /// Charts (inline SVGs) in it.
    pub figures: usize,
}

/// What a plain run is rendered from: the runs reported on and the kept
/// runs for history.
#[derive(Clone, Copy, Debug)]
pub struct RunInput<'a> {
    pub runs: &'a [RunFile],
    pub history: &'a [RunFile],
    pub skipped: &'a [SkippedFile],
}

/// One output of the model. An output that has nothing to say about a kind
/// of document returns `None` (there is no PR comment for a plain run).
pub trait Report {
    fn output(&self) -> Output;
    fn run(&self, input: RunInput<'_>) -> Result<Option<Rendered>, ReportError>;
    fn compare(&self, file: &CompareFile) -> Result<Option<Rendered>, ReportError>;
}

/// The terminal table.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableReport;

impl Report for TableReport {
    fn output(&self) -> Output {
        Output::Table
    }

    fn run(&self, input: RunInput<'_>) -> Result<Option<Rendered>, ReportError> {
        let text: String = input.runs.iter().map(table::render).collect();
        Ok(Some(Rendered {
            output: Output::Table,
            text,
            figures: 0,
        }))
    }

    fn compare(&self, _: &CompareFile) -> Result<Option<Rendered>, ReportError> {
        Ok(None)
    }
}

/// The PR comment.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommentReport;

impl Report for CommentReport {
    fn output(&self) -> Output {
        Output::Comment
    }

    fn run(&self, _: RunInput<'_>) -> Result<Option<Rendered>, ReportError> {
        Ok(None)
    }

    fn compare(&self, file: &CompareFile) -> Result<Option<Rendered>, ReportError> {
        Ok(Some(Rendered {
            output: Output::Comment,
            text: comment::render_comment(file),
            figures: 0,
        }))
    }
}

/// The HTML pages.
#[derive(Clone, Copy, Debug, Default)]
pub struct HtmlReport;

impl Report for HtmlReport {
    fn output(&self) -> Output {
        Output::Html
    }

    fn run(&self, input: RunInput<'_>) -> Result<Option<Rendered>, ReportError> {
        let page = run_report_page(input.runs, input.history, input.skipped)?;
        Ok(Some(Rendered {
            output: Output::Html,
            text: page.render(),
            figures: page.figure_count(),
        }))
    }

    fn compare(&self, file: &CompareFile) -> Result<Option<Rendered>, ReportError> {
        let page = compare_report_page(file)?;
        Ok(Some(Rendered {
            output: Output::Html,
            text: page.render(),
            figures: page.figure_count(),
        }))
    }
}

/// The fan-out: a document goes to every chosen output.
pub struct Reports {
    reports: Vec<Box<dyn Report>>,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.reports.iter().map(|r| r.output()))
            .finish()
    }
}

impl Reports {
    /// The renderers of `outputs`, in that order.
    pub fn of(outputs: &[Output]) -> Reports {
        let reports = outputs
            .iter()
            .map(|o| -> Box<dyn Report> {
                match o {
                    Output::Table => Box::new(TableReport),
                    Output::Comment => Box::new(CommentReport),
                    Output::Html => Box::new(HtmlReport),
                }
            })
            .collect();
        Reports { reports }
    }

    /// Every output.
    pub fn all() -> Reports {
        Reports::of(&Output::all())
    }

    pub fn run(&self, input: RunInput<'_>) -> Result<Vec<Rendered>, ReportError> {
        let mut out = Vec::new();
        for r in &self.reports {
            out.extend(r.run(input)?);
        }
        Ok(out)
    }

    pub fn compare(&self, file: &CompareFile) -> Result<Vec<Rendered>, ReportError> {
        let mut out = Vec::new();
        for r in &self.reports {
            out.extend(r.compare(file)?);
        }
        Ok(out)
    }

    /// Renders `file` and writes each output that has a file name into
    /// `dir`; returns what was written, in output order.
    pub fn write_compare(
        &self,
        file: &CompareFile,
        dir: &Path,
    ) -> Result<Vec<(PathBuf, Rendered)>, ReportError> {
        let mut written = Vec::new();
        for r in self.compare(file)? {
            let Some(name) = r.output.compare_file_name() else {
                continue;
            };
            let path = dir.join(name);
            write_text(&path, &r.text)?;
            written.push((path, r));
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::compare::parse_compare;

    fn golden() -> CompareFile {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/golden/compare.json"
        ));
        let text = std::fs::read_to_string(path).unwrap();
        parse_compare(&text, path).unwrap()
    }

    #[test]
    fn a_compare_fans_out_to_the_comment_and_the_page() {
        let file = golden();
        let out = Reports::all().compare(&file).unwrap();
        let outputs: Vec<Output> = out.iter().map(|r| r.output).collect();
        assert_eq!(outputs, [Output::Comment, Output::Html]);
        assert_eq!(out[0].text, comment::render_comment(&file));
        assert_eq!(out[1].figures, compare_page::expected_charts(&file));
        let dir = tempfile::tempdir().unwrap();
        let written = Reports::all().write_compare(&file, dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["comment.md", "report.html"]);
        let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(page, compare_report(&file).unwrap());
    }

    #[test]
    fn a_run_fans_out_to_the_table_and_the_page() {
        let runs_dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../results/runs"));
        let history = load_history(runs_dir).unwrap();
        let Some(run) = history.runs.iter().find(|r| !r.strata.is_empty()) else {
            panic!("the kept runs include one that measured strata");
        };
        let input = RunInput {
            runs: std::slice::from_ref(run),
            history: &history.runs,
            skipped: &history.skipped,
        };
        let out = Reports::all().run(input).unwrap();
        let outputs: Vec<Output> = out.iter().map(|r| r.output).collect();
        assert_eq!(outputs, [Output::Table, Output::Html]);
        assert_eq!(out[0].text, table::render(run));
        assert!(out[1].figures > 0);
    }
}
