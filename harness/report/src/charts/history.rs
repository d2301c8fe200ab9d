//! History across runs: x is the run (labelled by date or revision), y a
//! median with its confidence interval drawn as a shaded band (an error bar
//! where a run stands alone between gaps). A series may miss runs (`None`),
//! which breaks its line. The value axis is fitted to the data.

use super::{
    Axis, AxisSpec, ChartError, DEFAULT_SIZE, Mark, Svg, draw_chart, finite, interval, legend,
    nice_ticks, no_data, one_per, series_color, text_width, value_range,
};
use plotters::prelude::*;

/// A median and its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryPoint {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

/// A named series with one entry per run label (`None`: not in that run).
#[derive(Clone, Debug, PartialEq)]
pub struct HistorySeries {
    pub name: String,
    pub points: Vec<Option<HistoryPoint>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryChart {
    pub title: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    /// One label per run, oldest first.
    pub runs: Vec<String>,
    pub series: Vec<HistorySeries>,
    pub size: (u32, u32),
}

impl HistoryChart {
    pub fn new(title: impl Into<String>, x_axis: Axis, y_axis: Axis) -> HistoryChart {
        HistoryChart {
            title: title.into(),
            x_axis,
            y_axis,
            runs: Vec::new(),
            series: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

/// Stretches of consecutive present points, as (run index, point).
fn segments(points: &[Option<HistoryPoint>]) -> Vec<Vec<(usize, HistoryPoint)>> {
    let mut out: Vec<Vec<(usize, HistoryPoint)>> = vec![Vec::new()];
    for (i, p) in points.iter().enumerate() {
        match (p, out.last_mut()) {
            (Some(p), Some(seg)) => seg.push((i, *p)),
            (None, Some(seg)) if !seg.is_empty() => out.push(Vec::new()),
            (None, _) | (Some(_), None) => {}
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Renders the chart; no runs or no points gives the "no data" SVG.
pub fn history_chart(c: &HistoryChart) -> Result<Svg, ChartError> {
    let mut values = Vec::new();
    for s in &c.series {
        one_per(
            &c.title,
            &s.name,
            (s.points.len(), "points"),
            (c.runs.len(), "runs"),
        )?;
        for (i, p) in s.points.iter().enumerate() {
            if let Some(p) = p {
                values.push(finite(&c.title, &s.name, "median", i, p.median)?);
                let (lo, hi) = interval(&c.title, &s.name, i, p.low, p.high)?;
                values.extend([lo, hi]);
            }
        }
    }
    if values.is_empty() {
        return no_data(&c.title, c.size);
    }
    let n = c.runs.len();
    // Label every k-th run so labels do not overlap.
    let widest = c.runs.iter().map(|l| text_width(l)).max().unwrap_or(0) + 16;
    let fit = (c.size.0.saturating_sub(160) / widest.max(1)).max(1) as usize;
    let every = n.div_ceil(fit).max(1);
    let x = AxisSpec {
        range: (-0.5, n as f64 - 0.5),
        ticks: (0..n)
            .step_by(every)
            .map(|i| (i as f64, c.runs[i].clone()))
            .collect(),
        label: c.x_axis.label(),
        grid: true,
    };
    let range = value_range(&values, false);
    let y = AxisSpec {
        range,
        ticks: nice_ticks(range, 6, false),
        label: c.y_axis.label(),
        grid: true,
    };
    let legend = legend(c.series.iter().map(|s| s.name.as_str()), Mark::Line);
    draw_chart(&c.title, c.size, &legend, &x, &y, |plot| {
        for (j, s) in c.series.iter().enumerate() {
            let color = series_color(j);
            for seg in segments(&s.points) {
                if let [(i, p)] = seg.as_slice() {
                    let (x, w) = (*i as f64, 0.08);
                    plot.draw_series([
                        PathElement::new(vec![(x, p.low), (x, p.high)], color.stroke_width(2)),
                        PathElement::new(
                            vec![(x - w, p.low), (x + w, p.low)],
                            color.stroke_width(2),
                        ),
                        PathElement::new(
                            vec![(x - w, p.high), (x + w, p.high)],
                            color.stroke_width(2),
                        ),
                    ])?;
                } else {
                    let band: Vec<(f64, f64)> = seg
                        .iter()
                        .map(|(i, p)| (*i as f64, p.high))
                        .chain(seg.iter().rev().map(|(i, p)| (*i as f64, p.low)))
                        .collect();
                    plot.draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))?;
                }
                plot.draw_series(std::iter::once(PathElement::new(
                    seg.iter()
                        .map(|(i, p)| (*i as f64, p.median))
                        .collect::<Vec<_>>(),
                    color.stroke_width(2),
                )))?;
                plot.draw_series(
                    seg.iter()
                        .map(|(i, p)| Circle::new((*i as f64, p.median), 4, color.filled())),
                )?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(m: f64) -> Option<HistoryPoint> {
        Some(HistoryPoint {
            median: m,
            low: m - 1.0,
            high: m + 1.5,
        })
    }

    fn chart() -> HistoryChart {
        let mut c = HistoryChart::new(
            "medium: median wall time over runs",
            Axis::categories("run"),
            Axis::new("median wall time", "ms"),
        );
        c.runs = (1..=6).map(|i| format!("11-2{i} cda7d07")).collect();
        c.series = vec![HistorySeries {
            name: "medium".into(),
            points: vec![
                point(277.0),
                point(278.0),
                None,
                point(253.0),
                None,
                point(250.0),
            ],
        }];
        c
    }

    #[test]
    fn deterministic_with_names_and_labels() {
        let a = history_chart(&chart()).unwrap();
        assert_eq!(a, history_chart(&chart()).unwrap());
        for text in [
            "medium: median wall time over runs",
            "11-21 cda7d07",
            "median wall time (ms)",
            "run",
        ] {
            assert!(a.texts().contains(&text), "{text} missing");
        }
        // One band (runs 1-2), and two lone points with error bars.
        assert_eq!(a.as_str().matches("<polygon").count(), 1);
        assert_eq!(a.as_str().matches("<circle").count(), 4 + 1);
    }

    #[test]
    fn segments_break_at_gaps() {
        let s = segments(&chart().series[0].points);
        let idx: Vec<Vec<usize>> = s.iter().map(|g| g.iter().map(|p| p.0).collect()).collect();
        assert_eq!(idx, vec![vec![0, 1], vec![3], vec![5]]);
        assert!(segments(&[None, None]).is_empty());
    }

    #[test]
    fn edge_cases() {
        let mut c = chart();
        c.series[0].points[1] = Some(HistoryPoint {
            median: 1.0,
            low: 2.0,
            high: 0.5,
        });
        assert!(matches!(
            history_chart(&c).unwrap_err(),
            ChartError::BadInterval { index: 1, .. }
        ));
        let mut c = chart();
        c.runs.pop();
        assert!(
            history_chart(&c)
                .unwrap_err()
                .to_string()
                .contains("6 points for 5 runs")
        );
        let mut c = chart();
        c.series[0].points = vec![None; 6];
        assert!(history_chart(&c).unwrap().as_str().contains("no data"));
        let mut c = chart();
        c.runs.truncate(1);
        c.series[0].points = vec![point(5.0)];
        assert!(!history_chart(&c).unwrap().as_str().contains("no data"));
    }
}
