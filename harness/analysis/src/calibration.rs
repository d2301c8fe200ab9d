//! A calibration's compares to what the gate measured about itself: per
//! experiment the outcomes and interval coverage ([`experiment`]), and the
//! machine's summary a compare quotes ([`summarize`]). Pure.

use crate::verdict::GateOutcome;
use harness_model::WorkloadId;
use harness_model::calibration::{
    CalibrationCompare, CalibrationStratum, CalibrationSummary, Experiment, ExperimentKind,
    PowerPoint,
};
use harness_model::compare::CompareFile;
use harness_model::results::Metric;
use statrs::statistics::{Data, OrderStatistics};

/// The gated statistical comparisons of one compare, as a calibration keeps
/// them.
pub fn calibration_compare(file: &CompareFile, seconds: f64) -> CalibrationCompare {
    let strata = file
        .strata
        .iter()
        .flat_map(|s| {
            s.metrics
                .iter()
                .filter(|m| m.comparison.gated)
                .filter_map(move |m| {
                    let p = m.comparison.paired.as_ref()?;
                    Some(CalibrationStratum {
                        stratum: s.stratum.clone(),
                        metric: m.metric,
                        median_ratio: p.median_ratio,
                        ci: p.ci,
                        verdict: m.comparison.verdict,
                        min_detectable_change: p.min_detectable_change,
                        between_process_share: p.between_process_share,
                    })
                })
        })
        .collect();
    CalibrationCompare {
        outcome: file.outcome,
        strata,
        settled: file
            .strata
            .iter()
            .filter(|s| s.settled.is_some())
            .map(|s| s.stratum.clone())
            .collect(),
        seconds,
    }
}

/// The ratio an experiment's change truly has on `metric`, where known: 1
/// for A/A, `1 + injected` on CPU time for an injected slowdown (it burns
/// CPU, allocates nothing); unknown for a layout change.
fn truth(kind: ExperimentKind, injected: f64, metric: Metric) -> Option<f64> {
    match kind {
        ExperimentKind::AA => Some(1.0),
        ExperimentKind::Layout => None,
        ExperimentKind::Injected => Some(if metric == Metric::CpuNs {
            1.0 + injected
        } else {
            1.0
        }),
    }
}

/// The median of any number of values (NaN for none): a calibration may
/// hold a single compare, which [`crate::stats::Samples`] refuses.
fn median(v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    Data::new(v).median()
}

/// The median over an experiment's compares of each compare's widest
/// gated interval half-width (NaN without compares).
pub fn median_min_detectable_change(e: &Experiment) -> f64 {
    median(
        e.compares
            .iter()
            .filter_map(|c| {
                c.strata
                    .iter()
                    .map(|s| s.min_detectable_change)
                    .reduce(f64::max)
            })
            .collect(),
    )
}

/// One experiment's compares, counted: outcomes, and the share of
/// intervals covering the pooled estimate (per stratum and metric, the
/// median of the compares' median ratios) and the true ratio.
pub fn experiment(
    kind: ExperimentKind,
    injected: f64,
    compares: Vec<CalibrationCompare>,
) -> Experiment {
    let count = |o: GateOutcome| compares.iter().filter(|c| c.outcome == o).count();
    let mut keys: Vec<(WorkloadId, Metric)> = Vec::new();
    for s in compares.iter().flat_map(|c| &c.strata) {
        if !keys.contains(&(s.stratum.clone(), s.metric)) {
            keys.push((s.stratum.clone(), s.metric));
        }
    }
    let (mut pooled_hits, mut truth_hits, mut truth_n, mut n) = (0usize, 0usize, 0usize, 0usize);
    for (stratum, metric) in &keys {
        let rows: Vec<&CalibrationStratum> = compares
            .iter()
            .flat_map(|c| &c.strata)
            .filter(|s| &s.stratum == stratum && s.metric == *metric)
            .collect();
        let pooled = median(rows.iter().map(|s| s.median_ratio).collect());
        for s in &rows {
            n += 1;
            pooled_hits += usize::from(s.ci.contains(pooled));
            if let Some(t) = truth(kind, injected, *metric) {
                truth_n += 1;
                truth_hits += usize::from(s.ci.contains(t));
            }
        }
    }
    let share = |hits: usize, of: usize| {
        if of == 0 {
            1.0
        } else {
            hits as f64 / of as f64
        }
    };
    Experiment {
        kind,
        injected,
        regressions: count(GateOutcome::Regression),
        inconclusive: count(GateOutcome::Inconclusive),
        settled: compares
            .iter()
            .filter(|c| c.outcome == GateOutcome::Pass && !c.settled.is_empty())
            .count(),
        coverage_of_pooled: share(pooled_hits, n),
        coverage_of_truth: (truth_n > 0).then(|| share(truth_hits, truth_n)),
        compares,
    }
}

/// The summary a compare quotes: false-alarm rates, power per injected
/// size, the lowest pooled coverage, and the median minimum detectable
/// change of the A/A compares.
pub fn summarize(
    machine: String,
    created: String,
    commit: String,
    strata: Vec<WorkloadId>,
    experiments: &[Experiment],
) -> CalibrationSummary {
    let rate = |e: &Experiment, x: usize| {
        if e.compares.is_empty() {
            0.0
        } else {
            x as f64 / e.compares.len() as f64
        }
    };
    let aa = experiments.iter().find(|e| e.kind == ExperimentKind::AA);
    let layout = experiments
        .iter()
        .find(|e| e.kind == ExperimentKind::Layout);
    let power = experiments
        .iter()
        .filter(|e| e.kind == ExperimentKind::Injected)
        .map(|e| PowerPoint {
            injected: e.injected,
            rate: rate(e, e.regressions),
            compares: e.compares.len(),
        })
        .collect();
    let mdc = aa.map_or(f64::NAN, median_min_detectable_change);
    CalibrationSummary {
        machine,
        created,
        commit,
        strata,
        k: experiments
            .iter()
            .map(|e| e.compares.len())
            .max()
            .unwrap_or(0),
        false_alarm_rate: aa.map_or(0.0, |e| rate(e, e.regressions)),
        inconclusive_rate: aa.map_or(0.0, |e| rate(e, e.inconclusive)),
        settled_rate: aa.map_or(0.0, |e| rate(e, e.settled)),
        noop_false_alarm_rate: layout.map(|e| rate(e, e.regressions)),
        power,
        coverage: experiments
            .iter()
            .map(|e| e.coverage_of_pooled)
            .fold(1.0, f64::min),
        min_detectable_change: mdc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::Stratum;
    use harness_model::summary::Interval;
    use harness_model::verdict::Verdict;

    fn row(ratio: f64, lo: f64, hi: f64) -> CalibrationStratum {
        CalibrationStratum {
            stratum: Stratum::Medium.into(),
            metric: Metric::CpuNs,
            median_ratio: ratio,
            ci: Interval {
                low: lo,
                high: hi,
                level: 0.95,
            },
            verdict: Verdict::Unchanged,
            min_detectable_change: (hi - lo) / 2.0,
            between_process_share: Some(0.5),
        }
    }

    fn compare(outcome: GateOutcome, r: CalibrationStratum) -> CalibrationCompare {
        CalibrationCompare {
            outcome,
            strata: vec![r],
            settled: Vec::new(),
            seconds: 1.0,
        }
    }

    #[test]
    fn coverage_counts_intervals_holding_the_pooled_and_true_ratio() {
        let e = experiment(
            ExperimentKind::Injected,
            0.04,
            vec![
                compare(GateOutcome::Regression, row(1.04, 1.03, 1.05)),
                compare(GateOutcome::Regression, row(1.045, 1.035, 1.055)),
                compare(GateOutcome::Inconclusive, row(1.02, 1.005, 1.035)),
            ],
        );
        // Pooled: the median of 1.04, 1.045, 1.02 = 1.04; the third
        // interval misses it. Truth 1.04: the same two hold it.
        assert_eq!((e.regressions, e.inconclusive, e.settled), (2, 1, 0));
        assert!((e.coverage_of_pooled - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(e.coverage_of_truth, Some(2.0 / 3.0));
        let settled = CalibrationCompare {
            settled: vec![Stratum::Medium.into()],
            ..compare(GateOutcome::Pass, row(1.0, 0.97, 1.03))
        };
        let aa = experiment(
            ExperimentKind::AA,
            0.0,
            vec![
                compare(GateOutcome::Pass, row(1.0, 0.99, 1.01)),
                compare(GateOutcome::Inconclusive, row(1.01, 0.995, 1.025)),
                settled,
            ],
        );
        // The settled pass counts as a pass, and as settled.
        assert_eq!((aa.regressions, aa.inconclusive, aa.settled), (0, 1, 1));
        let s = summarize(
            "m".into(),
            "t".into(),
            "c".into(),
            vec![Stratum::Medium.into()],
            &[aa, e],
        );
        assert_eq!(s.false_alarm_rate, 0.0);
        assert!((s.inconclusive_rate - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.settled_rate - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.noop_false_alarm_rate, None);
        assert_eq!(s.power.len(), 1);
        assert!((s.power[0].rate - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.coverage - 2.0 / 3.0).abs() < 1e-12);
        // Half-widths 0.01, 0.015 and 0.03: median 0.015.
        assert!((s.min_detectable_change - 0.015).abs() < 1e-12);
    }
}
