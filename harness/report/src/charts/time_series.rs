//! Multi-series time series: several named traces of (x, y) points joined
//! in their given order, e.g. wall time per iteration with one trace per
//! run, so drift and interleaving effects are visible. The y axis is fitted
//! to the data (it does not start at zero), which is what makes a drift of a
//! few percent visible; the caption should say so where it matters.

use super::{
    Axis, AxisSpec, ChartError, DEFAULT_SIZE, LegendEntry, Mark, Svg, draw_chart, finite, legend,
    nice_ticks, no_data, series_color, value_range,
};
use plotters::prelude::*;

/// One point; `flagged` points (e.g. contaminated iterations) are drawn as
/// open circles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub flagged: bool,
}

/// A named trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub name: String,
    pub points: Vec<Point>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimeSeriesChart {
    pub title: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    pub traces: Vec<Trace>,
    /// Legend text for the open markers, shown when any point is flagged.
    pub flagged_label: String,
    pub size: (u32, u32),
}

impl TimeSeriesChart {
    pub fn new(title: impl Into<String>, x_axis: Axis, y_axis: Axis) -> TimeSeriesChart {
        TimeSeriesChart {
            title: title.into(),
            x_axis,
            y_axis,
            traces: Vec::new(),
            flagged_label: "flagged".into(),
            size: DEFAULT_SIZE,
        }
    }
}

/// Renders the chart; no points at all gives the "no data" SVG.
pub fn time_series_chart(c: &TimeSeriesChart) -> Result<Svg, ChartError> {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for t in &c.traces {
        for (i, p) in t.points.iter().enumerate() {
            xs.push(finite(&c.title, &t.name, "x", i, p.x)?);
            ys.push(finite(&c.title, &t.name, "y", i, p.y)?);
        }
    }
    if xs.is_empty() {
        return no_data(&c.title, c.size);
    }
    let integral = xs.iter().all(|x| x.fract() == 0.0);
    let x_range = value_range(&xs, false);
    let y_range = value_range(&ys, false);
    let x = AxisSpec {
        range: x_range,
        ticks: nice_ticks(x_range, 10, integral),
        label: c.x_axis.label(),
        grid: true,
    };
    let y = AxisSpec {
        range: y_range,
        ticks: nice_ticks(y_range, 6, false),
        label: c.y_axis.label(),
        grid: true,
    };
    let mut legend = legend(c.traces.iter().map(|t| t.name.as_str()), Mark::Line);
    if c.traces.iter().flat_map(|t| &t.points).any(|p| p.flagged) {
        legend.push(LegendEntry {
            name: c.flagged_label.clone(),
            color: RGBColor(0x55, 0x55, 0x55),
            mark: Mark::OpenCircle,
        });
    }
    draw_chart(&c.title, c.size, &legend, &x, &y, |plot| {
        for (j, t) in c.traces.iter().enumerate() {
            let color = series_color(j);
            plot.draw_series(std::iter::once(PathElement::new(
                t.points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>(),
                color.stroke_width(2),
            )))?;
            plot.draw_series(t.points.iter().map(|p| {
                if p.flagged {
                    Circle::new((p.x, p.y), 5, color.stroke_width(2))
                } else {
                    Circle::new((p.x, p.y), 3, color.filled())
                }
            }))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> TimeSeriesChart {
        let mut c = TimeSeriesChart::new(
            "wall time per iteration",
            Axis::categories("iteration"),
            Axis::new("wall time", "ms"),
        );
        let trace = |name: &str, base: f64| Trace {
            name: name.into(),
            points: (1..=12)
                .map(|i| Point {
                    x: i as f64,
                    y: base + i as f64 * 0.1,
                    flagged: i == 7,
                })
                .collect(),
        };
        c.traces = vec![trace("base", 250.0), trace("head", 240.0)];
        c.flagged_label = "contaminated".into();
        c
    }

    #[test]
    fn deterministic_with_names_and_labels() {
        let a = time_series_chart(&chart()).unwrap();
        assert_eq!(a, time_series_chart(&chart()).unwrap());
        for text in [
            "wall time per iteration",
            "base",
            "head",
            "contaminated",
            "wall time (ms)",
            "iteration",
        ] {
            assert!(a.texts().contains(&text), "{text} missing");
        }
        // 24 points, of which 2 open; one legend marker each for the traces, one open.
        assert_eq!(a.as_str().matches("<circle").count(), 24 + 3);
    }

    #[test]
    fn edge_cases() {
        let mut c = chart();
        c.traces[1].points[3].y = f64::INFINITY;
        let e = time_series_chart(&c).unwrap_err().to_string();
        assert!(e.contains("\"head\"") && e.contains("position 3"), "{e}");

        let mut c = chart();
        c.traces.iter_mut().for_each(|t| t.points.clear());
        assert!(time_series_chart(&c).unwrap().as_str().contains("no data"));

        // A single point, and identical values: an axis is still drawn.
        let mut c = chart();
        c.traces.truncate(1);
        c.traces[0].points = vec![Point {
            x: 1.0,
            y: 5.0,
            flagged: false,
        }];
        let svg = time_series_chart(&c).unwrap();
        assert!(!svg.as_str().contains("no data") && !svg.as_str().contains("contaminated"));
    }
}
