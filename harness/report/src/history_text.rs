//! main's history as terminal text (`harness history show` and `detect`):
//! a series' runs, oldest first, and the change points grouped by the two
//! runs they fall between (the metrics of a workload that moved together).

use crate::format::change;
use crate::trend_page::Trend;
use harness_model::history::{Detection, Series, SeriesPoint};
use std::collections::BTreeMap;
use std::fmt::Write;

fn commit(p: &SeriesPoint) -> String {
    p.commit
        .as_deref()
        .map_or("-".to_string(), |c| c.chars().take(10).collect())
}

/// Each series (one per machine and counter source) and its runs.
pub fn render_series(all: &[Series]) -> String {
    let mut out = String::new();
    for s in all {
        let _ = writeln!(
            out,
            "{} · {} · {} ({})",
            s.key.label(),
            s.key.machine,
            s.key.counter_source,
            s.unit
        );
        for p in &s.points {
            let _ = writeln!(
                out,
                "  {}  {:<10} {:>16.4}  [{:.4}, {:.4}]  n={}{}",
                p.created,
                commit(p),
                p.median,
                p.low,
                p.high,
                p.n,
                if p.dirty { "  (dirty)" } else { "" }
            );
        }
    }
    out
}

/// Change points of `trends`, grouped per workload, machine and the runs
/// they fall between, oldest first.
pub fn render_detect(trends: &[Trend]) -> String {
    let mut groups: BTreeMap<(String, String, String, String), Vec<&Detection>> = BTreeMap::new();
    for d in trends.iter().flat_map(|t| &t.detections) {
        groups
            .entry((
                d.after.created.clone(),
                d.key.workload.clone(),
                d.key.machine.clone(),
                d.key.counter_source.to_string(),
            ))
            .or_default()
            .push(d);
    }
    let mut out = format!(
        "history: {} series, {} change points ({} shifts)\n",
        trends.len(),
        trends.iter().map(|t| t.detections.len()).sum::<usize>(),
        groups.len()
    );
    for ((_, workload, ..), ds) in &groups {
        let Some(first) = ds.first() else { continue };
        let _ = writeln!(
            out,
            "{workload} between {} ({}) and {} ({}):",
            commit(&first.before),
            first.before.created,
            commit(&first.after),
            first.after.created
        );
        for d in ds {
            let interval = d.interval.map_or("exact".to_string(), |(lo, hi)| {
                format!("[{}, {}]", change(lo), change(hi))
            });
            let _ = writeln!(
                out,
                "  {:<36} {} {interval}{}",
                d.key.label(),
                change(d.ratio),
                d.p_value.map(|p| format!(" p={p:.3}")).unwrap_or_default()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::CounterSource;
    use harness_model::history::SeriesKey;

    fn point(k: usize) -> SeriesPoint {
        SeriesPoint {
            commit: Some(format!("{k:x}{}", "0".repeat(39))),
            commit_time: Some(k as i64),
            created: format!("2026-12-03T00:00:0{k}Z"),
            branch: None,
            dirty: k == 2,
            median: 100.0,
            low: 99.0,
            high: 101.0,
            n: 10,
        }
    }

    fn trend(metric: &str, at: Option<usize>) -> Trend {
        let key = SeriesKey {
            workload: "medium".into(),
            metric: metric.into(),
            stage: None,
            machine: "m".into(),
            counter_source: CounterSource::Tsc,
        };
        let points: Vec<SeriesPoint> = (0..4).map(point).collect();
        let detections = at
            .map(|i| Detection {
                key: key.clone(),
                index: i,
                before: points[i - 1].clone(),
                after: points[i].clone(),
                ratio: 1.05,
                interval: Some((1.02, 1.08)),
                p_value: Some(0.01),
            })
            .into_iter()
            .collect();
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
    fn metrics_that_moved_together_are_listed_under_one_shift() {
        let text = render_detect(&[
            trend("cpu_ns", Some(2)),
            trend("wall_ns", Some(2)),
            trend("allocations", None),
        ]);
        assert!(
            text.starts_with("history: 3 series, 2 change points (1 shifts)\n"),
            "{text}"
        );
        assert!(
            text.contains("medium between 1000000000 (2026-12-03T00:00:01Z) and 2000000000"),
            "{text}"
        );
        assert!(
            text.contains("medium cpu_ns") && text.contains("+5.00% [+2.00%, +8.00%] p=0.010"),
            "{text}"
        );
        let series = render_series(&[trend("cpu_ns", None).series]);
        assert_eq!(series.lines().count(), 5);
        assert!(series.contains("(dirty)"));
    }
}
