//! The A/B compare report: one `compare.json` ([`CompareFile`]) as a
//! self-contained HTML page (`report.html` next to it), made from the same
//! building blocks as the run report.
//!
//! Sections: a summary (outcome and exit code, the gated comparisons that
//! decided it, both revisions, rounds and minimum detectable change per
//! stratum); per stratum the metric table, cycles per byte per stage base
//! vs head (grouped bars with the medians' intervals), wall time per round
//! in round order (drift), the wall-time distribution of both sides, the
//! change Δ of every metric and stage with its interval against the
//! ±threshold band, and the per-stage table; the microbenchmarks (table, and a bar chart of
//! their changes when there are any); the findings check, environment and
//! method (gate settings) in a collapsed block.
//!
//! Invariants: pure (the same file gives the same bytes); every stratum
//! gets exactly [`CHARTS_PER_STRATUM`] charts (an empty one is an explicit
//! "no data" chart) and the micro chart appears iff there are
//! microbenchmarks, so [`expected_charts`] is the page's SVG count; figures
//! are formatted by the PR comment's helpers, so both show the same numbers.

use crate::ReportError;
use crate::charts::{
    Axis, Band, Bar, BarChart, BarSeries, DistributionChart, Group, Orientation, Point,
    TimeSeriesChart, Trace, bar_chart, distribution_chart, time_series_chart,
};
use crate::comment::{delta_and_ci, gated_with};
use crate::format::{
    change as pct, grouped, mib, per_byte_unit, plus_minus as percent, time_unit, value,
};
use crate::html::{Cell, Page, Section, Table};
use harness_model::CounterSource;
use harness_model::compare::{
    CompareFile, Comparison, PMethod, PairedStats, Revision, RoundPoint, StratumComparison,
};
use harness_model::verdict::{GateOutcome, Verdict};

/// Charts in every stratum's section.
pub const CHARTS_PER_STRATUM: usize = 4;

/// The number of charts (inline SVGs) on the page of `file`.
pub fn expected_charts(file: &CompareFile) -> usize {
    CHARTS_PER_STRATUM * file.strata.len() + usize::from(!file.micro.is_empty())
}

/// The page as HTML; see the module documentation for its content.
pub fn compare_report(file: &CompareFile) -> Result<String, ReportError> {
    Ok(compare_report_page(file)?.render())
}

/// The page as a [`Page`], for callers that add sections or count figures.
pub fn compare_report_page(file: &CompareFile) -> Result<Page, ReportError> {
    let base = side_label("base", &file.base);
    let head = side_label("head", &file.head);
    let mut page = Page::new(format!("scanner-rs A/B compare: {base} → {head}"));
    page.intro(format!(
        "Created {} (UTC). Outcome: {}. Figures come from compare.json; the method is in \
         docs/compare.md, each chart is described in docs/report.md.",
        file.created,
        file.outcome.as_str()
    ));
    let sides = [base.as_str(), head.as_str()];
    summary_section(page.section("Summary"), file)?;
    for s in &file.strata {
        let title = crate::format::workload_title(&s.stratum);
        stratum_section(page.section(&title), file, s, sides)?;
    }
    micro_section(page.section("Microbenchmarks"), file)?;
    exact_section(page.section("Exact end-to-end figures"), file)?;
    details_section(page.section("Findings, environment and method"), file)?;
    Ok(page)
}

/// "base main e715c9d", "head HEAD 8233ef4+dirty"; the name as given is
/// left out where it is just the side's name, the commit where unknown.
fn side_label(side: &str, rev: &Revision) -> String {
    let mut label = side.to_string();
    if rev.rev != side && !rev.rev.is_empty() {
        label.push(' ');
        label.push_str(&rev.rev);
    }
    if !rev.commit.is_empty() {
        label.push(' ');
        label.push_str(&rev.commit[..rev.commit.len().min(7)]);
    }
    if rev.dirty {
        label.push_str("+dirty");
    }
    label
}

fn mdc(s: &StratumComparison) -> String {
    s.min_detectable_change.map_or("n/a".into(), percent)
}

/// Gated comparisons (metrics, stages, microbenchmarks) of `s`, or of the
/// micro section when `s` is `None`, with the given verdict.
fn gated_count(file: &CompareFile, s: Option<&StratumComparison>, verdict: Verdict) -> usize {
    let hit = |c: &Comparison| c.gated && c.verdict == verdict;
    match s {
        Some(s) => {
            s.metrics.iter().filter(|m| hit(&m.comparison)).count()
                + s.stages.iter().filter(|st| hit(&st.comparison)).count()
        }
        None => file
            .micro
            .iter()
            .filter(|m| m.gated && m.verdict == verdict)
            .count(),
    }
}

/// "2 unchanged, 1 inconclusive": the non-zero counts, in
/// [`Verdict::all`] order, or "none gated".
fn verdict_counts(file: &CompareFile, s: Option<&StratumComparison>) -> String {
    let parts: Vec<String> = Verdict::all()
        .into_iter()
        .map(|v| (gated_count(file, s, v), v))
        .filter(|(n, _)| *n > 0)
        .map(|(n, v)| format!("{n} {}", v.as_str()))
        .collect();
    if parts.is_empty() {
        "none gated".into()
    } else {
        parts.join(", ")
    }
}

fn outcome_meaning(outcome: GateOutcome) -> &'static str {
    match outcome {
        GateOutcome::Pass => {
            "no gated comparison regressed or stayed inconclusive (timing that unchanged exact \
             figures settled excepted)"
        }
        GateOutcome::Regression => "at least one gated comparison regressed",
        GateOutcome::FindingsChanged => "the two sides' findings differ and that was not allowed",
        GateOutcome::Inconclusive => {
            "no regression, but a gated comparison stayed inconclusive at the round cap"
        }
    }
}

fn summary_section(s: &mut Section, file: &CompareFile) -> Result<(), ReportError> {
    let outcome = format!(
        "Outcome: {} — {}. Exit code {} (0 pass, 1 regression or findings changed, 2 error, \
         3 inconclusive).",
        file.outcome.as_str(),
        outcome_meaning(file.outcome),
        file.exit_code
    );
    match file.outcome {
        GateOutcome::Pass => s.paragraph(outcome),
        GateOutcome::Regression | GateOutcome::FindingsChanged | GateOutcome::Inconclusive => {
            s.warning(outcome)
        }
    };
    for verdict in [Verdict::Regressed, Verdict::Inconclusive, Verdict::Improved] {
        let found = gated_with(file, verdict);
        if !found.is_empty() {
            let list: Vec<String> = found
                .iter()
                .map(|f| format!("{} {}", f.what, f.change))
                .collect();
            s.paragraph(format!(
                "Gated comparisons {} ({}): {}.",
                verdict.as_str(),
                found.len(),
                list.join("; ")
            ));
        }
    }
    if !file.findings.identical {
        s.warning(format!(
            "The findings differ: base {} findings, head {}{}.",
            file.findings.base_count,
            file.findings.head_count,
            if file.findings.allowed_to_change {
                " (allowed by --allow-findings-change)"
            } else {
                ""
            }
        ));
    }
    let mut t = Table::new(
        "revisions",
        &["side", "as given", "commit", "uncommitted changes"],
    );
    for (side, rev) in [("base", &file.base), ("head", &file.head)] {
        t.row(vec![
            Cell::text(side),
            Cell::text(rev.rev.clone()),
            Cell::text(if rev.commit.is_empty() {
                "unknown".to_string()
            } else {
                rev.commit.clone()
            }),
            Cell::text(if rev.dirty { "yes (dirty)" } else { "no" }),
        ])?;
    }
    s.table(t);
    let mut t = Table::new(
        format!(
            "strata ({} {} rounds at most; threshold ±{:.1}%)",
            file.method.rounds,
            file.method.order.as_str(),
            file.method.gate.statistics.threshold * 100.0
        ),
        &[
            "stratum",
            "scanned per scan",
            "rounds",
            "counted",
            "minimum detectable change",
            "gated verdicts",
        ],
    );
    for st in &file.strata {
        t.row(vec![
            Cell::text(st.stratum.as_str()),
            Cell::number(mib(st.bytes as f64)),
            Cell::number(st.rounds.to_string()),
            Cell::number(st.rounds_counted.to_string()),
            Cell::number(mdc(st)),
            Cell::text(verdict_counts(file, Some(st))),
        ])?;
    }
    if !file.micro.is_empty() {
        t.row(vec![
            Cell::text("microbenchmarks"),
            Cell::number("-"),
            Cell::number("-"),
            Cell::number("-"),
            Cell::number("exact"),
            Cell::text(verdict_counts(file, None)),
        ])?;
    }
    s.table(t);
    s.paragraph(
        "Minimum detectable change: half-width of the widest interval among the stratum's \
         gated timing metrics — changes smaller than this cannot be told apart from none by \
         this run.",
    );
    s.paragraph(format!(
        "Calibration: {}.",
        crate::calibration::calibration_line(file.calibration.as_ref())
    ));
    Ok(())
}

/// A p-value with four decimals, or in scientific notation when smaller.
fn p_text(p: f64) -> String {
    if p >= 1e-4 || p == 0.0 {
        format!("{p:.4}")
    } else {
        format!("{p:.1e}")
    }
}

/// How the p-values of `comparisons` were computed, for a table caption.
fn p_methods<'a>(comparisons: impl Iterator<Item = &'a Comparison>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for p in comparisons.filter_map(|c| c.paired.as_ref()) {
        let name = match p.p_method {
            PMethod::Exact => "Wilcoxon signed-rank, exact",
            PMethod::Normal => "Wilcoxon signed-rank, normal approximation",
            PMethod::Bootstrap => "two-level bootstrap over process pairs and rounds",
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        String::new()
    } else {
        format!("; p: {}", names.join(" or "))
    }
}

/// Raw and adjusted p-value cells, "-" where compared exactly.
fn p_cells(paired: Option<&PairedStats>) -> [Cell; 2] {
    match paired {
        Some(p) => [
            Cell::number(p_text(p.p_value)),
            Cell::number(p_text(p.p_adjusted)),
        ],
        None => [Cell::number("-"), Cell::number("-")],
    }
}

fn gated_cell(gated: bool) -> Cell {
    Cell::text(if gated { "gated" } else { "reported" })
}

fn stratum_section(
    s: &mut Section,
    file: &CompareFile,
    st: &StratumComparison,
    sides: [&str; 2],
) -> Result<(), ReportError> {
    let name = st.stratum.as_str();
    let source = file.method.counter_source;
    s.paragraph(format!(
        "{} scanned per scan; {} rounds in {} process pair(s), {} counted (both iterations \
         clean or kept); minimum detectable change {}.",
        mib(st.bytes as f64),
        st.rounds,
        st.processes,
        st.rounds_counted,
        mdc(st)
    ));
    let shares: Vec<String> = st
        .metrics
        .iter()
        .filter(|m| m.comparison.gated)
        .filter_map(|m| {
            let b = m.comparison.paired.as_ref()?.between_process_share?;
            Some(format!("{} {:.0}%", m.metric.as_str(), b * 100.0))
        })
        .collect();
    if !shares.is_empty() {
        s.paragraph(format!(
            "Between-process share of the variance of the log-ratios (gated metrics): {}. \
             Intervals and p-values come from a two-level bootstrap over process pairs and \
             their rounds.",
            shares.join(", ")
        ));
    }
    if !st.uncorroborated.is_empty() {
        let threshold = file.method.gate.statistics.threshold;
        s.paragraph(crate::comment::uncorroborated_text(
            name,
            &st.uncorroborated,
            threshold,
        ));
    }
    if let Some(n) = &st.needed {
        s.paragraph(crate::comment::needed_text(name, n));
    }
    if let Some(settled) = &st.settled {
        let within = file.method.gate.exact.settle_within;
        s.paragraph(crate::comment::settled_text(name, settled, within));
    }
    let confidence = file.method.gate.statistics.confidence * 100.0;
    let ci_header = format!("{confidence:.0}% CI");
    // Two tables rather than one of ten columns, which would not fit the
    // page: both sides' figures, then the paired comparison.
    let mut sides_table = Table::new(
        format!("{name}: end-to-end metrics, both sides over the counted rounds"),
        &["metric", "unit", "base median ± MAD", "head median ± MAD"],
    );
    let mut compared = Table::new(
        format!(
            "{name}: end-to-end comparison (Δ: median per-round head/base ratio − 1{})",
            p_methods(st.metrics.iter().map(|m| &m.comparison))
        ),
        &[
            "metric",
            "Δ",
            &ci_header,
            "p raw",
            "p adjusted (BH)",
            "gate",
            "verdict",
        ],
    );
    for m in &st.metrics {
        let c = &m.comparison;
        let v = |x| value(m.metric, source, x);
        sides_table.row(vec![
            Cell::text(m.metric.as_str()),
            Cell::text(m.unit.clone()),
            Cell::number(format!("{} ± {}", v(c.base.median), v(c.base.mad))),
            Cell::number(format!("{} ± {}", v(c.head.median), v(c.head.mad))),
        ])?;
        let (d, interval) = delta_and_ci(c);
        let [p_raw, p_adj] = p_cells(c.paired.as_ref());
        compared.row(vec![
            Cell::text(m.metric.as_str()),
            Cell::number(d),
            Cell::number(interval),
            p_raw,
            p_adj,
            gated_cell(c.gated),
            Cell::text(c.verdict.as_str()),
        ])?;
    }
    s.table(sides_table);
    s.table(compared);
    if !st.metrics_not_compared.is_empty() {
        let names: Vec<&str> = st.metrics_not_compared.iter().map(|m| m.as_str()).collect();
        s.paragraph(format!(
            "Not recorded by every iteration, not compared: {}.",
            names.join(", ")
        ));
    }
    stage_bars(s, st, sides)?;
    round_series(s, st, sides)?;
    wall_distribution(s, st, sides)?;
    change_chart(s, file, st)?;
    stage_table(s, file, st, &ci_header)?;
    Ok(())
}

fn stage_bars(
    s: &mut Section,
    st: &StratumComparison,
    sides: [&str; 2],
) -> Result<(), ReportError> {
    let name = st.stratum.as_str();
    let mut units: Vec<&str> = Vec::new();
    for stage in &st.stages {
        if !units.contains(&stage.source.unit()) {
            units.push(stage.source.unit());
        }
    }
    let mut chart = BarChart::new(
        format!("{name}: cycles per scanned byte by stage, base vs head"),
        st.stages.iter().map(|x| x.stage.clone()).collect(),
        Axis::categories("stage"),
        Axis::new("cycles per byte", units.join(" / ")),
    );
    let bar = |s: &harness_model::summary::Summary| {
        Some(Bar {
            value: s.median,
            interval: Some((s.median_ci.low, s.median_ci.high)),
        })
    };
    chart.series = vec![
        BarSeries {
            name: sides[0].to_string(),
            bars: st.stages.iter().map(|x| bar(&x.comparison.base)).collect(),
        },
        BarSeries {
            name: sides[1].to_string(),
            bars: st.stages.iter().map(|x| bar(&x.comparison.head)).collect(),
        },
    ];
    s.figure(
        bar_chart(&chart)?,
        "Median cycles per scanned byte of each pipeline stage over the counted rounds (stage \
         wall time × TSC rate ÷ blob bytes scanned, so a side's stages add up to its \
         end-to-end figure); whiskers: each side's 95% bootstrap interval of its median. The \
         stage table below has the paired Δ and its interval, which is narrower: pairing \
         cancels the drift both sides share.",
    );
    if !st.stages_not_compared.is_empty() {
        s.paragraph(format!(
            "Stages missing from some iteration, not compared: {}.",
            st.stages_not_compared.join(", ")
        ));
    }
    Ok(())
}

/// Which side ran first, in words: ABBA alternates, base first in the odd
/// rounds when counting from one.
fn order_text(series: &[RoundPoint]) -> String {
    let base_first = series.iter().filter(|p| p.base_first).count();
    if series.iter().all(|p| p.base_first == (p.index % 2 == 0)) {
        format!(
            "Base ran first in rounds 1, 3, 5, … and head first in rounds 2, 4, 6, … (ABBA; \
             {base_first} of {} rounds base first).",
            series.len()
        )
    } else {
        format!("Base ran first in {base_first} of {} rounds.", series.len())
    }
}

fn round_series(
    s: &mut Section,
    st: &StratumComparison,
    sides: [&str; 2],
) -> Result<(), ReportError> {
    let name = st.stratum.as_str();
    let max = st
        .series
        .iter()
        .map(|p| p.base_wall_ns.max(p.head_wall_ns) as f64)
        .fold(0.0, f64::max);
    let (div, unit) = time_unit(max);
    let mut chart = TimeSeriesChart::new(
        format!("{name}: wall time per round, in the order run"),
        Axis::categories("round"),
        Axis::new("wall time", unit),
    );
    chart.flagged_label = "round not counted (contaminated)".into();
    let trace = |side: &str, wall: fn(&RoundPoint) -> u64| Trace {
        name: side.to_string(),
        points: st
            .series
            .iter()
            .map(|p| Point {
                x: (p.index + 1) as f64,
                y: wall(p) as f64 / div,
                flagged: !p.counted,
            })
            .collect(),
    };
    chart.traces = vec![
        trace(sides[0], |p| p.base_wall_ns),
        trace(sides[1], |p| p.head_wall_ns),
    ];
    s.figure(
        time_series_chart(&chart)?,
        format!(
            "Wall time of both sides in every round, in the order the rounds ran. Lines that \
             move together are drift the pairing cancels; a gap that opens or closes over time \
             is not. Open circles: rounds not counted (either side contaminated and measured \
             again). {} The y axis is fitted to the data and does not start at zero.",
            order_text(&st.series)
        ),
    );
    Ok(())
}

fn wall_distribution(
    s: &mut Section,
    st: &StratumComparison,
    sides: [&str; 2],
) -> Result<(), ReportError> {
    let name = st.stratum.as_str();
    let counted: Vec<&RoundPoint> = st.series.iter().filter(|p| p.counted).collect();
    let max = counted
        .iter()
        .map(|p| p.base_wall_ns.max(p.head_wall_ns) as f64)
        .fold(0.0, f64::max);
    let (div, unit) = time_unit(max);
    let mut chart = DistributionChart::new(
        format!("{name}: wall time distribution, base vs head"),
        Axis::categories("side"),
        Axis::new("wall time", unit),
    );
    let values = |wall: fn(&RoundPoint) -> u64| -> Vec<f64> {
        counted.iter().map(|p| wall(p) as f64 / div).collect()
    };
    chart.groups = vec![
        Group {
            name: sides[0].to_string(),
            values: values(|p| p.base_wall_ns),
        },
        Group {
            name: sides[1].to_string(),
            values: values(|p| p.head_wall_ns),
        },
    ];
    s.figure(
        distribution_chart(&chart)?,
        "Wall time of every counted round, each side on its own (points spread sideways; box: \
         first to third quartile; thick line: median). This ignores the pairing, so it shows \
         how much the two sides' spreads overlap, not the verdict. The y axis is fitted to the \
         data.",
    );
    Ok(())
}

/// Δ in percent of a comparison: the median per-round ratio with its
/// interval, or the exact ratio of the medians without one.
fn change_bar(c: &Comparison) -> Option<Bar> {
    let pct = |r: f64| (r - 1.0) * 100.0;
    match &c.paired {
        Some(p) => Some(Bar {
            value: pct(p.median_ratio),
            interval: Some((pct(p.ci.low), pct(p.ci.high))),
        }),
        None => c.ratio_of_medians.map(|r| Bar {
            value: pct(r),
            interval: None,
        }),
    }
}

fn change_chart(
    s: &mut Section,
    file: &CompareFile,
    st: &StratumComparison,
) -> Result<(), ReportError> {
    let name = st.stratum.as_str();
    let threshold = file.method.gate.statistics.threshold * 100.0;
    let rows: Vec<(String, &Comparison)> = st
        .metrics
        .iter()
        .map(|m| (m.metric.as_str().to_string(), &m.comparison))
        .chain(
            st.stages
                .iter()
                .map(|x| (format!("stage {}", x.stage), &x.comparison)),
        )
        .map(|(n, c)| {
            if c.gated {
                (format!("{n} (gated)"), c)
            } else {
                (n, c)
            }
        })
        .collect();
    let mut chart = BarChart::new(
        format!("{name}: change head vs base, with its interval"),
        rows.iter().map(|(n, _)| n.clone()).collect(),
        Axis::categories("metric"),
        Axis::new("Δ = median of head / base − 1", "%"),
    );
    chart.orientation = Orientation::Horizontal;
    chart.size.1 = chart_height(rows.len());
    chart.series = vec![BarSeries {
        name: "Δ (whiskers: confidence interval)".into(),
        bars: rows.iter().map(|(_, c)| change_bar(c)).collect(),
    }];
    chart.band = Some(Band {
        label: format!("±{threshold:.1}% threshold"),
        low: -threshold,
        high: threshold,
    });
    s.figure(
        bar_chart(&chart)?,
        format!(
            "Per metric and stage the change Δ of the tables: the median of the per-round \
             head ÷ base ratios minus one, whiskers its {:.0}% bootstrap interval; metrics \
             compared exactly (allocations) have no whiskers. Shaded: the gate's ±threshold. \
             Unchanged needs the whiskers inside the band; regressed or improved needs the \
             bar beyond it, the whole interval on that side of zero and a significant adjusted \
             p-value; anything else is inconclusive. Only gated rows decide the outcome.",
            file.method.gate.statistics.confidence * 100.0
        ),
    );
    Ok(())
}

/// Height of a horizontal bar chart of `rows` rows.
fn chart_height(rows: usize) -> u32 {
    let rows = u32::try_from(rows).unwrap_or(u32::MAX);
    rows.saturating_mul(32).saturating_add(150).max(240)
}

fn stage_table(
    s: &mut Section,
    file: &CompareFile,
    st: &StratumComparison,
    ci_header: &str,
) -> Result<(), ReportError> {
    let name = st.stratum.as_str();
    let unit = st
        .stages
        .first()
        .map_or(per_byte_unit(CounterSource::Tsc), |x| {
            per_byte_unit(x.source)
        });
    let gated = if file.method.gate.metrics.gate_stages {
        "gated"
    } else {
        "not gated"
    };
    let mut t = Table::new(
        format!(
            "{name}: per-stage cycles per byte ({unit}, {gated}{})",
            p_methods(st.stages.iter().map(|x| &x.comparison))
        ),
        &[
            "stage",
            "base median ± MAD",
            "head median ± MAD",
            "Δ",
            ci_header,
            "p raw",
            "p adjusted (BH)",
            "gate",
            "verdict",
        ],
    );
    for x in &st.stages {
        let c = &x.comparison;
        let (d, interval) = delta_and_ci(c);
        let [p_raw, p_adj] = p_cells(c.paired.as_ref());
        t.row(vec![
            Cell::text(x.stage.clone()),
            Cell::number(format!("{:.3} ± {:.3}", c.base.median, c.base.mad)),
            Cell::number(format!("{:.3} ± {:.3}", c.head.median, c.head.mad)),
            Cell::number(d),
            Cell::number(interval),
            p_raw,
            p_adj,
            gated_cell(c.gated),
            Cell::text(c.verdict.as_str()),
        ])?;
    }
    if t.is_empty() {
        s.paragraph(format!("{name}: no per-stage figures to compare."));
    } else {
        s.table(t);
    }
    Ok(())
}

fn exact_section(s: &mut Section, file: &CompareFile) -> Result<(), ReportError> {
    let Some(first) = file.exact.first() else {
        s.paragraph("No exact end-to-end figures were made (the gate's [exact] names no stratum of this compare, or --no-exact).");
        return Ok(());
    };
    s.paragraph(format!(
        "One scan of each stratum per side under {}, one scanner thread, fixed hashing: \
         instructions and estimated cycles are exact, so they are compared exactly; beyond \
         ±{:.1}% is a change{}. Stages are attributed by the profile's stage table and shown, \
         not gated.",
        first.source.as_str(),
        file.method.gate.exact.threshold * 100.0,
        if file.method.gate.exact.gated {
            ", and the totals gate"
        } else {
            " (not gated)"
        }
    ));
    let mut t = Table::new(
        "exact end-to-end figures",
        &[
            "stratum", "stage", "metric", "base", "head", "Δ", "gate", "verdict",
        ],
    );
    for e in &file.exact {
        t.row(vec![
            Cell::text(e.stratum.as_str()),
            Cell::text(e.stage.map_or("all", |x| x.as_str())),
            Cell::text(e.metric.as_str()),
            Cell::number(grouped(e.base)),
            Cell::number(grouped(e.head)),
            Cell::number(e.ratio.map_or("new".into(), pct)),
            gated_cell(e.gated),
            Cell::text(e.verdict.as_str()),
        ])?;
    }
    s.table(t);
    Ok(())
}

fn micro_section(s: &mut Section, file: &CompareFile) -> Result<(), ReportError> {
    if file.micro.is_empty() {
        s.paragraph("No microbenchmarks were compared.");
        return Ok(());
    }
    s.paragraph(format!(
        "Deterministic figures (e.g. instruction counts under Callgrind), compared exactly: \
         beyond ±{:.1}% is a change{}.",
        file.method.gate.micro.threshold * 100.0,
        if file.method.gate.micro.gated {
            ", and gated"
        } else {
            " (reported, not gated)"
        }
    ));
    let mut t = Table::new(
        "microbenchmarks (exact)",
        &[
            "benchmark",
            "metric",
            "unit",
            "base",
            "head",
            "Δ",
            "gate",
            "verdict",
        ],
    );
    for m in &file.micro {
        let sign = if m.delta > 0.0 { "+" } else { "" };
        t.row(vec![
            Cell::text(m.id.clone()),
            Cell::text(m.metric.clone()),
            Cell::text(m.unit.clone()),
            Cell::number(grouped(m.base)),
            Cell::number(grouped(m.head)),
            Cell::number(format!(
                "{sign}{} ({})",
                grouped(m.delta),
                m.ratio.map_or("new".into(), pct)
            )),
            gated_cell(m.gated),
            Cell::text(m.verdict.as_str()),
        ])?;
    }
    s.table(t);
    let mut chart = BarChart::new(
        "microbenchmarks: change head vs base",
        file.micro
            .iter()
            .map(|m| format!("{} ({})", m.id, m.metric))
            .collect(),
        Axis::categories("benchmark"),
        Axis::new("head / base − 1", "%"),
    );
    chart.orientation = Orientation::Horizontal;
    chart.size.1 = chart_height(file.micro.len());
    chart.series = vec![BarSeries {
        name: "head / base − 1".into(),
        bars: file
            .micro
            .iter()
            .map(|m| {
                m.ratio.map(|r| Bar {
                    value: (r - 1.0) * 100.0,
                    interval: None,
                })
            })
            .collect(),
    }];
    s.figure(
        bar_chart(&chart)?,
        "Relative change of each microbenchmark figure; exact, so any bar is a real change \
         of the figure, and the verdict is whether it passes the micro threshold. No bar: the \
         base figure is 0 (\"new\" in the table).",
    );
    Ok(())
}

fn details_section(s: &mut Section, file: &CompareFile) -> Result<(), ReportError> {
    let f = &file.findings;
    let findings = format!(
        "Findings {}: base {} ({}), head {} ({}){}.",
        if f.identical { "identical" } else { "differ" },
        f.base_count,
        f.base_digest,
        f.head_count,
        f.head_digest,
        if f.allowed_to_change {
            "; changes allowed (--allow-findings-change)"
        } else {
            ""
        }
    );
    if f.identical {
        s.paragraph(findings);
    } else {
        s.warning(findings);
    }
    let env = &file.environment;
    let m = &file.method;
    let g = &m.gate;
    let mut t = Table::new("environment", &["field", "value"]);
    let names = |v: &[harness_model::results::Metric]| {
        v.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
    };
    let rows: Vec<(&str, String)> = vec![
        ("created (UTC)", file.created.clone()),
        ("CPU", env.cpu_model.clone()),
        ("logical cores", env.logical_cores.to_string()),
        ("pinned cores", format!("{:?}", m.pinned_cores)),
        (
            "governor",
            env.governor.clone().unwrap_or_else(|| "unknown".into()),
        ),
        ("kernel", env.kernel.clone()),
        ("rustc", env.rustc.clone()),
        (
            "cycle counter",
            format!(
                "{}{}",
                m.counter_source.as_str(),
                m.tsc_hz
                    .map_or(String::new(), |hz| format!(", TSC {:.0} MHz", hz / 1e6))
            ),
        ),
        (
            "counter fallback",
            env.counters
                .fallback_reason
                .clone()
                .unwrap_or_else(|| "-".into()),
        ),
        ("invariant TSC", env.invariant_tsc.to_string()),
    ];
    for (k, v) in rows {
        t.row(vec![Cell::text(k), Cell::text(v)])?;
    }
    let mut method = Table::new(
        "method and gate settings (perf-gate.toml)",
        &["setting", "value"],
    );
    let rows: Vec<(&str, String)> = vec![
        ("round order", m.order.as_str().to_string()),
        ("rounds (most in any stratum)", m.rounds.to_string()),
        ("warm-up rounds", m.warmup_rounds.to_string()),
        (
            "rounds: initial / extend by / max",
            format!(
                "{} / {} / {}{}",
                g.rounds.initial,
                g.rounds.extend_by,
                g.rounds.max,
                crate::comment::scale_note(&g.rounds)
            ),
        ),
        ("extensions made", m.extensions.to_string()),
        ("threads", m.threads.to_string()),
        (
            "threshold",
            format!("±{:.1}%", g.statistics.threshold * 100.0),
        ),
        (
            "confidence of the median-ratio interval",
            format!("{:.0}%", g.statistics.confidence * 100.0),
        ),
        (
            "bootstrap",
            format!(
                "{} resamples of the pairs, seed {:#x}",
                g.statistics.bootstrap_resamples, g.statistics.bootstrap_seed
            ),
        ),
        (
            "test",
            "Wilcoxon signed-rank on the per-pair log-ratios".to_string(),
        ),
        (
            "correction",
            format!(
                "Benjamini–Hochberg over {} tests, false discovery rate {}",
                m.tests, g.statistics.fdr
            ),
        ),
        ("gated metrics", names(&g.metrics.gated)),
        ("reported metrics", names(&g.metrics.reported)),
        (
            "per-stage verdicts gated",
            g.metrics.gate_stages.to_string(),
        ),
        (
            "microbenchmarks",
            format!(
                "threshold ±{:.1}%, {}",
                g.micro.threshold * 100.0,
                if g.micro.gated { "gated" } else { "not gated" }
            ),
        ),
        (
            "outcome",
            format!("{}, exit code {}", file.outcome.as_str(), file.exit_code),
        ),
    ];
    for (k, v) in rows {
        method.row(vec![Cell::text(k), Cell::text(v)])?;
    }
    let d = s.details("Environment and method (gate settings)");
    d.table(t);
    d.table(method);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::compare::parse_compare;
    use std::path::Path;

    fn golden() -> CompareFile {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/"))
            .join("golden/compare.json");
        let text = std::fs::read_to_string(&path).unwrap();
        parse_compare(&text, &path).unwrap()
    }

    fn real() -> CompareFile {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/"))
            .join("data/compare-debug-self.json");
        let text = std::fs::read_to_string(&path).unwrap();
        parse_compare(&text, Path::new("compare-debug-self.json")).unwrap()
    }

    /// Every stratum title, the outcome word, and exactly the expected
    /// number of charts; the page renders the same twice.
    fn check(file: &CompareFile) -> String {
        let page = compare_report_page(file).unwrap();
        let html = page.render();
        assert_eq!(html, compare_report(file).unwrap(), "not deterministic");
        assert_eq!(page.figure_count(), expected_charts(file));
        assert_eq!(html.matches("<svg").count(), expected_charts(file));
        assert_eq!(
            html.matches("</svg>").count(),
            expected_charts(file),
            "every chart is closed"
        );
        assert!(html.contains(&format!("Outcome: {} —", file.outcome.as_str())));
        assert!(html.contains(&format!("Exit code {}", file.exit_code)));
        for s in &file.strata {
            let name = s.stratum.as_str();
            for title in [
                format!("<h2>Stratum {name}</h2>"),
                format!("{name}: cycles per scanned byte by stage, base vs head"),
                format!("{name}: wall time per round, in the order run"),
                format!("{name}: wall time distribution, base vs head"),
                format!("{name}: change head vs base, with its interval"),
            ] {
                assert!(html.contains(&title), "{title} missing");
            }
            let stage_table = format!("{name}: per-stage cycles per byte");
            assert_eq!(html.contains(&stage_table), !s.stages.is_empty());
        }
        html
    }

    #[test]
    fn golden_compare_renders_with_the_comment_figures() {
        let f = golden();
        assert!(!f.micro.is_empty() && f.strata.len() == 3);
        let html = check(&f);
        assert_eq!(html.matches("<svg").count(), 3 * CHARTS_PER_STRATUM + 1);
        assert!(html.contains("microbenchmarks: change head vs base"));
        // The figures are the PR comment's: every median ± MAD, Δ and
        // interval of its tables appears on the page.
        let comment = crate::comment::render_comment(&f);
        let mut checked = 0;
        for line in comment.lines().filter(|l| {
            l.starts_with("| ") && !l.starts_with("| metric") && !l.starts_with("| stratum")
        }) {
            let cells: Vec<&str> = line.split(" | ").collect();
            for cell in &cells[1..cells.len() - 1] {
                let cell = cell.trim();
                if cell.contains('%') || cell.contains('±') {
                    assert!(
                        html.contains(cell),
                        "{cell:?} of the comment missing from the page"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "{checked}");
        assert!(html.contains("head HEAD 8233ef4+dirty"));
        assert!(html.contains(&f.findings.base_digest));
        assert!(html.contains("Gated comparisons regressed (2): medium cpu_ns +4.39%"));
        assert!(html.contains("; micro tree_diff::flat_1k Ir +3.00% (exact)."));
    }

    #[test]
    fn real_compare_renders() {
        let f = real();
        assert!(f.micro.is_empty());
        let html = check(&f);
        assert_eq!(html.matches("<svg").count(), 3 * CHARTS_PER_STRATUM);
        assert!(html.contains("No microbenchmarks were compared."));
        // The round order of the real ABBA rounds is recognized.
        assert!(html.contains("Base ran first in rounds 1, 3, 5"));
    }

    #[test]
    fn text_from_the_file_is_escaped() {
        let mut f = golden();
        f.base.rev = "<script>alert(1)</script>".into();
        f.micro[0].id = "a<b>&\"c\"".into();
        f.environment.cpu_model = "<img src=x>".into();
        let html = check(&f);
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"));
        assert!(html.contains("base &lt;script&gt;alert(1)&lt;/script&gt; e715c9d"));
        assert!(html.contains("a&lt;b&gt;&amp;&quot;c&quot;"));
    }

    #[test]
    fn without_micro_stages_or_rounds_it_still_renders() {
        let mut f = golden();
        f.micro.clear();
        for s in &mut f.strata {
            s.stages.clear();
            s.series.clear();
        }
        let html = check(&f);
        // The stage bars, the round series and the distribution are
        // explicit "no data" charts; the change chart still has the metrics.
        assert_eq!(html.matches("no data").count(), 3 * 3);
        assert!(html.contains("small: no per-stage figures to compare."));
        f.strata.clear();
        let html = check(&f);
        assert_eq!(html.matches("<svg").count(), 0);
    }

    #[test]
    fn outcomes_are_worded() {
        let mut f = golden();
        for outcome in GateOutcome::all() {
            f.outcome = outcome;
            f.exit_code = outcome.exit_code();
            let html = check(&f);
            let warned = html.contains("<p class=\"warning\">Outcome:");
            assert_eq!(warned, outcome != GateOutcome::Pass, "{outcome:?}");
        }
        f.findings.identical = false;
        f.findings.head_count = 138;
        assert!(check(&f).contains("The findings differ: base 137 findings, head 138."));
    }

    #[test]
    fn bad_figures_are_an_error_not_a_panic() {
        let mut f = golden();
        f.strata[1].series[4].base_wall_ns = u64::MAX;
        assert!(compare_report(&f).is_ok());
        let mut f = golden();
        if let Some(p) = f.strata[0].metrics[0].comparison.paired.as_mut() {
            p.ci.low = f64::NAN;
        }
        let e = compare_report(&f).unwrap_err().to_string();
        assert!(
            e.contains("small: change head vs base") && e.contains("NaN"),
            "{e}"
        );
    }

    #[test]
    fn side_labels() {
        let f = golden();
        assert_eq!(side_label("base", &f.base), "base main e715c9d");
        assert_eq!(side_label("head", &f.head), "head HEAD 8233ef4+dirty");
        let bare = Revision {
            rev: "base".into(),
            commit: String::new(),
            dirty: false,
        };
        assert_eq!(side_label("base", &bare), "base");
        assert_eq!(p_text(0.04321), "0.0432");
        assert_eq!(p_text(1.5e-7), "1.5e-7");
    }
}
