//! Distributions: for each group every sample as a point (jittered
//! sideways so equal values stay visible), over a box from the first to the
//! third quartile (R type 8, as in `harness_analysis::stats`) with a thick line at the
//! median. Showing every point is honest for the 10..60 samples a run has,
//! where a histogram would mostly show its binning. The value axis is fitted
//! to the data.

use super::{
    Axis, AxisSpec, ChartError, DEFAULT_SIZE, Svg, draw_chart, finite, nice_ticks, no_data,
    series_color, value_range,
};
use harness_analysis::stats::{Samples, median, quantile};
use plotters::prelude::*;

/// One group's samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: String,
    pub values: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DistributionChart {
    pub title: String,
    pub group_axis: Axis,
    pub value_axis: Axis,
    pub groups: Vec<Group>,
    pub size: (u32, u32),
}

impl DistributionChart {
    pub fn new(title: impl Into<String>, group_axis: Axis, value_axis: Axis) -> DistributionChart {
        DistributionChart {
            title: title.into(),
            group_axis,
            value_axis,
            groups: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

/// Median and quartiles; a single value is its own median, without a box.
fn quartiles(values: &[f64]) -> Option<(f64, Option<(f64, f64)>)> {
    match values {
        [] => None,
        [v] => Some((*v, None)),
        _ => {
            let s = Samples::new(values.to_vec()).ok()?;
            Some((median(&s), Some((quantile(&s, 0.25), quantile(&s, 0.75)))))
        }
    }
}

/// Sideways offset of the k-th point in [-0.5, 0.5): the golden-ratio
/// sequence spreads any number of points evenly and is deterministic.
fn jitter(k: usize) -> f64 {
    (k as f64 * 0.618_033_988_749_895).fract() - 0.5
}

/// Renders the chart; no groups or no values at all gives the "no data" SVG.
pub fn distribution_chart(c: &DistributionChart) -> Result<Svg, ChartError> {
    let mut all = Vec::new();
    for g in &c.groups {
        for (i, v) in g.values.iter().enumerate() {
            all.push(finite(&c.title, &g.name, "value", i, *v)?);
        }
    }
    if all.is_empty() {
        return no_data(&c.title, c.size);
    }
    let n = c.groups.len();
    // At least three slots wide, so one or two groups do not stretch
    // their boxes across the whole chart.
    let pad = 3usize.saturating_sub(n) as f64 / 2.0;
    let x = AxisSpec {
        range: (-pad, n as f64 + pad),
        ticks: c
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (i as f64 + 0.5, format!("{} (n={})", g.name, g.values.len())))
            .collect(),
        label: c.group_axis.label(),
        grid: false,
    };
    let range = value_range(&all, false);
    let y = AxisSpec {
        range,
        ticks: nice_ticks(range, 6, false),
        label: c.value_axis.label(),
        grid: true,
    };
    draw_chart(&c.title, c.size, &[], &x, &y, |plot| {
        for (i, g) in c.groups.iter().enumerate() {
            let color = series_color(i);
            let mid = i as f64 + 0.5;
            if let Some((med, quart)) = quartiles(&g.values) {
                if let Some((q1, q3)) = quart {
                    plot.draw_series([
                        Rectangle::new(
                            [(mid - 0.25, q1), (mid + 0.25, q3)],
                            color.mix(0.15).filled(),
                        ),
                        Rectangle::new([(mid - 0.25, q1), (mid + 0.25, q3)], color.stroke_width(2)),
                    ])?;
                }
                plot.draw_series(std::iter::once(PathElement::new(
                    vec![(mid - 0.3, med), (mid + 0.3, med)],
                    BLACK.stroke_width(3),
                )))?;
            }
            plot.draw_series(g.values.iter().enumerate().map(|(k, v)| {
                Circle::new((mid + jitter(k) * 0.4, *v), 3, color.mix(0.8).filled())
            }))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> DistributionChart {
        let mut c = DistributionChart::new(
            "wall time distribution",
            Axis::categories("run"),
            Axis::new("wall time", "ms"),
        );
        c.groups = vec![
            Group {
                name: "run A".into(),
                values: (0..15).map(|i| 250.0 + (i % 5) as f64).collect(),
            },
            Group {
                name: "run B".into(),
                values: vec![240.0],
            },
            Group {
                name: "run C".into(),
                values: vec![],
            },
        ];
        c
    }

    #[test]
    fn deterministic_with_names_and_labels() {
        let a = distribution_chart(&chart()).unwrap();
        assert_eq!(a, distribution_chart(&chart()).unwrap());
        for text in [
            "wall time distribution",
            "run A (n=15)",
            "run B (n=1)",
            "run C (n=0)",
            "wall time (ms)",
        ] {
            assert!(a.texts().contains(&text), "{text} missing");
        }
        assert_eq!(a.as_str().matches("<circle").count(), 16);
        // Background, and the box of run A (fill and outline); run B has none.
        assert_eq!(a.as_str().matches("<rect").count(), 3);
    }

    #[test]
    fn quartiles_follow_stats() {
        assert_eq!(quartiles(&[]), None);
        assert_eq!(quartiles(&[3.0]), Some((3.0, None)));
        let (m, q) = quartiles(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(m, 2.5);
        let (q1, q3) = q.unwrap();
        assert!((q1 - (1.0 + 5.0 / 12.0)).abs() < 1e-12 && q1 < m && m < q3);
        assert!((0..100).map(jitter).all(|j| (-0.5..0.5).contains(&j)));
    }

    #[test]
    fn edge_cases() {
        let mut c = chart();
        c.groups[0].values[2] = f64::NAN;
        let e = distribution_chart(&c).unwrap_err().to_string();
        assert!(e.contains("run A") && e.contains("position 2"), "{e}");
        let mut c = chart();
        c.groups.iter_mut().for_each(|g| g.values.clear());
        assert!(distribution_chart(&c).unwrap().as_str().contains("no data"));
    }
}
