//! Trend pages: main's history of one workload × metric as a
//! self-contained HTML page (`cargo xtask report --history`,
//! `harness history page`).
//!
//! Per machine fingerprint and counter source (the only runs that compare):
//! the series with its 95% interval band, the level of each segment between
//! change points drawn as a second series (so every shift is a visible
//! step), a table of the change points with the commits they fall between,
//! their magnitude and interval, and the current value against the last
//! stable segment. [`trend_index`] links every page and counts its change
//! points. Pure: the same series give the same bytes.

use crate::ReportError;
use crate::charts::{Axis, HistoryChart, HistoryPoint, HistorySeries, history_chart};
use crate::format::{change, grouped, short};
use crate::html::{Cell, Page, Section, Table};
use harness_analysis::stats::{Samples, median};
use harness_model::history::{Detection, Series};

/// One series and the change points found in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub series: Series,
    pub detections: Vec<Detection>,
}

/// The file name of the page of `workload` × `metric` (× `stage`).
pub fn page_name(workload: &str, metric: &str, stage: Option<&str>) -> String {
    let raw = match stage {
        Some(s) => format!("{workload}-{s}-{metric}"),
        None => format!("{workload}-{metric}"),
    };
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.html")
}

/// The median of each point's segment (segments end at change points).
fn levels(series: &Series, detections: &[Detection]) -> Vec<f64> {
    let mut bounds: Vec<usize> = detections.iter().map(|d| d.index).collect();
    bounds.sort_unstable();
    bounds.insert(0, 0);
    bounds.push(series.points.len());
    let mut out = Vec::with_capacity(series.points.len());
    for w in bounds.windows(2) {
        let values: Vec<f64> = series.points[w[0]..w[1]].iter().map(|p| p.median).collect();
        let level = match Samples::new(values.clone()) {
            Ok(s) => median(&s),
            Err(_) => values.first().copied().unwrap_or(f64::NAN),
        };
        out.extend(std::iter::repeat_n(level, w[1] - w[0]));
    }
    out
}

/// A level as the page states it: integers grouped, small values to four places.
fn level(v: f64) -> String {
    if v.abs() >= 1000.0 {
        grouped(v)
    } else {
        format!("{v:.4}")
    }
}

fn point_label(p: &harness_model::history::SeriesPoint) -> String {
    let date = p.created.get(..10).unwrap_or(&p.created);
    let commit = p.commit.as_deref().map_or("-", short);
    format!("{date} {commit}{}", if p.dirty { "+" } else { "" })
}

fn trend_section(s: &mut Section, t: &Trend) -> Result<(), ReportError> {
    let series = &t.series;
    s.paragraph(format!(
        "Machine: {}; counters: {}; {} runs, oldest first ({}). A commit marked + was \
         measured with uncommitted changes.",
        series.key.machine,
        series.key.counter_source,
        series.points.len(),
        if series.deterministic {
            "an exact figure: every step of at least the minimum magnitude is a change point"
        } else {
            "change points by E-divisive means with a permutation test"
        }
    ));
    let lv = levels(series, &t.detections);
    let mut chart = HistoryChart::new(
        series.key.label(),
        Axis::categories("run (date, commit)"),
        Axis::new(&series.key.metric, &series.unit),
    );
    chart.runs = series.points.iter().map(point_label).collect();
    chart.series = vec![
        HistorySeries {
            name: "median (95% interval band)".into(),
            points: series
                .points
                .iter()
                .map(|p| {
                    Some(HistoryPoint {
                        median: p.median,
                        low: p.low,
                        high: p.high,
                    })
                })
                .collect(),
        },
        HistorySeries {
            name: "level between change points".into(),
            points: lv
                .iter()
                .map(|&l| {
                    Some(HistoryPoint {
                        median: l,
                        low: l,
                        high: l,
                    })
                })
                .collect(),
        },
    ];
    s.figure(
        history_chart(&chart)?,
        "Each run's median with its interval; the second line is the median of each \
         segment between change points, so a shift shows as a step.",
    );
    let mut table = Table::new(
        "Change points",
        &[
            "after commit",
            "first commit at new level",
            "change",
            "interval",
            "p",
        ],
    );
    for d in &t.detections {
        table.row(vec![
            Cell::text(point_label(&d.before)),
            Cell::text(point_label(&d.after)),
            Cell::number(change(d.ratio)),
            Cell::number(d.interval.map_or("exact".into(), |(lo, hi)| {
                format!("[{}, {}]", change(lo), change(hi))
            })),
            Cell::number(d.p_value.map_or("-".into(), |p| format!("{p:.3}"))),
        ])?;
    }
    if t.detections.is_empty() {
        s.paragraph("No change points.");
    } else {
        s.table(table);
    }
    if let (Some(last), Some(&current)) = (series.points.last(), lv.last()) {
        let since = t
            .detections
            .last()
            .map_or_else(|| "the first run".to_string(), |d| point_label(&d.after));
        s.paragraph(format!(
            "Current value {} {} against the last stable segment's median {} (since {since}): {}.",
            level(last.median),
            series.unit,
            level(current),
            if current == 0.0 {
                "n/a".to_string()
            } else {
                change(last.median / current)
            }
        ));
    }
    Ok(())
}

/// The page of one workload × metric: one section per machine and source.
pub fn trend_page(trends: &[Trend]) -> Result<Page, ReportError> {
    let Some(first) = trends.first() else {
        return Err(ReportError::NoRuns);
    };
    let mut page = Page::new(format!("scanner-rs trend: {}", first.series.key.label()));
    page.intro(
        "main's history of one workload and metric, from the history database \
         (`harness history`, docs/history.md).",
    );
    for (k, t) in trends.iter().enumerate() {
        trend_section(
            page.section(&format!("Series {} of {}", k + 1, trends.len())),
            t,
        )?;
    }
    Ok(page)
}

/// The index: every page, with its runs and change points.
pub fn trend_index(pages: &[(String, &[Trend])]) -> Result<Page, ReportError> {
    let mut page = Page::new("scanner-rs trends");
    page.intro(format!(
        "{} series pages. Open one for its chart and change points.",
        pages.len()
    ));
    let mut table = Table::new("Series", &["page", "runs", "change points", "latest"]);
    for (name, trends) in pages {
        let runs: usize = trends.iter().map(|t| t.series.points.len()).sum();
        let cps: usize = trends.iter().map(|t| t.detections.len()).sum();
        let latest = trends
            .iter()
            .flat_map(|t| t.detections.last())
            .map(|d| format!("{} at {}", change(d.ratio), point_label(&d.after)))
            .next()
            .unwrap_or_else(|| "-".into());
        let label = trends
            .first()
            .map_or(name.clone(), |t| t.series.key.label());
        table.row(vec![
            Cell::text(format!("{label} ({name})")),
            Cell::number(runs.to_string()),
            Cell::number(cps.to_string()),
            Cell::text(latest),
        ])?;
    }
    page.section("Series").table(table);
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::CounterSource;
    use harness_model::history::{SeriesKey, SeriesPoint};

    fn point(k: usize, v: f64) -> SeriesPoint {
        SeriesPoint {
            commit: Some(format!("{:x}{}", k + 10, "0".repeat(39))),
            commit_time: Some(k as i64),
            created: format!("2026-12-0{}T00:00:00Z", 1 + k % 9),
            branch: Some("main".into()),
            dirty: false,
            median: v,
            low: v * 0.99,
            high: v * 1.01,
            n: 15,
        }
    }

    fn trend() -> Trend {
        let points: Vec<SeriesPoint> = (0..8)
            .map(|k| point(k, if k < 5 { 100.0 } else { 104.0 }))
            .collect();
        let key = SeriesKey {
            workload: "medium".into(),
            metric: "cpu_ns".into(),
            stage: None,
            machine: "m".into(),
            counter_source: CounterSource::Tsc,
        };
        let detections = vec![Detection {
            key: key.clone(),
            index: 5,
            before: points[4].clone(),
            after: points[5].clone(),
            ratio: 1.04,
            interval: Some((1.03, 1.05)),
            p_value: Some(0.005),
        }];
        Trend {
            series: Series {
                key,
                unit: "ns".into(),
                deterministic: false,
                points,
            },
            detections,
        }
    }

    #[test]
    fn the_page_marks_each_change_point_and_the_current_level() {
        let t = trend();
        assert_eq!(
            levels(&t.series, &t.detections),
            [100.0, 100.0, 100.0, 100.0, 100.0, 104.0, 104.0, 104.0]
        );
        let page = trend_page(std::slice::from_ref(&t)).unwrap();
        assert_eq!(page.figure_count(), 1);
        let html = page.render();
        assert!(
            html.contains("+4.00%") && html.contains("[+3.00%, +5.00%]"),
            "change and interval"
        );
        assert!(
            html.contains("f000000"),
            "the first commit at the new level"
        );
        assert!(html.contains("against the last stable segment"));
        assert_eq!(
            html,
            trend_page(std::slice::from_ref(&t)).unwrap().render(),
            "pure"
        );
        let index = trend_index(&[("medium-cpu_ns.html".into(), std::slice::from_ref(&t))])
            .unwrap()
            .render();
        assert!(index.contains("medium cpu_ns (medium-cpu_ns.html)"));
        assert_eq!(
            page_name("plan/medium_test", "instructions", None),
            "plan_medium_test-instructions.html"
        );
        assert_eq!(
            page_name("large", "cycles_per_byte", Some("exec")),
            "large-exec-cycles_per_byte.html"
        );
    }
}
