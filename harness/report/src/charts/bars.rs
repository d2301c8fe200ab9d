//! Grouped bar chart: one group per category, one bar per series in each
//! group, optionally an error bar from an interval (e.g. the 95% CI of the
//! median). Bars start at zero so lengths compare honestly.

use super::{
    Axis, AxisSpec, Band, ChartError, DEFAULT_SIZE, Mark, Svg, draw_chart, finite, interval,
    legend, nice_ticks, no_data, one_per, series_color, value_range,
};
use plotters::prelude::*;

harness_model::closed_enum! {
    /// Which way the bars grow.
    pub enum Orientation ("orientation") {
        /// Categories along x, values up.
        Vertical = "vertical",
        /// Categories down the y axis (first at the top), values to the right;
        /// better for long category names.
        Horizontal = "horizontal",
    }
}

/// One bar: its value and an optional `(low, high)` interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

/// A named series: one entry per category, in the categories' order;
/// `None` where the series has no value for that category (no bar drawn).
#[derive(Clone, Debug, PartialEq)]
pub struct BarSeries {
    pub name: String,
    pub bars: Vec<Option<Bar>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub categories: Vec<String>,
    pub category_axis: Axis,
    pub value_axis: Axis,
    pub series: Vec<BarSeries>,
    /// Shaded behind the bars along the value axis; `None` for none.
    pub band: Option<Band>,
    pub orientation: Orientation,
    pub size: (u32, u32),
}

impl BarChart {
    /// A vertical chart of [`DEFAULT_SIZE`] without series yet.
    pub fn new(
        title: impl Into<String>,
        categories: Vec<String>,
        category_axis: Axis,
        value_axis: Axis,
    ) -> BarChart {
        BarChart {
            title: title.into(),
            categories,
            category_axis,
            value_axis,
            series: Vec::new(),
            band: None,
            orientation: Orientation::Vertical,
            size: DEFAULT_SIZE,
        }
    }
}

/// Fraction of a category's slot the group of bars fills.
const GROUP: f64 = 0.8;

/// Renders the chart; no categories or no series gives the "no data" SVG.
pub fn bar_chart(c: &BarChart) -> Result<Svg, ChartError> {
    if c.categories.is_empty() || c.series.is_empty() {
        return no_data(&c.title, c.size);
    }
    let mut extent = vec![0.0];
    for s in &c.series {
        one_per(
            &c.title,
            &s.name,
            (s.bars.len(), "bars"),
            (c.categories.len(), "categories"),
        )?;
        for (i, b) in s.bars.iter().enumerate() {
            let Some(b) = b else { continue };
            extent.push(finite(&c.title, &s.name, "value", i, b.value)?);
            if let Some((lo, hi)) = b.interval {
                extent.extend([lo, hi]);
                interval(&c.title, &s.name, i, lo, hi)?;
            }
        }
    }
    let n = c.categories.len();
    // Slot of category i: [slot, slot + 1]; horizontal charts list the
    // first category at the top.
    let slot = |i: usize| match c.orientation {
        Orientation::Vertical => i as f64,
        Orientation::Horizontal => (n - 1 - i) as f64,
    };
    let cat_axis = AxisSpec {
        range: (0.0, n as f64),
        ticks: (0..n)
            .map(|i| (slot(i) + 0.5, c.categories[i].clone()))
            .collect(),
        label: c.category_axis.label(),
        grid: false,
    };
    let band_legend = Band::legend(c.band.as_ref(), &c.title, &mut extent)?;
    let range = value_range(&extent, true);
    let val_axis = AxisSpec {
        range,
        ticks: nice_ticks(range, 6, false),
        label: c.value_axis.label(),
        grid: true,
    };
    let (x, y) = match c.orientation {
        Orientation::Vertical => (&cat_axis, &val_axis),
        Orientation::Horizontal => (&val_axis, &cat_axis),
    };
    // (category coordinate, value) → chart coordinates.
    let at = |cat: f64, v: f64| match c.orientation {
        Orientation::Vertical => (cat, v),
        Orientation::Horizontal => (v, cat),
    };
    let mut legend = legend(c.series.iter().map(|s| s.name.as_str()), Mark::Square);
    legend.extend(band_legend);
    let width = GROUP / c.series.len() as f64;
    draw_chart(&c.title, c.size, &legend, x, y, |plot| {
        if let Some(b) = &c.band {
            plot.draw_series(std::iter::once(
                b.rectangle(at(0.0, b.low), at(n as f64, b.high)),
            ))?;
        }
        for (j, s) in c.series.iter().enumerate() {
            let color = series_color(j);
            for (i, b) in s.bars.iter().enumerate() {
                let Some(b) = b else { continue };
                let c0 = slot(i) + (1.0 - GROUP) / 2.0 + j as f64 * width;
                let c1 = c0 + width * 0.9;
                plot.draw_series(std::iter::once(Rectangle::new(
                    [at(c0, 0.0), at(c1, b.value)],
                    color.filled(),
                )))?;
                if let Some((lo, hi)) = b.interval {
                    let mid = (c0 + c1) / 2.0;
                    let cap = width * 0.2;
                    let style = BLACK.stroke_width(2);
                    plot.draw_series([
                        PathElement::new(vec![at(mid, lo), at(mid, hi)], style),
                        PathElement::new(vec![at(mid - cap, lo), at(mid + cap, lo)], style),
                        PathElement::new(vec![at(mid - cap, hi), at(mid + cap, hi)], style),
                    ])?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(orientation: Orientation) -> BarChart {
        let mut c = BarChart::new(
            "cycles per byte by stage",
            vec!["tree_diff".into(), "exec".into()],
            Axis::categories("stage"),
            Axis::new("cycles per byte", "reference cycles"),
        );
        c.orientation = orientation;
        c.series = vec![
            BarSeries {
                name: "base run".into(),
                bars: vec![
                    Some(Bar {
                        value: 4.0,
                        interval: Some((3.8, 4.3)),
                    }),
                    Some(Bar {
                        value: 6.5,
                        interval: None,
                    }),
                ],
            },
            BarSeries {
                name: "head run".into(),
                bars: vec![
                    Some(Bar {
                        value: 3.1,
                        interval: Some((3.0, 3.2)),
                    }),
                    Some(Bar {
                        value: 6.4,
                        interval: Some((6.4, 6.4)),
                    }),
                ],
            },
        ];
        c
    }

    #[test]
    fn deterministic_with_names_and_labels() {
        for o in Orientation::all() {
            let a = bar_chart(&chart(o)).unwrap();
            assert_eq!(a, bar_chart(&chart(o)).unwrap());
            for text in [
                "cycles per byte by stage",
                "base run",
                "head run",
                "tree_diff",
                "exec",
                "cycles per byte (reference cycles)",
                "stage",
            ] {
                assert!(a.texts().contains(&text), "{o:?}: {text} missing");
            }
            // Background, 2 legend squares, 4 bars; 3 error bars of 3 black strokes.
            assert_eq!(a.as_str().matches("<rect").count(), 1 + 2 + 4, "{o:?}");
            let strokes = a.as_str().matches(r##"stroke="#000000" stroke-width="2""##);
            assert_eq!(strokes.count(), 3 * 3, "{o:?}");
        }
        assert_ne!(
            bar_chart(&chart(Orientation::Vertical)).unwrap(),
            bar_chart(&chart(Orientation::Horizontal)).unwrap()
        );
    }

    #[test]
    fn band_is_shaded_and_in_range() {
        for o in Orientation::all() {
            let mut c = chart(o);
            c.band = Some(Band {
                label: "±2% threshold".into(),
                low: -6.0,
                high: 12.0,
            });
            let svg = bar_chart(&c).unwrap();
            assert_eq!(svg, bar_chart(&c).unwrap());
            assert!(svg.texts().contains(&"±2% threshold"), "{o:?}");
            // As before, plus the band's legend square and the band.
            assert_eq!(
                svg.as_str().matches("<rect").count(),
                1 + 2 + 4 + 2,
                "{o:?}"
            );
            // The value axis covers the band beyond the data on both ends.
            let texts = svg.texts();
            assert!(
                texts.contains(&"-5") && texts.contains(&"10"),
                "{o:?}: {texts:?}"
            );
            c.band = Some(Band {
                label: "upside down".into(),
                low: 1.0,
                high: 0.0,
            });
            let e = bar_chart(&c).unwrap_err();
            assert!(
                matches!(e, ChartError::BadInterval { ref series, .. } if series == "upside down"),
                "{e}"
            );
        }
    }

    #[test]
    fn bad_input_is_named() {
        let mut c = chart(Orientation::Vertical);
        c.series[1].bars[1] = Some(Bar {
            value: f64::NAN,
            interval: None,
        });
        let e = bar_chart(&c).unwrap_err().to_string();
        assert!(
            e.contains("head run") && e.contains("position 1") && e.contains("NaN"),
            "{e}"
        );

        let mut c = chart(Orientation::Vertical);
        c.series[0].bars[0] = Some(Bar {
            value: 4.5,
            interval: Some((5.0, 4.0)),
        });
        let e = bar_chart(&c).unwrap_err();
        assert!(matches!(e, ChartError::BadInterval { index: 0, .. }), "{e}");

        let mut c = chart(Orientation::Vertical);
        c.series[0].bars.pop();
        let e = bar_chart(&c).unwrap_err().to_string();
        assert!(e.contains("1 bars for 2 categories"), "{e}");
    }

    #[test]
    fn empty_and_degenerate_data() {
        let mut c = chart(Orientation::Vertical);
        c.series.clear();
        assert!(bar_chart(&c).unwrap().as_str().contains("no data"));
        let mut c = chart(Orientation::Horizontal);
        c.categories.truncate(1);
        for s in &mut c.series {
            s.bars.truncate(1);
            s.bars[0] = Some(Bar {
                value: 0.0,
                interval: None,
            });
        }
        let svg = bar_chart(&c).unwrap();
        assert!(!svg.as_str().contains("no data"));
        // A missing value draws no bar: background, 2 legend squares, 1 bar.
        c.series[1].bars[0] = None;
        assert_eq!(bar_chart(&c).unwrap().as_str().matches("<rect").count(), 4);
    }
}
