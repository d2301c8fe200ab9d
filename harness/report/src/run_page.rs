//! The run report: one or more results files (and the history of all
//! kept runs) as one self-contained HTML page.
//!
//! Sections: environment (one column per run, with a warning when the
//! machines differ); per stratum a metrics table, cycles per byte per stage
//! (grouped bars, one series per run), wall time per iteration (one trace
//! per run, contaminated iterations open), the wall-time distribution (one
//! group per run) and a per-stage table; then the history: median wall time
//! per stratum over all runs with its 95% interval, and a table of the runs.
//!
//! Policy for unreadable files: a run named explicitly must load, otherwise
//! the report fails with an error naming the file; a history file that does
//! not load (corrupt, another schema major) is skipped and listed as a
//! warning on the page, so one bad old file does not hide the rest.

use crate::ReportError;
use crate::charts::{
    Axis, Bar, BarChart, BarSeries, DistributionChart, Group, HistoryChart, HistoryPoint,
    HistorySeries, Point, TimeSeriesChart, Trace, bar_chart, distribution_chart, history_chart,
    time_series_chart,
};
use crate::format::{bytes, human, ns, spread, time_unit};
use crate::html::{Cell, Page, Section, Table};
use harness_model::WorkloadId;
use harness_model::contamination::Verdict;
use harness_model::results::{Metric, RunFile, StratumRun, read_run};
use harness_model::summary::Summary;
use std::path::{Path, PathBuf};

/// A history file that was left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub reason: String,
}

/// The kept runs, oldest first, and the files that could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    pub runs: Vec<RunFile>,
    pub skipped: Vec<SkippedFile>,
}

/// Reads every `*.json` in `dir` as a results file, sorted by `created`
/// (ties by file name). Files that do not load are listed in
/// [`History::skipped`]; only an unlistable folder is an error.
pub fn load_history(dir: &Path) -> Result<History, ReportError> {
    let io = |source| ReportError::HistoryDir {
        path: dir.to_owned(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut history = History {
        runs: Vec::new(),
        skipped: Vec::new(),
    };
    for path in paths {
        match read_run(&path) {
            Ok(run) => history.runs.push(run),
            Err(e) => history.skipped.push(SkippedFile {
                reason: e.to_string(),
                path,
            }),
        }
    }
    history.runs.sort_by(|a, b| a.created.cmp(&b.created));
    Ok(history)
}

/// Reads the named results files; the first that does not load is an
/// error naming it.
pub fn load_runs(paths: &[PathBuf]) -> Result<Vec<RunFile>, ReportError> {
    if paths.is_empty() {
        return Err(ReportError::NoRuns);
    }
    paths
        .iter()
        .map(|p| read_run(p).map_err(ReportError::from))
        .collect()
}

/// The report page as HTML; see the module documentation for its content.
pub fn run_report(runs: &[RunFile], history: &[RunFile]) -> Result<String, ReportError> {
    Ok(run_report_page(runs, history, &[])?.render())
}

/// The report as a [`Page`], for callers that add sections or count
/// figures; `skipped` history files are listed as warnings.
pub fn run_report_page(
    runs: &[RunFile],
    history: &[RunFile],
    skipped: &[SkippedFile],
) -> Result<Page, ReportError> {
    if runs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let labels = run_labels(runs);
    let mut page = Page::new("scanner-rs benchmark report");
    page.intro(format!(
        "{} run{}: {}. Figures are over counted iterations (clean ones, and contaminated ones \
         kept once the re-run budget was spent); medians with MAD and a 95% bootstrap \
         interval of the median, as in docs/methodology.md.",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        labels.join("; ")
    ));
    environment_section(page.section("Environment"), runs, &labels)?;
    for stratum in &workloads(runs) {
        let present: Vec<(&str, &StratumRun)> = runs
            .iter()
            .zip(&labels)
            .filter_map(|(r, l)| {
                r.strata
                    .iter()
                    .find(|s| &s.stratum == stratum)
                    .map(|s| (l.as_str(), s))
            })
            .collect();
        if !present.is_empty() {
            let title = crate::format::workload_title(stratum);
            stratum_section(page.section(&title), stratum, &present)?;
        }
    }
    history_section(page.section("History"), history, skipped)?;
    Ok(page)
}

/// "2026-11-21 04:16 55e9fed", made unique by a "#n" suffix where two runs
/// would read the same.
fn run_labels(runs: &[RunFile]) -> Vec<String> {
    let base: Vec<String> = runs.iter().map(short_label).collect();
    base.iter()
        .enumerate()
        .map(|(i, l)| {
            if base.iter().filter(|o| *o == l).count() > 1 {
                format!("{l} #{}", i + 1)
            } else {
                l.clone()
            }
        })
        .collect()
}

fn short_label(run: &RunFile) -> String {
    let when: String = run
        .created
        .chars()
        .take(16)
        .collect::<String>()
        .replace('T', " ");
    format!("{when} {}", sha(run, 7))
}

fn sha(run: &RunFile, len: usize) -> String {
    let env = &run.environment;
    let s = env
        .git_sha
        .as_deref()
        .map_or("no git", |s| &s[..s.len().min(len)]);
    format!("{s}{}", if env.git_dirty { "+dirty" } else { "" })
}

/// CPU, cores, pinning, kernel and counter source: what makes runs comparable.
fn fingerprint(run: &RunFile) -> String {
    let env = &run.environment;
    let pinned = if env.pinned_cores.is_empty() {
        "unpinned".to_string()
    } else {
        format!("pinned {:?}", env.pinned_cores)
    };
    format!(
        "{} · {} cores · {pinned} · {} · {}",
        env.cpu_model,
        env.logical_cores,
        env.kernel,
        env.counters.source.as_str()
    )
}

fn environment_section(
    s: &mut Section,
    runs: &[RunFile],
    labels: &[String],
) -> Result<(), ReportError> {
    let mut header = vec!["field"];
    header.extend(labels.iter().map(String::as_str));
    let mut t = Table::new("environment and configuration", &header);
    let mut row = |name: &str, f: &dyn Fn(&RunFile) -> String| -> Result<(), ReportError> {
        let mut cells = vec![Cell::text(name)];
        cells.extend(runs.iter().map(|r| Cell::text(f(r))));
        t.row(cells)?;
        Ok(())
    };
    row("created (UTC)", &|r| r.created.clone())?;
    row("commit", &|r| sha(r, 40))?;
    row("schema", &|r| {
        format!("{}.{}", r.schema.major, r.schema.minor)
    })?;
    row("CPU", &|r| r.environment.cpu_model.clone())?;
    row("logical cores", &|r| {
        r.environment.logical_cores.to_string()
    })?;
    row("pinned cores", &|r| {
        let p = &r.environment.pinned_cores;
        if p.is_empty() {
            "unpinned".into()
        } else {
            format!("{p:?}")
        }
    })?;
    row("governor", &|r| {
        r.environment.governor.clone().unwrap_or_else(|| "-".into())
    })?;
    row("kernel", &|r| r.environment.kernel.clone())?;
    row("rustc", &|r| r.environment.rustc.clone())?;
    row("cycle counter", &|r| {
        let c = &r.environment.counters;
        let tsc = c
            .tsc_hz
            .map_or(String::new(), |hz| format!(", TSC {:.0} MHz", hz / 1e6));
        format!(
            "{}{tsc}{}",
            c.source.as_str(),
            if c.instructions { ", instructions" } else { "" }
        )
    })?;
    row("counter fallback", &|r| {
        r.environment
            .counters
            .fallback_reason
            .clone()
            .unwrap_or_else(|| "-".into())
    })?;
    row("invariant TSC", &|r| {
        r.environment.invariant_tsc.to_string()
    })?;
    row("iterations / warm-ups", &|r| {
        format!("{} / {}", r.config.iterations, r.config.warmup)
    })?;
    row("threads", &|r| r.config.threads.to_string())?;
    row("max re-runs", &|r| r.config.max_reruns.to_string())?;
    row("bootstrap", &|r| {
        format!(
            "{} resamples, seed {}",
            r.config.bootstrap_resamples, r.config.bootstrap_seed
        )
    })?;
    s.table(t);
    for (r, l) in runs.iter().zip(labels).skip(1) {
        let diff = runs[0].environment.mismatches(&r.environment);
        if !diff.is_empty() {
            s.warning(format!(
                "{l} ran on a different machine configuration than {}: {}. Its figures are \
                 not directly comparable.",
                labels[0],
                diff.join("; ")
            ));
        }
    }
    Ok(())
}

fn interval_text(metric: Metric, s: &Summary) -> String {
    format!(
        "[{}, {}]",
        human(metric, s.median_ci.low),
        human(metric, s.median_ci.high)
    )
}

/// Every workload the runs measured, strata first.
fn workloads(runs: &[RunFile]) -> Vec<WorkloadId> {
    let mut all: Vec<WorkloadId> = runs
        .iter()
        .flat_map(|r| r.strata.iter().map(|s| s.stratum.clone()))
        .collect();
    all.sort();
    all.dedup();
    all
}

fn stratum_section(
    s: &mut Section,
    stratum: &WorkloadId,
    present: &[(&str, &StratumRun)],
) -> Result<(), ReportError> {
    let name = stratum.as_str();
    for (label, r) in present {
        let counted = r.iterations.iter().filter(|i| i.counted).count();
        s.paragraph(format!(
            "{label}: selection {}, {} scanned in {} blobs, {} findings ({}), \
             {counted} counted iterations of {} recorded, {} re-run.",
            r.selection,
            bytes(r.bytes as f64),
            r.blobs,
            r.findings,
            if stratum.stratum().is_some() {
                "ground truth matched"
            } else {
                "a repository: no ground truth"
            },
            r.iterations.len(),
            r.reruns
        ));
    }
    let mut t = Table::new(
        format!("{name}: end-to-end metrics"),
        &[
            "run",
            "metric",
            "median",
            "MAD",
            "MAD/median",
            "95% CI of median",
            "unit",
            "counter source",
        ],
    );
    for (label, r) in present {
        for m in &r.metrics {
            let sm = &m.summary;
            t.row(vec![
                Cell::text(*label),
                Cell::text(m.metric.as_str()),
                Cell::number(human(m.metric, sm.median)),
                Cell::number(human(m.metric, sm.mad)),
                Cell::number(spread(sm)),
                Cell::number(interval_text(m.metric, sm)),
                Cell::text(m.unit.clone()),
                Cell::text(m.source.map_or("-", |c| c.as_str())),
            ])?;
        }
    }
    s.table(t);
    stage_bars(s, name, present)?;
    wall_time_series(s, name, present)?;
    wall_distribution(s, name, present)?;
    let mut t = Table::new(
        format!("{name}: per stage"),
        &[
            "run",
            "stage",
            "wall median",
            "MAD/median",
            "cycles/byte median",
            "95% CI",
            "source",
        ],
    );
    for (label, r) in present {
        for st in &r.stages {
            let cpb = st.cycles_per_byte.as_ref();
            t.row(vec![
                Cell::text(*label),
                Cell::text(st.stage.clone()),
                Cell::number(ns(st.wall_ns.median)),
                Cell::number(spread(&st.wall_ns)),
                Cell::number(cpb.map_or("-".into(), |c| format!("{:.3}", c.median))),
                Cell::number(cpb.map_or("-".into(), |c| {
                    format!("[{:.3}, {:.3}]", c.median_ci.low, c.median_ci.high)
                })),
                Cell::text(st.cycles_source.as_str()),
            ])?;
        }
    }
    s.details(&format!("{name}: per-stage table")).table(t);
    Ok(())
}

fn stage_bars(
    s: &mut Section,
    name: &str,
    present: &[(&str, &StratumRun)],
) -> Result<(), ReportError> {
    let mut stages: Vec<String> = Vec::new();
    for (_, r) in present {
        for st in &r.stages {
            if !stages.contains(&st.stage) {
                stages.push(st.stage.clone());
            }
        }
    }
    let mut sources: Vec<&str> = Vec::new();
    for (_, r) in present {
        for st in &r.stages {
            if !sources.contains(&st.cycles_source.unit()) {
                sources.push(st.cycles_source.unit());
            }
        }
    }
    let mut chart = BarChart::new(
        format!("{name}: cycles per scanned byte by stage"),
        stages.clone(),
        Axis::categories("stage"),
        Axis::new("cycles per byte", sources.join(" / ")),
    );
    chart.series = present
        .iter()
        .map(|(label, r)| BarSeries {
            name: label.to_string(),
            bars: stages
                .iter()
                .map(|stage| {
                    let st = r.stages.iter().find(|st| &st.stage == stage)?;
                    let c = st.cycles_per_byte.as_ref()?;
                    Some(Bar {
                        value: c.median,
                        interval: Some((c.median_ci.low, c.median_ci.high)),
                    })
                })
                .collect(),
        })
        .collect();
    if sources.len() > 1 {
        s.warning(format!(
            "{name}: the runs' per-stage cycles come from different sources ({}), which are \
             not comparable.",
            sources.join(", ")
        ));
    }
    s.figure(
        bar_chart(&chart)?,
        "Median cycles per scanned byte of each pipeline stage (stage wall time × TSC rate ÷ \
         blob bytes scanned, so the stages add up to the end-to-end figure); whiskers: 95% \
         bootstrap interval of the median. One bar per run.",
    );
    Ok(())
}

fn wall_time_series(
    s: &mut Section,
    name: &str,
    present: &[(&str, &StratumRun)],
) -> Result<(), ReportError> {
    let max = present
        .iter()
        .flat_map(|(_, r)| &r.iterations)
        .map(|i| i.wall_ns as f64)
        .fold(0.0, f64::max);
    let (div, unit) = time_unit(max);
    let mut chart = TimeSeriesChart::new(
        format!("{name}: wall time per iteration"),
        Axis::categories("measured iteration, in order"),
        Axis::new("wall time", unit),
    );
    chart.flagged_label = "contaminated iteration".into();
    chart.traces = present
        .iter()
        .map(|(label, r)| Trace {
            name: label.to_string(),
            points: r
                .iterations
                .iter()
                .enumerate()
                .map(|(k, i)| Point {
                    x: (k + 1) as f64,
                    y: i.wall_ns as f64 / div,
                    flagged: i.verdict != Verdict::Clean,
                })
                .collect(),
        })
        .collect();
    s.figure(
        time_series_chart(&chart)?,
        "Wall time of every recorded iteration in the order it ran, one line per run; a trend \
         shows drift (thermal, a neighbour), a step shows an interruption. Open circles: \
         iterations flagged as contaminated (re-run, or counted once the re-run budget was \
         spent). The y axis is fitted to the data and does not start at zero.",
    );
    Ok(())
}

fn wall_distribution(
    s: &mut Section,
    name: &str,
    present: &[(&str, &StratumRun)],
) -> Result<(), ReportError> {
    let samples = |r: &StratumRun| -> Vec<f64> {
        r.metrics
            .iter()
            .find(|m| m.metric == Metric::WallNs)
            .map_or_else(Vec::new, |m| m.samples.clone())
    };
    let max = present
        .iter()
        .flat_map(|(_, r)| samples(r))
        .fold(0.0, f64::max);
    let (div, unit) = time_unit(max);
    let mut chart = DistributionChart::new(
        format!("{name}: wall time distribution"),
        Axis::categories("run"),
        Axis::new("wall time", unit),
    );
    chart.groups = present
        .iter()
        .map(|(label, r)| Group {
            name: label.to_string(),
            values: samples(r).into_iter().map(|v| v / div).collect(),
        })
        .collect();
    s.figure(
        distribution_chart(&chart)?,
        "Wall time of every counted iteration (points, spread sideways so equal values stay \
         visible); box: first to third quartile; thick line: median. Overlapping boxes mean \
         the runs' difference is within their spread. The y axis is fitted to the data.",
    );
    Ok(())
}

fn history_section(
    s: &mut Section,
    history: &[RunFile],
    skipped: &[SkippedFile],
) -> Result<(), ReportError> {
    for f in skipped {
        s.warning(format!("skipped {}: {}", f.path.display(), f.reason));
    }
    if history.is_empty() {
        s.paragraph("No kept runs to show a history of (results/runs is empty).");
        return Ok(());
    }
    s.paragraph(format!(
        "{} kept runs, oldest first. Runs on different machines or settings (see the \
         fingerprint column) are not directly comparable.",
        history.len()
    ));
    let labels: Vec<String> = run_labels(history)
        .into_iter()
        .map(|l| l.get(5..).map_or(l.clone(), str::to_string))
        .collect();
    let median_wall = |run: &RunFile, stratum: &WorkloadId| -> Option<Summary> {
        let st = run.strata.iter().find(|s| &s.stratum == stratum)?;
        st.metrics
            .iter()
            .find(|m| m.metric == Metric::WallNs)
            .map(|m| m.summary)
    };
    let strata: Vec<WorkloadId> = workloads(history)
        .into_iter()
        .filter(|st| history.iter().any(|r| median_wall(r, st).is_some()))
        .collect();
    for stratum in &strata {
        let sums: Vec<Option<Summary>> = history.iter().map(|r| median_wall(r, stratum)).collect();
        let max = sums
            .iter()
            .flatten()
            .map(|s| s.median_ci.high)
            .fold(0.0, f64::max);
        let (div, unit) = time_unit(max);
        let mut chart = HistoryChart::new(
            format!("{}: median wall time over runs", stratum.as_str()),
            Axis::categories("run (date UTC, commit)"),
            Axis::new("median wall time", unit),
        );
        chart.runs = labels.clone();
        chart.series = vec![HistorySeries {
            name: format!("{} (median, 95% CI band)", stratum.as_str()),
            points: sums
                .iter()
                .map(|s| {
                    s.map(|s| HistoryPoint {
                        median: s.median / div,
                        low: s.median_ci.low / div,
                        high: s.median_ci.high / div,
                    })
                })
                .collect(),
        }];
        s.figure(
            history_chart(&chart)?,
            format!(
                "Median wall time of the {} stratum in each kept run, with the 95% bootstrap \
                 interval of the median as a band; a gap is a run without this stratum. The y \
                 axis is fitted to the data.",
                stratum.as_str()
            ),
        );
    }
    let mut header = vec!["#", "date (UTC)", "commit", "machine fingerprint"];
    let names: Vec<String> = strata
        .iter()
        .map(|s| format!("{} median", s.as_str()))
        .collect();
    header.extend(names.iter().map(String::as_str));
    let mut t = Table::new("kept runs", &header);
    for (i, run) in history.iter().enumerate() {
        let mut cells = vec![
            Cell::number((i + 1).to_string()),
            Cell::text(run.created.clone()),
            Cell::text(sha(run, 10)),
            Cell::text(fingerprint(run)),
        ];
        cells.extend(
            strata
                .iter()
                .map(|st| Cell::number(median_wall(run, st).map_or("-".into(), |s| ns(s.median)))),
        );
        t.row(cells)?;
    }
    s.table(t);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> History {
        load_history(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../results/runs"
        )))
        .unwrap()
    }

    #[test]
    fn labels_are_unique_and_short() {
        let h = committed();
        assert!(h.runs.len() >= 3 && h.skipped.is_empty());
        assert!(h.runs.windows(2).all(|w| w[0].created <= w[1].created));
        let twice = vec![h.runs[0].clone(), h.runs[0].clone()];
        let l = run_labels(&twice);
        assert_ne!(l[0], l[1]);
        assert!(l[0].ends_with(" #1") && l[0].starts_with("20"), "{l:?}");
        assert_eq!(time_unit(2.5e6), (1e6, "ms"));
        assert_eq!(time_unit(12.0), (1.0, "ns"));
    }

    #[test]
    fn report_on_committed_runs() {
        let h = committed();
        let newest = &h.runs[h.runs.len() - 1..];
        let page = run_report_page(newest, &h.runs, &[]).unwrap();
        let strata_in_history = harness_model::Stratum::all()
            .into_iter()
            .filter(|s| {
                h.runs
                    .iter()
                    .any(|r| r.strata.iter().any(|x| x.stratum == *s))
            })
            .count();
        // Three charts per stratum of the run, one per stratum of the history.
        let expected = 3 * newest[0].strata.len() + strata_in_history;
        assert_eq!(page.figure_count(), expected);
        let html = page.render();
        assert_eq!(html.matches("<svg").count(), expected);
        assert_eq!(html, run_report(newest, &h.runs).unwrap());
        for s in &newest[0].strata {
            assert!(html.contains(&format!("Stratum {}", s.stratum.as_str())));
            assert!(html.contains(&format!(
                "{}: cycles per scanned byte by stage",
                s.stratum.as_str()
            )));
        }
        for run in &h.runs {
            assert!(
                html.contains(&run.created),
                "{} not in the runs table",
                run.created
            );
        }
        // Several runs side by side: one bar series and one trace per run
        // (of the runs that measured strata; micro-only runs have none).
        let measured: Vec<RunFile> = h
            .runs
            .iter()
            .filter(|r| !r.strata.is_empty())
            .cloned()
            .collect();
        let all = run_report(&measured, &[]).unwrap();
        let n = measured.len();
        assert_eq!(all.matches("<svg").count(), 3 * 3);
        assert!(all.contains("No kept runs"));
        assert!(
            all.contains("different machine configuration"),
            "the unpinned run differs"
        );
        let labels = run_labels(&measured);
        assert!(labels.iter().all(|l| all.matches(l.as_str()).count() >= n));
    }

    #[test]
    fn unreadable_files() {
        let dir = tempfile::tempdir().unwrap();
        let good = committed().runs.remove(0);
        harness_model::results::write_run(&good, &dir.path().join("a.json")).unwrap();
        std::fs::write(dir.path().join("b.json"), "{ not json").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let h = load_history(dir.path()).unwrap();
        assert_eq!(h.runs.len(), 1);
        assert_eq!(h.skipped.len(), 1);
        assert!(h.skipped[0].reason.contains("b.json"), "{:?}", h.skipped);
        let html = run_report_page(&h.runs, &h.runs, &h.skipped)
            .unwrap()
            .render();
        assert!(html.contains("skipped ") && html.contains("b.json"));

        let e = load_runs(&[dir.path().join("a.json"), dir.path().join("b.json")]).unwrap_err();
        assert!(
            e.to_string().contains("b.json") && e.to_string().contains("not a results file"),
            "{e}"
        );
        assert!(matches!(load_runs(&[]), Err(ReportError::NoRuns)));
        assert!(matches!(run_report(&[], &[]), Err(ReportError::NoRuns)));
        let e = load_history(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing"), "{e}");
    }

    #[test]
    fn other_minor_versions_load() {
        // Minor versions only add fields: a file of a later minor with a
        // field this reader does not know still makes a report.
        let h = committed();
        let mut v = serde_json::to_value(&h.runs[0]).unwrap();
        v["schema"]["minor"] = 7.into();
        v["future_field"] = "ignored by this reader".into();
        let text = serde_json::to_string(&v).unwrap();
        let run = harness_model::results::parse_run(&text, Path::new("old.json")).unwrap();
        assert!(run_report(&[run], &[]).is_ok());
    }
}
