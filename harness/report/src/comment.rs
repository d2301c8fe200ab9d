//! The PR comment (`comment.md`) rendered from a [`CompareFile`]. Pure.
//!
//! Layout: the first line is a hidden marker ([`MARKER`], so CI can find and
//! update its sticky comment) followed by the one-line summary with the
//! outcome; then a table per stratum (base median ± MAD, head median ± MAD,
//! Δ of the median ratio, its confidence interval, verdict); the per-stage
//! cycles/byte deltas; the microbenchmark deltas; and a collapsible
//! `<details>` section with the environment, the method, the rounds and the
//! minimum detectable change. Numbers carry their units; all formatting uses
//! fixed precision, so the same file always renders the same text. The
//! formatting helpers are crate-visible so the HTML compare report
//! (`report::compare_report`) shows the very same figures.

use crate::format::{change as pct, grouped, mib, per_byte_unit, short, value};
use harness_model::compare::{
    CompareFile, Comparison, ExactComparison, MicroComparison, PairedStats, Revision, Settlement,
    StratumComparison,
};
use harness_model::gate::Rounds;
use harness_model::verdict::{GateOutcome, Verdict};
use std::fmt::Write;

/// Hidden marker on the first line of every gate comment.
pub const MARKER: &str = "<!-- scanner-rs perf-gate -->";

fn revision(rev: &Revision) -> String {
    format!(
        "`{}`{}",
        short(&rev.commit),
        if rev.dirty { " (dirty)" } else { "" }
    )
}

fn ci(p: &PairedStats) -> String {
    format!("[{}, {}]", pct(p.ci.low), pct(p.ci.high))
}

fn delta(ratio: Option<f64>) -> String {
    ratio.map_or("new".into(), pct)
}

fn verdict_cell(v: Verdict, gated: bool) -> String {
    if !gated {
        return format!("{} (not gated)", v.as_str());
    }
    let mark = match v {
        Verdict::Regressed => "❌",
        Verdict::Improved => "🟢",
        Verdict::Unchanged => "✅",
        Verdict::Inconclusive => "⚠️",
    };
    format!("{mark} {}", v.as_str())
}

/// Gated timing that unchanged exact figures settled, in one sentence.
pub(crate) fn settled_text(stratum: &str, st: &Settlement, within: f64) -> String {
    let metrics: Vec<&str> = st.metrics.iter().map(|m| m.as_str()).collect();
    let by: Vec<String> = st
        .by
        .iter()
        .map(|f| format!("{} {}", f.metric.as_str().replace('_', " "), delta(f.ratio)))
        .collect();
    format!(
        "{stratum}'s {} stayed inconclusive at the round cap with an interval around no change \
         (at most ±{:.1}%), and is settled by the exact figures: {}, all unchanged. It does \
         not hold the gate; a slowdown the instruction counts cannot show (cache, \
         scheduling) and smaller than that interval would go unseen.",
        metrics.join(", "),
        within * 100.0,
        by.join(", "),
    )
}

/// Gated timing whose regression or improvement the unchanged exact
/// figures did not corroborate, in one sentence.
pub(crate) fn uncorroborated_text(
    stratum: &str,
    metrics: &[harness_model::results::Metric],
    threshold: f64,
) -> String {
    let names: Vec<&str> = metrics.iter().map(|m| m.as_str()).collect();
    format!(
        "{stratum}'s {} moved past the threshold, but its exact figures are unchanged and its \
         interval does not lie wholly beyond ±{:.1}%: inconclusive, not a verdict. A build's \
         code and heap layout alone move timing by about as much; a slowdown the instruction \
         counts cannot show (cache, branches, scheduling) is decided once the interval clears \
         the threshold.",
        names.join(", "),
        threshold * 100.0,
    )
}

/// Gated comparisons settled by exact figures, over the compare.
pub(crate) fn settled_count(file: &CompareFile) -> usize {
    file.strata
        .iter()
        .filter_map(|s| s.settled.as_ref())
        .map(|st| st.metrics.len())
        .sum()
}

/// What a gated verdict is about, for the summary line.
pub(crate) struct Finding {
    pub(crate) what: String,
    pub(crate) change: String,
}

/// The change as the summary line states it: median ratio and interval,
/// or the exact ratio of medians.
fn change(c: &Comparison) -> String {
    match &c.paired {
        Some(p) => format!("{} {}", pct(p.median_ratio), ci(p)),
        None => format!("{} (exact)", delta(c.ratio_of_medians)),
    }
}

/// The Δ and CI cells of a table row.
pub(crate) fn delta_and_ci(c: &Comparison) -> (String, String) {
    match &c.paired {
        Some(p) => (pct(p.median_ratio), ci(p)),
        None => (delta(c.ratio_of_medians), "exact".into()),
    }
}

fn micro_finding(m: &MicroComparison) -> Finding {
    Finding {
        what: format!("micro {} {}", m.id, m.metric),
        change: format!("{} (exact)", delta(m.ratio)),
    }
}

fn exact_what(e: &ExactComparison) -> String {
    match e.stage {
        Some(stage) => format!(
            "{} exact {} {}",
            e.stratum.as_str(),
            stage.as_str(),
            e.metric.as_str()
        ),
        None => format!("{} exact {}", e.stratum.as_str(), e.metric.as_str()),
    }
}

/// Gated comparisons with the given verdict, in file order.
pub(crate) fn gated_with(file: &CompareFile, verdict: Verdict) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &file.strata {
        // A settled metric stays inconclusive in the file but holds no gate.
        let metrics = s
            .metrics
            .iter()
            .filter(|m| !(verdict == Verdict::Inconclusive && s.is_settled(m.metric)))
            .map(|m| (m.metric.as_str().to_string(), &m.comparison));
        let stages = s
            .stages
            .iter()
            .map(|st| (format!("stage {}", st.stage), &st.comparison));
        for (what, c) in metrics.chain(stages) {
            if c.gated && c.verdict == verdict {
                out.push(Finding {
                    what: format!("{} {what}", s.stratum.as_str()),
                    change: change(c),
                });
            }
        }
    }
    for m in file
        .micro
        .iter()
        .filter(|m| m.gated && m.verdict == verdict)
    {
        out.push(micro_finding(m));
    }
    for e in file
        .exact
        .iter()
        .filter(|e| e.gated && e.verdict == verdict)
    {
        out.push(Finding {
            what: exact_what(e),
            change: format!("{} (exact)", delta(e.ratio)),
        });
    }
    out
}

fn gated_count(file: &CompareFile) -> usize {
    file.strata
        .iter()
        .map(|s| {
            s.metrics.iter().filter(|m| m.comparison.gated).count()
                + s.stages.iter().filter(|st| st.comparison.gated).count()
        })
        .sum::<usize>()
        + file.micro.iter().filter(|m| m.gated).count()
        + file.exact.iter().filter(|e| e.gated).count()
}

fn listed(findings: &[Finding]) -> String {
    let first = findings
        .first()
        .map_or(String::new(), |f| format!("{} {}", f.what, f.change));
    match findings.len() {
        0 | 1 => first,
        n => format!("{first} and {} more", n - 1),
    }
}

fn largest_mdc(file: &CompareFile) -> Option<f64> {
    file.strata
        .iter()
        .filter_map(|s| s.min_detectable_change)
        .reduce(f64::max)
}

fn summary_line(file: &CompareFile) -> String {
    let sides = format!(
        "(base {} → head {})",
        revision(&file.base),
        revision(&file.head)
    );
    let body = match file.outcome {
        GateOutcome::Pass => {
            let improved = gated_with(file, Verdict::Improved).len();
            let settled = settled_count(file);
            format!(
                "**perf gate: ✅ pass** — {} strata, {} gated comparisons, no regression{}{}",
                file.strata.len(),
                gated_count(file),
                if improved > 0 {
                    format!(", {improved} improved")
                } else {
                    String::new()
                },
                if settled > 0 {
                    format!(
                        ", {settled} inconclusive timing comparison{} settled by the exact figures",
                        if settled == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            )
        }
        GateOutcome::Regression => format!(
            "**perf gate: ❌ regression** in {}",
            listed(&gated_with(file, Verdict::Regressed))
        ),
        GateOutcome::FindingsChanged => format!(
            "**perf gate: ❌ findings changed** — base {} findings (`{}`), head {} (`{}`)",
            file.findings.base_count,
            short(&file.findings.base_digest),
            file.findings.head_count,
            short(&file.findings.head_digest),
        ),
        GateOutcome::Inconclusive => {
            // The rounds and detectable change of the strata that stayed
            // inconclusive, not of the cheap stratum that ran the most.
            let open: Vec<&StratumComparison> = file
                .strata
                .iter()
                .filter(|s| {
                    s.metrics.iter().any(|m| {
                        m.comparison.gated
                            && m.comparison.verdict == Verdict::Inconclusive
                            && !s.is_settled(m.metric)
                    })
                })
                .collect();
            let rounds = open
                .iter()
                .map(|s| format!("{} {}", s.stratum.as_str(), s.rounds))
                .collect::<Vec<_>>()
                .join(", ");
            let mdc = open
                .iter()
                .filter_map(|s| s.min_detectable_change)
                .reduce(f64::max)
                .or_else(|| largest_mdc(file));
            format!(
                "**perf gate: ⚠️ inconclusive** — {} after {} rounds{}",
                listed(&gated_with(file, Verdict::Inconclusive)),
                if rounds.is_empty() {
                    file.method.rounds.to_string()
                } else {
                    format!("({rounds})")
                },
                mdc.map_or(String::new(), |m| format!(
                    "; smallest detectable change ±{:.2}%",
                    m * 100.0
                )),
            )
        }
    };
    format!("{MARKER} {body} {sides}")
}

fn stratum_table(out: &mut String, file: &CompareFile, s: &StratumComparison) {
    let source = file.method.counter_source;
    let _ = writeln!(
        out,
        "\n### {} — {} scanned per scan, {} rounds ({} counted) in {} process pair{}\n",
        s.stratum.as_str(),
        mib(s.bytes as f64),
        s.rounds,
        s.rounds_counted,
        s.processes,
        if s.processes == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "| metric | base (median ± MAD) | head (median ± MAD) | Δ | {:.0}% CI | verdict |",
        file.method.gate.statistics.confidence * 100.0
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for m in &s.metrics {
        let c = &m.comparison;
        let v = |x| value(m.metric, source, x);
        let (d, interval) = delta_and_ci(c);
        let _ = writeln!(
            out,
            "| {} | {} ± {} | {} ± {} | {d} | {interval} | {} |",
            m.metric.as_str(),
            v(c.base.median),
            v(c.base.mad),
            v(c.head.median),
            v(c.head.mad),
            if s.is_settled(m.metric) {
                "⚖️ inconclusive, settled".to_string()
            } else if s.uncorroborated.contains(&m.metric) {
                "⚠️ inconclusive, exact figures unchanged".to_string()
            } else {
                verdict_cell(c.verdict, c.gated)
            },
        );
    }
    if !s.metrics_not_compared.is_empty() {
        let names: Vec<&str> = s.metrics_not_compared.iter().map(|m| m.as_str()).collect();
        let _ = writeln!(out, "\nNot recorded, not compared: {}.", names.join(", "));
    }
    let shares: Vec<String> = s
        .metrics
        .iter()
        .filter(|m| m.comparison.gated)
        .filter_map(|m| {
            let p = m.comparison.paired.as_ref()?;
            p.between_process_share
                .map(|b| format!("{} {:.0}%", m.metric.as_str(), b * 100.0))
        })
        .collect();
    if !shares.is_empty() {
        let _ = writeln!(
            out,
            "\nBetween-process share of the variance (gated metrics): {}.",
            shares.join(", ")
        );
    }
    if !s.uncorroborated.is_empty() {
        let threshold = file.method.gate.statistics.threshold;
        let text = uncorroborated_text(s.stratum.as_str(), &s.uncorroborated, threshold);
        let _ = writeln!(out, "\n⚠️ {text}");
    }
    if let Some(n) = &s.needed {
        let _ = writeln!(out, "\n⚠️ {}", needed_text(s.stratum.as_str(), n));
    }
    if let Some(st) = &s.settled {
        let within = file.method.gate.exact.settle_within;
        let _ = writeln!(out, "\n⚖️ {}", settled_text(s.stratum.as_str(), st, within));
    }
}

/// What would settle an inconclusive stratum, in one sentence.
pub(crate) fn needed_text(stratum: &str, n: &harness_model::compare::Needed) -> String {
    let rounds = match n.more_rounds_per_process {
        Some(0) | None => String::new(),
        Some(r) => format!(", or {r} more rounds in each existing pair"),
    };
    let tail = match n.more_rounds_per_process {
        None => {
            " (more rounds in the same pairs cannot get there: the pairs differ more than their rounds)"
        }
        Some(_) => "",
    };
    // Past the gate's layout variants a new pair repeats one, and the
    // variants' effect is what the interval is waiting on.
    let layouts = match n.layouts_needed {
        Some(l) => {
            format!(", each with a layout variant of its own (`[replication] layouts = {l}`)")
        }
        None => String::new(),
    };
    format!(
        "{stratum} is inconclusive on {}: deciding it needs an interval half-width of at most {:.2}%, about {} more process pair{}{layouts} (≈{:.0} s at this compare's pace){rounds}{tail}.",
        n.metric.as_str(),
        100.0 * n.target_half_width,
        n.more_processes,
        if n.more_processes == 1 { "" } else { "s" },
        n.seconds,
    )
}

fn exact_table(out: &mut String, file: &CompareFile) {
    if file.exact.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### Exact end-to-end figures (one scan under {}, one thread{})\n\n| stratum | stage | metric | base | head | Δ | verdict |\n|---|---|---|---:|---:|---:|---|",
        file.exact[0].source.as_str(),
        if file.method.gate.exact.gated {
            ", totals gated"
        } else {
            ", not gated"
        }
    );
    for e in &file.exact {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            e.stratum.as_str(),
            e.stage.map_or("all", |s| s.as_str()),
            e.metric.as_str(),
            grouped(e.base),
            grouped(e.head),
            delta(e.ratio),
            verdict_cell(e.verdict, e.gated),
        );
    }
}

fn stage_table(out: &mut String, file: &CompareFile) {
    let Some(source) = file
        .strata
        .iter()
        .flat_map(|s| &s.stages)
        .map(|st| st.source)
        .next()
    else {
        return;
    };
    let _ = writeln!(
        out,
        "\n### Per-stage cycles/byte ({}{})\n",
        per_byte_unit(source),
        if file.method.gate.metrics.gate_stages {
            ", gated"
        } else {
            ", not gated"
        }
    );
    let _ = writeln!(
        out,
        "| stratum | stage | base | head | Δ | CI | verdict |\n|---|---|---:|---:|---:|---:|---|"
    );
    for s in &file.strata {
        for st in &s.stages {
            let c = &st.comparison;
            let (d, interval) = delta_and_ci(c);
            let _ = writeln!(
                out,
                "| {} | {} | {:.3} | {:.3} | {d} | {interval} | {} |",
                s.stratum.as_str(),
                st.stage,
                c.base.median,
                c.head.median,
                verdict_cell(c.verdict, c.gated),
            );
        }
    }
}

fn micro_table(out: &mut String, file: &CompareFile) {
    if file.micro.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### Microbenchmarks (exact)\n\n| benchmark | metric | base | head | Δ | verdict |\n|---|---|---:|---:|---:|---|"
    );
    for m in &file.micro {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} | {} {} | {} ({}) | {} |",
            m.id,
            m.metric,
            grouped(m.base),
            m.unit,
            grouped(m.head),
            m.unit,
            if m.delta > 0.0 {
                format!("+{}", grouped(m.delta))
            } else {
                grouped(m.delta)
            },
            delta(m.ratio),
            verdict_cell(m.verdict, m.gated),
        );
    }
}

fn details(out: &mut String, file: &CompareFile) {
    let env = &file.environment;
    let m = &file.method;
    let g = &m.gate;
    let _ = writeln!(
        out,
        "\n<details><summary>Environment, method, rounds, minimum detectable change</summary>\n"
    );
    let _ = writeln!(
        out,
        "- **base** `{}` = `{}`{}; **head** `{}` = `{}`{}",
        file.base.rev,
        file.base.commit,
        if file.base.dirty { " (dirty)" } else { "" },
        file.head.rev,
        file.head.commit,
        if file.head.dirty { " (dirty)" } else { "" },
    );
    let _ = writeln!(
        out,
        "- **machine**: {}, {} logical cores, pinned to {:?}, governor {}, kernel {}, {}",
        env.cpu_model,
        env.logical_cores,
        m.pinned_cores,
        env.governor.as_deref().unwrap_or("unknown"),
        env.kernel,
        env.rustc,
    );
    let _ = writeln!(
        out,
        "- **counters**: {}{}{}",
        m.counter_source.as_str(),
        m.tsc_hz
            .map_or(String::new(), |hz| format!(" (TSC {:.0} MHz)", hz / 1e6)),
        env.counters
            .fallback_reason
            .as_deref()
            .map_or(String::new(), |r| format!("; fallback: {r}")),
    );
    let _ = writeln!(
        out,
        "- **method**: {} paired rounds (base and head back to back, order alternating), {} thread(s), after {} warm-up rounds; up to {} rounds ({} initial, +{} per extension{}, {} extension(s) made). Per pair the ratio head/base; the median ratio with a {:.0}% percentile-bootstrap interval ({} resamples of the pairs, seed {:#x}); Wilcoxon signed-rank test on the log-ratios; Benjamini–Hochberg over {} tests at a false discovery rate of {}. Threshold ±{:.1}%; deterministic metrics and microbenchmarks compared exactly (micro threshold ±{:.1}%).",
        m.order.as_str(),
        m.threads,
        m.warmup_rounds,
        g.rounds.max,
        g.rounds.initial,
        g.rounds.extend_by,
        scale_note(&g.rounds),
        m.extensions,
        g.statistics.confidence * 100.0,
        g.statistics.bootstrap_resamples,
        g.statistics.bootstrap_seed,
        m.tests,
        g.statistics.fdr,
        g.statistics.threshold * 100.0,
        g.micro.threshold * 100.0,
    );
    if !file.processes.is_empty() {
        let pairs: Vec<String> = file
            .processes
            .iter()
            .map(|p| {
                format!(
                    "#{} layout {} (env +{} B, heap +{} B, {:.1} s setup)",
                    p.index + 1,
                    p.layout,
                    p.env_pad,
                    p.heap_offset,
                    p.setup_seconds
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "- **replication**: {} process pairs, {} layout variant(s) per side (lld `--shuffle-sections`); intervals and p-values from a two-level bootstrap (process pairs, then rounds within each). Pairs: {}",
            file.processes.len(),
            g.replication.layouts,
            pairs.join("; ")
        );
    }
    let rounds: Vec<String> = file
        .strata
        .iter()
        .map(|s| {
            format!(
                "{} {} ({} counted)",
                s.stratum.as_str(),
                s.rounds,
                s.rounds_counted
            )
        })
        .collect();
    let _ = writeln!(out, "- **rounds**: {}", rounds.join(", "));
    let mdc: Vec<String> = file
        .strata
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.stratum.as_str(),
                s.min_detectable_change
                    .map_or("n/a".into(), |x| format!("±{:.2}%", x * 100.0))
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "- **minimum detectable change** (half-width of the widest interval among gated timing metrics): {}",
        mdc.join(", ")
    );
    let f = &file.findings;
    let _ = writeln!(
        out,
        "- **findings**: {} (base {} `{}`, head {} `{}`){}",
        if f.identical { "identical" } else { "differ" },
        f.base_count,
        short(&f.base_digest),
        f.head_count,
        short(&f.head_digest),
        if f.allowed_to_change {
            "; changes allowed (`--allow-findings-change`)"
        } else {
            ""
        },
    );
    let _ = writeln!(
        out,
        "- **outcome**: {}, exit code {} (0 pass, 1 regression, 2 error, 3 inconclusive)",
        file.outcome.as_str(),
        file.exit_code
    );
    let _ = writeln!(out, "\n</details>");
}

/// The whole PR comment.
pub fn render_comment(file: &CompareFile) -> String {
    let mut out = summary_line(file);
    out.push('\n');
    for s in &file.strata {
        stratum_table(&mut out, file, s);
    }
    stage_table(&mut out, file);
    exact_table(&mut out, file);
    micro_table(&mut out, file);
    let _ = writeln!(
        out,
        "\nCalibration: {}.",
        crate::calibration::calibration_line(file.calibration.as_ref())
    );
    details(&mut out, file);
    out
}

/// "; ×10 for small" for the strata whose round counts are scaled.
pub(crate) fn scale_note(r: &Rounds) -> String {
    r.scale
        .iter()
        .map(|(s, k)| format!("; ×{k} for {}", s.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(delta(None), "new");
        assert_eq!(verdict_cell(Verdict::Regressed, true), "❌ regressed");
        assert_eq!(
            verdict_cell(Verdict::Regressed, false),
            "regressed (not gated)"
        );
    }
}
