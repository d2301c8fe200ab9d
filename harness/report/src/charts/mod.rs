//! Charts: pure functions from plain data to SVG markup, drawn with
//! plotters' SVG backend into a `String` (no files, no fonts, no clocks).
//!
//! Four kinds, one module each:
//! - [`bars`]: grouped bars (categories × series), vertical or horizontal,
//!   with optional error bars from a low/high interval — e.g. cycles per
//!   byte per stage, one series per run.
//! - [`time_series`]: several named traces of (x, y) points, e.g. wall time
//!   per iteration, one trace per run; flagged points (contaminated
//!   iterations) are drawn as open markers.
//! - [`distribution`]: per group every sample as a jittered point, plus its
//!   median and interquartile box — honest for n = 10..60, where a histogram
//!   would mostly show binning.
//! - [`history`]: medians across runs with their confidence band.
//! - [`flame`]: flame graphs and differential flame graphs of profiles
//!   (inferno's, not plotters'; the page embeds them as images).
//!
//! Every chart has a title, axes named with their units ([`Axis`]), a
//! legend above the plot where there are named series, and a fixed,
//! colour-blind-safe palette ([`PALETTE`], Okabe–Ito); a bar chart can
//! shade a reference [`Band`] (an A/B compare's ±threshold). Invariants: the same
//! input gives byte-identical SVG; a chart without data is an explicit
//! "no data" SVG (not an error); a non-finite value, an interval with
//! `low > high`, or rows that do not match their categories are a
//! [`ChartError`] naming the chart, the series and the position.

pub mod bars;
pub mod distribution;
pub mod flame;
pub mod history;
pub mod time_series;

pub use bars::{Bar, BarChart, BarSeries, Orientation, bar_chart};
pub use distribution::{DistributionChart, Group, distribution_chart};
pub use history::{HistoryChart, HistoryPoint, HistorySeries, history_chart};
pub use time_series::{Point, TimeSeriesChart, Trace, time_series_chart};

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Default chart size in pixels (width, height); the page scales SVGs down
/// to its width.
pub const DEFAULT_SIZE: (u32, u32) = (900, 380);

/// Okabe–Ito colours, distinguishable with the common colour-vision
/// deficiencies; series `i` gets `PALETTE[i % 8]`. Yellow is last because it
/// has the least contrast on white.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// The colour of series `index`.
pub fn series_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// An axis: what it shows and in which unit ("wall time", "ms").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    pub name: String,
    /// `None` for axes without a unit (categories, run labels).
    pub unit: Option<String>,
}

impl Axis {
    pub fn new(name: impl Into<String>, unit: impl Into<String>) -> Axis {
        Axis {
            name: name.into(),
            unit: Some(unit.into()),
        }
    }

    /// An axis of names (categories, runs), which has no unit.
    pub fn categories(name: impl Into<String>) -> Axis {
        Axis {
            name: name.into(),
            unit: None,
        }
    }

    /// "name (unit)", as written along the axis.
    pub fn label(&self) -> String {
        match &self.unit {
            Some(u) if !u.is_empty() => format!("{} ({u})", self.name),
            Some(_) | None => self.name.clone(),
        }
    }
}

/// A reference range of values shaded across the whole plot behind the
/// data and named in the legend, e.g. an A/B compare's ±threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub label: String,
    pub low: f64,
    pub high: f64,
}

/// Band colour: a light grey that stays behind the series colours.
const BAND: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);

impl Band {
    /// Checks `band` (if any), adds its ends to the values the axis must
    /// cover, and returns its legend entry.
    pub(crate) fn legend(
        band: Option<&Band>,
        chart: &str,
        extent: &mut Vec<f64>,
    ) -> Result<Vec<LegendEntry>, ChartError> {
        let Some(b) = band else {
            return Ok(Vec::new());
        };
        let (low, high) = interval(chart, &b.label, 0, b.low, b.high)?;
        extent.extend([low, high]);
        Ok(vec![LegendEntry {
            name: b.label.clone(),
            color: BAND,
            mark: Mark::Square,
        }])
    }

    /// The shaded rectangle between two corners in chart coordinates.
    pub(crate) fn rectangle(&self, a: (f64, f64), b: (f64, f64)) -> Rectangle<(f64, f64)> {
        Rectangle::new([a, b], BAND.mix(0.35).filled())
    }
}

/// SVG markup made by this module. The text inside is escaped by plotters,
/// which is why `html` inlines it as it is; only this
/// module constructs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svg(String);

impl Svg {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The contents of its `<text>` elements in document order, as written
    /// (XML-escaped): titles, axis labels, tick labels, legend entries.
    pub fn texts(&self) -> Vec<&str> {
        self.0
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim())
            })
            .collect()
    }
}

/// Why a chart could not be drawn.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ChartError {
    #[error(
        "chart {chart:?}: series {series:?}: {what} at position {index} is {value}, not a finite number"
    )]
    NotFinite {
        chart: String,
        series: String,
        what: &'static str,
        index: usize,
        value: f64,
    },
    #[error(
        "chart {chart:?}: series {series:?}: interval at position {index} has low {low} above high {high}"
    )]
    BadInterval {
        chart: String,
        series: String,
        index: usize,
        low: f64,
        high: f64,
    },
    #[error("chart {chart:?}: {reason}")]
    Shape { chart: String, reason: String },
    #[error("chart {chart:?}: drawing failed: {reason}")]
    Draw { chart: String, reason: String },
}

/// Refuses NaN and infinities, naming where they are.
pub(crate) fn finite(
    chart: &str,
    series: &str,
    what: &'static str,
    index: usize,
    value: f64,
) -> Result<f64, ChartError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ChartError::NotFinite {
            chart: chart.into(),
            series: series.into(),
            what,
            index,
            value,
        })
    }
}

/// Checks `low <= high` (both finite).
pub(crate) fn interval(
    chart: &str,
    series: &str,
    index: usize,
    low: f64,
    high: f64,
) -> Result<(f64, f64), ChartError> {
    finite(chart, series, "interval low", index, low)?;
    finite(chart, series, "interval high", index, high)?;
    if low > high {
        return Err(ChartError::BadInterval {
            chart: chart.into(),
            series: series.into(),
            index,
            low,
            high,
        });
    }
    Ok((low, high))
}

/// Checks that a series has one entry per category (or run).
pub(crate) fn one_per(
    chart: &str,
    series: &str,
    entries: (usize, &str),
    expected: (usize, &str),
) -> Result<(), ChartError> {
    if entries.0 == expected.0 {
        return Ok(());
    }
    Err(ChartError::Shape {
        chart: chart.into(),
        reason: format!(
            "series {series:?} has {} {} for {} {}",
            entries.0, entries.1, expected.0, expected.1
        ),
    })
}

/// One legend entry per series, in series colours.
pub(crate) fn legend<'n>(names: impl Iterator<Item = &'n str>, mark: Mark) -> Vec<LegendEntry> {
    names
        .enumerate()
        .map(|(j, name)| LegendEntry {
            name: name.to_string(),
            color: series_color(j),
            mark,
        })
        .collect()
}

/// Value range of the data, padded by 5% so nothing sits on the frame. With
/// `from_zero` the range includes 0 and is not padded past it (bars must
/// start at zero to compare by length). A zero-width range is widened so a
/// single value or identical values still get an axis.
pub(crate) fn value_range(values: &[f64], from_zero: bool) -> (f64, f64) {
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo <= 0.0 {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return if from_zero && lo == 0.0 {
            (0.0, pad)
        } else {
            (lo - pad, hi + pad)
        };
    }
    let pad = (hi - lo) * 0.05;
    let lo = if from_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    let hi = if from_zero && hi == 0.0 {
        0.0
    } else {
        hi + pad
    };
    (lo, hi)
}

/// Round tick positions (1, 2 or 5 × 10^k apart) inside `range`, about
/// `target` of them, labelled with as many decimals as the step needs.
/// Positions are integer multiples of the step, so labels carry no
/// accumulated rounding noise. `integral` forces a step of at least 1
/// (iteration indices).
pub(crate) fn nice_ticks(range: (f64, f64), target: usize, integral: bool) -> Vec<(f64, String)> {
    let (lo, hi) = range;
    let raw = (hi - lo) / target.max(1) as f64;
    if raw <= 0.0 || !raw.is_finite() {
        return vec![(lo, number(lo, 0))];
    }
    let mag = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    if integral {
        step = step.max(1.0).round();
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            (v, number(v, decimals))
        })
        .collect()
}

/// A number with `decimals` digits, without a "-0".
fn number(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Approximate width in pixels of `text` at the label font size; SVG text
/// is laid out by the viewer, so this only sizes the margins.
pub(crate) fn text_width(text: &str) -> u32 {
    (text.chars().count() as u32 * 17) / 2
}

/// One axis of a plot: its range, its labelled ticks, and what it shows.
#[derive(Clone, Debug)]
pub(crate) struct AxisSpec {
    pub range: (f64, f64),
    pub ticks: Vec<(f64, String)>,
    pub label: String,
    /// Grid lines at the ticks; off for category axes, where they would
    /// cut through bars and boxes.
    pub grid: bool,
}

impl AxisSpec {
    /// The label of the tick at `v`, or nothing (plotters only asks for the
    /// key points it was given).
    fn tick_label(&self, v: f64) -> String {
        self.ticks
            .iter()
            .find(|(t, _)| *t == v)
            .map_or_else(String::new, |(_, l)| l.clone())
    }

    fn coord(&self) -> TickedAxis {
        TickedAxis {
            lo: self.range.0,
            hi: self.range.1,
            ticks: self.ticks.iter().map(|t| t.0).collect(),
        }
    }

    fn widest_label(&self) -> u32 {
        self.ticks
            .iter()
            .map(|(_, l)| text_width(l))
            .max()
            .unwrap_or(0)
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A filled square (bars, boxes).
    Square,
    /// A short line with a dot (traces).
    Line,
    /// An open circle (flagged points).
    OpenCircle,
}

#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub name: String,
    pub color: RGBColor,
    pub mark: Mark,
}

/// A linear f64 axis whose grid lines and labels are exactly the given
/// ticks. (plotters' own `WithKeyPoints` over f64 cannot take a label
/// formatter in 0.3.7, hence this small coordinate.)
#[derive(Clone, Debug)]
pub(crate) struct TickedAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light (minor) grid lines are not drawn: only the labelled ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

pub(crate) type Plot<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<TickedAxis, TickedAxis>>;

pub(crate) type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

const TITLE_HEIGHT: u32 = 34;
const LEGEND_ROW: u32 = 22;
pub(crate) const LABEL_FONT: u32 = 17;
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

/// Legend rows: entries laid out left to right, wrapped at `width`.
fn legend_rows(entries: &[LegendEntry], width: u32) -> Vec<Vec<(u32, &LegendEntry)>> {
    let mut rows: Vec<Vec<(u32, &LegendEntry)>> = Vec::new();
    let mut x = 0;
    for e in entries {
        let w = 24 + text_width(&e.name) + 18;
        if rows.is_empty() || (x + w > width && x > 0) {
            rows.push(Vec::new());
            x = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, e));
        }
        x += w;
    }
    rows
}

/// Draws a chart: title, legend, axes with their ticks and labels, then
/// `body` inside the plotting area. Everything outside `body` is the same
/// for every chart kind, so they look alike.
pub(crate) fn draw_chart(
    title: &str,
    size: (u32, u32),
    legend: &[LegendEntry],
    x: &AxisSpec,
    y: &AxisSpec,
    body: impl FnOnce(&mut Plot<'_, '_>) -> DrawResult,
) -> Result<Svg, ChartError> {
    render(title, size, |root| {
        let rows = legend_rows(legend, size.0.saturating_sub(80));
        let top = TITLE_HEIGHT + LEGEND_ROW * rows.len() as u32;
        let (head, area) = root.split_vertically(top);
        draw_head(&head, title, size.0, &rows)?;
        let y_label_width = y.widest_label() + 18;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(12)
            .margin_right(24)
            .margin_top(8)
            .margin_bottom(6)
            .x_label_area_size(46)
            .y_label_area_size(y_label_width + 28)
            .build_cartesian_2d(x.coord(), y.coord())?;
        let fx = |v: &f64| x.tick_label(*v);
        let fy = |v: &f64| y.tick_label(*v);
        let mut mesh = chart.configure_mesh();
        if !x.grid {
            mesh.disable_x_mesh();
        }
        if !y.grid {
            mesh.disable_y_mesh();
        }
        mesh.bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(BLACK)
            .label_style(("sans-serif", LABEL_FONT))
            .axis_desc_style(("sans-serif", LABEL_FONT + 1))
            .x_desc(x.label.as_str())
            .y_desc(y.label.as_str())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .draw()?;
        body(&mut chart)
    })
}

type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

/// Draws on a white canvas of `size` and returns the SVG; drawing errors
/// name the chart.
fn render(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<Svg, ChartError> {
    let mut buf = String::new();
    let drawn = (|| -> DrawResult {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()
    })();
    drawn.map_err(|e| ChartError::Draw {
        chart: title.into(),
        reason: e.to_string(),
    })?;
    Ok(Svg(buf))
}

fn draw_head(
    head: &Area<'_>,
    title: &str,
    width: u32,
    rows: &[Vec<(u32, &LegendEntry)>],
) -> DrawResult {
    let centered = ("sans-serif", 20)
        .into_font()
        .style(FontStyle::Bold)
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    head.draw(&Text::new(
        title.to_string(),
        ((width / 2) as i32, 8),
        centered,
    ))?;
    for (r, row) in rows.iter().enumerate() {
        let y = (TITLE_HEIGHT + LEGEND_ROW * r as u32) as i32 + 4;
        for &(x, e) in row {
            let x = x as i32 + 70;
            let c = e.color;
            match e.mark {
                Mark::Square => {
                    head.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], c.filled()))?
                }
                Mark::Line => {
                    head.draw(&PathElement::new(
                        vec![(x - 2, y + 7), (x + 16, y + 7)],
                        c.stroke_width(2),
                    ))?;
                    head.draw(&Circle::new((x + 7, y + 7), 3, c.filled()))?;
                }
                Mark::OpenCircle => {
                    head.draw(&Circle::new((x + 7, y + 7), 5, c.stroke_width(2)))?
                }
            }
            let left = ("sans-serif", LABEL_FONT)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center));
            head.draw(&Text::new(e.name.clone(), (x + 22, y + 7), left))?;
        }
    }
    Ok(())
}

/// An explicit "no data" chart: the title and a framed message, so a page
/// shows where a chart would be and why it is empty.
pub(crate) fn no_data(title: &str, size: (u32, u32)) -> Result<Svg, ChartError> {
    render(title, size, |root| {
        let (w, h) = (size.0 as i32, size.1 as i32);
        root.draw(&Rectangle::new(
            [(1, 1), (w - 1, h - 1)],
            GRID.stroke_width(1),
        ))?;
        let font = |s: u32| {
            ("sans-serif", s)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        root.draw(&Text::new(title.to_string(), (w / 2, 20), font(20)))?;
        root.draw(&Text::new("no data".to_string(), (w / 2, h / 2), font(18)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_padded_and_never_empty() {
        assert_eq!(value_range(&[], false), (-0.05, 1.05));
        assert_eq!(value_range(&[0.0, 0.0], true), (0.0, 1.0));
        assert_eq!(value_range(&[5.0], false), (4.5, 5.5));
        assert_eq!(value_range(&[5.0], true), (0.0, 5.25));
        assert_eq!(value_range(&[-2.0, 2.0], true), (-2.2, 2.2));
        let (lo, hi) = value_range(&[10.0, 20.0], false);
        assert!((lo - 9.5).abs() < 1e-12 && (hi - 20.5).abs() < 1e-12);
    }

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        let t = nice_ticks((0.0, 10.0), 5, false);
        let labels: Vec<&str> = t.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["0", "2", "4", "6", "8", "10"]);
        let t = nice_ticks((0.93, 1.07), 5, false);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("0.95"));
        assert!(t.iter().all(|(v, _)| (0.93..=1.07).contains(v)));
        let t = nice_ticks((0.5, 3.5), 8, true);
        let labels: Vec<&str> = t.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["1", "2", "3"]);
        assert_eq!(nice_ticks((-1.0, 1.0), 2, false)[1].1, "0");
    }

    #[test]
    fn axis_labels_carry_units() {
        assert_eq!(Axis::new("wall time", "ms").label(), "wall time (ms)");
        assert_eq!(Axis::categories("stage").label(), "stage");
    }

    #[test]
    fn no_data_is_explicit() {
        let svg = no_data("empty <chart>", DEFAULT_SIZE).unwrap();
        assert!(svg.as_str().starts_with("<svg"));
        assert_eq!(svg.texts(), ["empty &lt;chart&gt;", "no data"]);
    }
}
