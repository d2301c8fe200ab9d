//! [`analyze`]: the one pure entry point from raw rounds to `compare.json`;
//! [`more_rounds`]: which strata the driver should extend; [`pair_micro`]:
//! both sides' deterministic microbenchmark figures, paired.
//!
//! Per stratum it keeps the rounds whose two iterations both counted,
//! derives each compared metric from the iterations (the same derivation as
//! a plain run: [`Metric::value`], [`StageClock`]), summarizes both sides,
//! and compares them: exactly for deterministic metrics, by paired ratios,
//! bootstrap interval and signed-rank test otherwise. All paired tests of
//! the compare (every stratum, metric and stage) form one Benjamini–Hochberg
//! family; verdicts use the adjusted p-values. No clock, no IO: the same
//! input and gate always give the same file.

use crate::correction::{CorrectionError, benjamini_hochberg};
use crate::paired::{self, PairError, Pairs, Side};
use crate::replicated::{self, Clusters, Components};
use crate::stats::{Bootstrap, SampleError, Samples, Summary, summarize};
use crate::verdict::{self, Evidence, GateOutcome, Verdict};
use harness_model::WorkloadId;
use harness_model::compare::{
    CompareFile, CompareInput, Comparison, ExactComparison, ExactFigures, ExactMetric,
    FindingsCheck, Method, MetricComparison, MicroComparison, MicroPair, Needed, PMethod,
    PairedStats, ProcessPair, Round, RoundOrder, RoundPoint, Settlement, SettlingFigure,
    StageComparison, StratumComparison, StratumPairs, compare_schema,
};
use harness_model::gate::Gate;
use harness_model::micro::{Instrument, MicroResult};
use harness_model::results::{Iteration, Metric, StageClock};

/// Why a compare could not be analysed (the driver exits with code 2).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("nothing to compare: no strata and no microbenchmarks")]
    Empty,
    #[error("stratum {0} appears twice")]
    DuplicateStratum(String),
    #[error(
        "stratum {stratum}: only {counted} of {rounds} rounds have both iterations counted; need at least 2"
    )]
    TooFewRounds {
        stratum: String,
        counted: usize,
        rounds: usize,
    },
    #[error(
        "stratum {stratum}: gated metric {metric} is not recorded by the {} side in round {round}",
        side.as_str()
    )]
    MissingMetric {
        stratum: String,
        metric: &'static str,
        side: Side,
        round: usize,
    },
    #[error("stratum {stratum}, {what}: {source}")]
    Pairs {
        stratum: String,
        what: String,
        source: PairError,
    },
    #[error("stratum {stratum}, {what}: {source}")]
    Samples {
        stratum: String,
        what: String,
        source: SampleError,
    },
    #[error(
        "microbenchmark {id} ({metric}): {} value {value} is not a finite number at least 0",
        side.as_str()
    )]
    MicroValue {
        id: String,
        metric: String,
        side: Side,
        value: f64,
    },
    #[error("correcting p-values: {0}")]
    Correction(#[from] CorrectionError),
}

/// The rounds of one stratum whose two iterations both counted.
fn counted(sp: &StratumPairs) -> Vec<&Round> {
    sp.rounds
        .iter()
        .filter(|r| r.base.counted && r.head.counted)
        .collect()
}

fn side_of(r: &Round, side: Side) -> &Iteration {
    match side {
        Side::Base => &r.base,
        Side::Head => &r.head,
    }
}

fn ratio_of_medians(base: &Summary, head: &Summary) -> Option<f64> {
    (base.median != 0.0).then(|| head.median / base.median)
}

/// Summaries of both sides and, given pairs, the paired statistics (whose
/// verdict waits for the correction); without pairs the medians are
/// compared exactly.
fn comparison(
    stratum: &WorkloadId,
    what: &str,
    values: [Vec<f64>; 2],
    pairs: Option<(Pairs, Units)>,
    gated: bool,
    gate: &Gate,
) -> Result<Comparison, CompareError> {
    let b = gate.bootstrap();
    let [base, head] = values.map(|v| Samples::new(v).map(|s| summarize(&s, b)));
    let samples_err = |source| CompareError::Samples {
        stratum: stratum.to_string(),
        what: what.to_string(),
        source,
    };
    let (base, head) = (base.map_err(samples_err)?, head.map_err(samples_err)?);
    let (paired, verdict) = match pairs {
        // Decided after the correction.
        Some((pairs, units)) => (Some(paired_stats(&pairs, units, b)), Verdict::Inconclusive),
        None => (
            None,
            verdict::deterministic(base.median, head.median, gate.statistics.threshold),
        ),
    };
    Ok(Comparison {
        gated,
        ratio_of_medians: ratio_of_medians(&base, &head),
        base,
        head,
        paired,
        verdict,
    })
}

/// Paired statistics before correction: `p_adjusted` holds the raw p-value
/// until [`correct`] replaces it. With rounds from two or more process
/// pairs, the interval and p-value are the two-level bootstrap's and the
/// few-pairs floor's.
fn paired_stats(pairs: &Pairs, units: Units, b: Bootstrap) -> PairedStats {
    let a = paired::analyze_replicated(pairs, units.process, |p| units.layout_of(p), b);
    let (p_method, p_value, between_process_share) = match a.replicated {
        Some((p, c)) => (PMethod::Bootstrap, p, c.map(|c| c.between_share)),
        None => (a.test.method, a.test.p_value, None),
    };
    PairedStats {
        ratios: a.ratios,
        median_ratio: a.median_ratio,
        ci: a.ci,
        w_plus: a.test.w_plus,
        p_method,
        p_value,
        p_adjusted: p_value,
        min_detectable_change: a.min_detectable_change,
        processes: a.processes,
        between_process_share,
    }
}

/// The process pair of each counted round, in round order.
fn processes_of(rounds: &[&Round]) -> Vec<usize> {
    rounds.iter().map(|r| r.process).collect()
}

/// What the rounds were replicated over: each counted round's process pair
/// and the compare's record of the pairs (their layout variants).
#[derive(Clone, Copy)]
struct Units<'a> {
    process: &'a [usize],
    pairs: &'a [ProcessPair],
}

impl Units<'_> {
    /// The layout variant process pair `index` ran; `None` for inputs that
    /// did not record it.
    fn layout_of(&self, index: usize) -> Option<usize> {
        self.pairs
            .iter()
            .find(|p| p.index == index)
            .map(|p| p.layout)
    }
}

/// Per-metric values of one side, or the index of a round lacking the metric.
fn metric_values(
    rounds: &[&Round],
    metric: Metric,
    side: Side,
    bytes: u64,
) -> Result<Vec<f64>, usize> {
    rounds
        .iter()
        .map(|r| metric.value(side_of(r, side), bytes).ok_or(r.index))
        .collect()
}

fn compare_metric(
    sp: &StratumPairs,
    rounds: &[&Round],
    metric: Metric,
    input: &CompareInput,
    gate: &Gate,
) -> Result<Option<MetricComparison>, CompareError> {
    let stratum = &sp.stratum;
    let gated = gate.is_gated(metric);
    let values = |side| metric_values(rounds, metric, side, sp.bytes);
    let missing = |side, round| CompareError::MissingMetric {
        stratum: stratum.to_string(),
        metric: metric.as_str(),
        side,
        round,
    };
    let (base_values, head_values) = match (values(Side::Base), values(Side::Head)) {
        (Ok(b), Ok(h)) => (b, h),
        // A reported metric one side did not record is listed, not compared.
        _ if !gated => return Ok(None),
        (Err(round), _) => return Err(missing(Side::Base, round)),
        (Ok(_), Err(round)) => return Err(missing(Side::Head, round)),
    };
    // A metric that can be deterministic (allocation counts) is compared
    // exactly only when it was: with several scanner threads the order in
    // which blobs meet reused buffers varies, and so do the counts (by
    // about 1% on the medium stratum), and then the paired statistics
    // decide like for any measured metric.
    let constant = |v: &[f64]| v.windows(2).all(|w| w[0] == w[1]);
    let deterministic = metric.deterministic() && constant(&base_values) && constant(&head_values);
    let pairs = if deterministic {
        None
    } else {
        let pairs = Pairs::new(base_values.clone(), head_values.clone()).map_err(|source| {
            CompareError::Pairs {
                stratum: stratum.to_string(),
                what: metric.as_str().to_string(),
                source,
            }
        })?;
        Some(pairs)
    };
    let process = processes_of(rounds);
    Ok(Some(MetricComparison {
        metric,
        unit: metric.unit(input.environment.counters.source),
        deterministic,
        comparison: comparison(
            stratum,
            metric.as_str(),
            [base_values, head_values],
            pairs.map(|p| {
                (
                    p,
                    Units {
                        process: &process,
                        pairs: &input.processes,
                    },
                )
            }),
            gated,
            gate,
        )?,
    }))
}

/// Stage names in the order they first appear, split into those every
/// counted iteration of both sides has and the rest.
fn stage_names(rounds: &[&Round]) -> (Vec<String>, Vec<String>) {
    let iterations = || rounds.iter().flat_map(|r| [&r.base, &r.head]);
    let mut names: Vec<String> = Vec::new();
    for s in iterations().flat_map(|it| &it.stages) {
        if !names.contains(&s.stage) {
            names.push(s.stage.clone());
        }
    }
    names
        .into_iter()
        .partition(|name| iterations().all(|it| it.stages.iter().any(|s| &s.stage == name)))
}

fn stage_wall(it: &Iteration, stage: &str) -> u64 {
    it.stages
        .iter()
        .find(|s| s.stage == stage)
        .map_or(0, |s| s.wall_ns)
}

fn compare_stage(
    sp: &StratumPairs,
    rounds: &[&Round],
    stage: &str,
    clock: StageClock,
    input: &CompareInput,
    gate: &Gate,
) -> Result<StageComparison, CompareError> {
    let per_byte = |it: &Iteration| clock.per_byte(stage_wall(it, stage), sp.bytes);
    let base_values: Vec<f64> = rounds.iter().map(|r| per_byte(&r.base)).collect();
    let head_values: Vec<f64> = rounds.iter().map(|r| per_byte(&r.head)).collect();
    // A stage that took no measurable time in some round has no ratio there;
    // its medians are then compared exactly.
    let pairs = Pairs::new(base_values.clone(), head_values.clone()).ok();
    let process = processes_of(rounds);
    Ok(StageComparison {
        stage: stage.to_string(),
        source: clock.source,
        comparison: comparison(
            &sp.stratum,
            &format!("stage {stage}"),
            [base_values, head_values],
            pairs.map(|p| {
                (
                    p,
                    Units {
                        process: &process,
                        pairs: &input.processes,
                    },
                )
            }),
            gate.metrics.gate_stages,
            gate,
        )?,
    })
}

fn compare_stratum(
    sp: &StratumPairs,
    input: &CompareInput,
    gate: &Gate,
) -> Result<StratumComparison, CompareError> {
    let rounds = counted(sp);
    if rounds.len() < 2 {
        return Err(CompareError::TooFewRounds {
            stratum: sp.stratum.to_string(),
            counted: rounds.len(),
            rounds: sp.rounds.len(),
        });
    }
    let mut metrics = Vec::new();
    let mut metrics_not_compared = Vec::new();
    for metric in gate.compared() {
        match compare_metric(sp, &rounds, metric, input, gate)? {
            Some(c) => metrics.push(c),
            None => metrics_not_compared.push(metric),
        }
    }
    let clock = StageClock::new(input.environment.counters.tsc_hz);
    let (stage_list, stages_not_compared) = stage_names(&rounds);
    let stages = stage_list
        .iter()
        .map(|s| compare_stage(sp, &rounds, s, clock, input, gate))
        .collect::<Result<Vec<_>, _>>()?;
    let series = sp
        .rounds
        .iter()
        .map(|r| RoundPoint {
            index: r.index,
            base_first: r.base_first,
            counted: r.base.counted && r.head.counted,
            base_wall_ns: r.base.wall_ns,
            head_wall_ns: r.head.wall_ns,
            base_cycles_per_byte: Metric::CyclesPerByte
                .value(&r.base, sp.bytes)
                .unwrap_or_default(),
            head_cycles_per_byte: Metric::CyclesPerByte
                .value(&r.head, sp.bytes)
                .unwrap_or_default(),
        })
        .collect();
    let min_detectable_change = metrics
        .iter()
        .map(|m| &m.comparison)
        .filter(|c| c.gated)
        .filter_map(|c| c.paired.as_ref().map(|p| p.min_detectable_change))
        .reduce(f64::max);
    Ok(StratumComparison {
        stratum: sp.stratum.clone(),
        bytes: sp.bytes,
        rounds: sp.rounds.len(),
        rounds_counted: rounds.len(),
        metrics,
        metrics_not_compared,
        stages,
        stages_not_compared,
        min_detectable_change,
        processes: {
            let mut p = processes_of(&rounds);
            p.sort_unstable();
            p.dedup();
            p.len()
        },
        needed: None,
        settled: None,
        uncorroborated: Vec::new(),
        series,
    })
}

/// The stratum's exact totals when there are some and every one of them is
/// unchanged (what settling and corroboration rest on).
fn unchanged_totals<'a>(
    s: &StratumComparison,
    exact: &'a [ExactComparison],
) -> Option<Vec<&'a ExactComparison>> {
    let stratum = s.stratum.stratum()?;
    let totals: Vec<&ExactComparison> = exact
        .iter()
        .filter(|e| e.stratum == stratum && e.stage.is_none())
        .collect();
    let unchanged = !totals.is_empty() && totals.iter().all(|e| e.verdict == Verdict::Unchanged);
    unchanged.then_some(totals)
}

/// Makes inconclusive, per stratum whose exact totals are all unchanged,
/// each gated timing metric decided regressed (or improved) whose interval
/// does not lie wholly past the threshold ([`harness_model::gate::Exact::corroborates`]),
/// and records it in `uncorroborated`. Before [`explain`] and
/// [`more_rounds`], so that the compare goes on measuring them: more pairs
/// can still carry the interval past the threshold. Measured why: a change
/// of +0.97% instructions read as medium CPU time +2.44% [+1.27%, +3.60%]
/// over six process pairs, each with its own layout variant (2026-12-04).
fn corroborate(strata: &mut [StratumComparison], exact: &[ExactComparison], gate: &Gate) {
    let threshold = gate.statistics.threshold;
    for s in strata.iter_mut() {
        if unchanged_totals(s, exact).is_none() {
            continue;
        }
        let mut uncorroborated = Vec::new();
        for m in s.metrics.iter_mut() {
            let c = &mut m.comparison;
            if !(c.gated && m.metric.timing()) {
                continue;
            }
            let Some(p) = c.paired.as_ref() else {
                continue;
            };
            if !gate
                .exact
                .corroborates(c.verdict, p.ci.low, p.ci.high, threshold)
            {
                c.verdict = Verdict::Inconclusive;
                uncorroborated.push(m.metric);
            }
        }
        s.uncorroborated = uncorroborated;
    }
}

/// Settles, per stratum at its round cap, the gated timing metrics left
/// inconclusive whose intervals [`harness_model::gate::Exact::settles`],
/// when the stratum has exact totals and every one of them is unchanged.
/// The metrics keep their verdict; [`gated_verdicts`] skips them. Only at
/// the cap, so that the timed rounds get every chance to show a slowdown
/// the instruction counts cannot (a cache or scheduling effect) before the
/// counts speak for the stratum.
fn settle(strata: &mut [StratumComparison], exact: &[ExactComparison], gate: &Gate) {
    for s in strata.iter_mut() {
        if s.rounds < gate.rounds.caps(&s.stratum).max {
            continue;
        }
        let Some(totals) = unchanged_totals(s, exact) else {
            continue;
        };
        let metrics: Vec<Metric> = s
            .metrics
            .iter()
            .filter(|m| {
                let c = &m.comparison;
                c.gated && c.verdict == Verdict::Inconclusive && m.metric.timing()
            })
            .filter(|m| {
                let paired = m.comparison.paired.as_ref();
                paired.is_some_and(|p| gate.exact.settles(p.ci.low, p.ci.high))
            })
            .map(|m| m.metric)
            .collect();
        if metrics.is_empty() {
            continue;
        }
        s.settled = Some(Settlement {
            metrics,
            by: totals
                .iter()
                .map(|e| SettlingFigure {
                    metric: e.metric,
                    ratio: e.ratio,
                })
                .collect(),
        });
    }
}

/// For each stratum a gated metric left inconclusive: what would settle it
/// at the measured variance (the widest inconclusive interval decides), and
/// how long that would take at this compare's pace.
fn explain(strata: &mut [StratumComparison], input: &CompareInput, gate: &Gate) {
    let setup = if input.processes.is_empty() {
        0.0
    } else {
        input.processes.iter().map(|p| p.setup_seconds).sum::<f64>() / input.processes.len() as f64
    };
    for (s, sp) in strata.iter_mut().zip(&input.strata) {
        let rounds = counted(sp);
        let process = processes_of(&rounds);
        let units = Units {
            process: &process,
            pairs: &input.processes,
        };
        let widest = s
            .metrics
            .iter()
            .filter(|m| m.comparison.gated && m.comparison.verdict == Verdict::Inconclusive)
            .filter_map(|m| m.comparison.paired.as_ref().map(|p| (m.metric, p)))
            .max_by(|a, b| {
                a.1.min_detectable_change
                    .total_cmp(&b.1.min_detectable_change)
            });
        let Some((metric, paired)) = widest else {
            continue;
        };
        // Uncorroborated timing is decided only by an interval wholly past
        // the threshold: the distance to the threshold, not to no change.
        let target = if s.uncorroborated.contains(&metric) {
            let d = (paired.median_ratio - 1.0).abs() - gate.statistics.threshold;
            (d.abs() > 1e-6).then_some(d.abs())
        } else {
            replicated::target_half_width(paired.median_ratio, gate.statistics.threshold)
        };
        let Some(target) = target else {
            continue;
        };
        let Some(pairs) = Clusters::new(&paired.ratios, &process) else {
            continue;
        };
        // Plan over the units the floor judged: layout variants where
        // pairs repeat them.
        let pairs = pairs.with_layouts(|p| units.layout_of(p));
        let clusters = pairs.by_layout();
        let design = replicated::Design {
            processes: pairs.len(),
            clusters: clusters.len(),
            // Sampled layouts bound what new pairs can add: the variants
            // the gate builds.
            layouts: (pairs.layout_variants() > 1)
                .then(|| gate.replication.layouts.max(pairs.layout_variants())),
        };
        let components = replicated::components(&clusters).unwrap_or_else(|| {
            // One pair: every round is a replicate of the same process.
            let logs: Vec<f64> = paired.ratios.iter().map(|r| r.ln()).collect();
            let mean = logs.iter().sum::<f64>() / logs.len() as f64;
            let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                / (logs.len().max(2) - 1) as f64;
            Components {
                between: 0.0,
                within: var,
                between_share: 0.0,
                rounds_per_process: logs.len() as f64,
            }
        });
        let plan = replicated::needed(&components, design, target, gate.statistics.confidence);
        let round_seconds = {
            let mut v: Vec<f64> = rounds
                .iter()
                .map(|r| (r.base.wall_ns + r.head.wall_ns) as f64 / 1e9)
                .collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        let rounds_per_pair = rounds.len() as f64 / pairs.len().max(1) as f64;
        let seconds = plan.more_processes as f64 * (setup + rounds_per_pair * round_seconds);
        s.needed = Some(Needed {
            metric,
            target_half_width: plan.target_half_width,
            more_processes: plan.more_processes,
            more_rounds_per_process: plan.more_rounds_per_process,
            seconds,
            layouts_needed: plan.layouts_needed,
        });
    }
}

/// The exact end-to-end figures of both sides, compared exactly: each
/// stratum's totals (gated when `[exact]` says so) and its stages (shown).
fn compare_exact(input: &CompareInput, gate: &Gate) -> Vec<ExactComparison> {
    let mut out = Vec::new();
    for pair in &input.exact {
        let mut push = |stage, metric, base: f64, head: f64, gated: bool| {
            out.push(ExactComparison {
                stratum: pair.stratum,
                stage,
                metric,
                source: pair.source,
                base,
                head,
                ratio: (base != 0.0).then(|| head / base),
                gated,
                verdict: verdict::deterministic(base, head, gate.exact.threshold),
            });
        };
        let (b, h): (&ExactFigures, &ExactFigures) = (&pair.base, &pair.head);
        push(
            None,
            ExactMetric::Instructions,
            b.instructions as f64,
            h.instructions as f64,
            gate.exact.gated,
        );
        if let (Some(bc), Some(hc)) = (b.estimated_cycles, h.estimated_cycles) {
            push(
                None,
                ExactMetric::EstimatedCycles,
                bc as f64,
                hc as f64,
                gate.exact.gated,
            );
        }
        for bs in &b.stages {
            let head = h
                .stages
                .iter()
                .find(|s| s.stage == bs.stage)
                .map_or(0, |s| s.instructions);
            push(
                Some(bs.stage),
                ExactMetric::Instructions,
                bs.instructions as f64,
                head as f64,
                false,
            );
        }
        for hs in h
            .stages
            .iter()
            .filter(|hs| !b.stages.iter().any(|bs| bs.stage == hs.stage))
        {
            push(
                Some(hs.stage),
                ExactMetric::Instructions,
                0.0,
                hs.instructions as f64,
                false,
            );
        }
    }
    out
}

/// Every paired test of the compare, in a fixed order, with the verdict it
/// decides.
fn tests_mut(
    strata: &mut [StratumComparison],
    gated: bool,
) -> Vec<(&mut PairedStats, &mut Verdict)> {
    let mut out = Vec::new();
    for s in strata {
        let metrics = s.metrics.iter_mut().map(|m| &mut m.comparison);
        let stages = s.stages.iter_mut().map(|st| &mut st.comparison);
        for c in metrics.chain(stages).filter(|c| c.gated == gated) {
            if let Some(p) = c.paired.as_mut() {
                out.push((p, &mut c.verdict));
            }
        }
    }
    out
}

/// Adjusts the p-values with Benjamini–Hochberg and decides the statistical
/// verdicts; returns the number of tests. The gated tests are one family
/// and the reported ones another: the gate's false discovery rate is over
/// the tests that decide it, and reported metrics (many of them, and some
/// near-copies of gated ones such as wall time and cycles) do not dilute
/// its power.
fn correct(strata: &mut [StratumComparison], gate: &Gate) -> Result<usize, CompareError> {
    let mut n = 0;
    for gated in [true, false] {
        n += correct_family(tests_mut(strata, gated), gate)?;
    }
    Ok(n)
}

fn correct_family(
    mut tests: Vec<(&mut PairedStats, &mut Verdict)>,
    gate: &Gate,
) -> Result<usize, CompareError> {
    if tests.is_empty() {
        return Ok(0);
    }
    let raw: Vec<f64> = tests.iter().map(|(p, _)| p.p_value).collect();
    let adjusted = benjamini_hochberg(&raw)?;
    for ((p, v), q) in tests.iter_mut().zip(adjusted) {
        p.p_adjusted = q;
        **v = verdict::statistical(
            Evidence {
                median_ratio: p.median_ratio,
                ci_low: p.ci.low,
                ci_high: p.ci.high,
                p_adjusted: q,
            },
            gate.statistics.threshold,
            gate.statistics.fdr,
        );
    }
    Ok(raw.len())
}

fn compare_micro(input: &CompareInput, gate: &Gate) -> Result<Vec<MicroComparison>, CompareError> {
    input
        .micro
        .iter()
        .map(|m| {
            for (side, value) in [(Side::Base, m.base), (Side::Head, m.head)] {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(CompareError::MicroValue {
                        id: m.id.clone(),
                        metric: m.metric.clone(),
                        side,
                        value,
                    });
                }
            }
            Ok(MicroComparison {
                id: m.id.clone(),
                metric: m.metric.clone(),
                unit: m.unit.clone(),
                base: m.base,
                head: m.head,
                delta: m.head - m.base,
                ratio: (m.base != 0.0).then(|| m.head / m.base),
                gated: gate.micro.gated,
                verdict: verdict::deterministic(m.base, m.head, gate.micro.threshold),
            })
        })
        .collect()
}

/// Every gated verdict of a compare.
fn gated_verdicts<'a>(
    strata: &'a [StratumComparison],
    micro: &'a [MicroComparison],
    exact: &'a [ExactComparison],
) -> impl Iterator<Item = Verdict> + 'a {
    strata
        .iter()
        .flat_map(|s| {
            let metrics = s.metrics.iter().filter(|m| !s.is_settled(m.metric));
            let metrics = metrics.map(|m| &m.comparison);
            metrics.chain(s.stages.iter().map(|st| &st.comparison))
        })
        .filter(|c| c.gated)
        .map(|c| c.verdict)
        .chain(micro.iter().filter(|m| m.gated).map(|m| m.verdict))
        .chain(exact.iter().filter(|e| e.gated).map(|e| e.verdict))
}

/// All statistics of a compare: from the driver's rounds to the file.
pub fn analyze(input: &CompareInput, gate: &Gate) -> Result<CompareFile, CompareError> {
    if input.strata.is_empty() && input.micro.is_empty() && input.exact.is_empty() {
        return Err(CompareError::Empty);
    }
    for (k, s) in input.strata.iter().enumerate() {
        if input.strata[..k].iter().any(|o| o.stratum == s.stratum) {
            return Err(CompareError::DuplicateStratum(s.stratum.to_string()));
        }
    }
    let mut strata = input
        .strata
        .iter()
        .map(|sp| compare_stratum(sp, input, gate))
        .collect::<Result<Vec<_>, _>>()?;
    let tests = correct(&mut strata, gate)?;
    let exact = compare_exact(input, gate);
    corroborate(&mut strata, &exact, gate);
    explain(&mut strata, input, gate);
    let micro = compare_micro(input, gate)?;
    settle(&mut strata, &exact, gate);
    let f = &input.findings;
    let findings = FindingsCheck {
        identical: f.base_digest == f.head_digest && f.base_count == f.head_count,
        base_count: f.base_count,
        head_count: f.head_count,
        base_digest: f.base_digest.clone(),
        head_digest: f.head_digest.clone(),
        allowed_to_change: input.method.allow_findings_change,
    };
    let outcome = verdict::decide(
        findings.identical || findings.allowed_to_change,
        gated_verdicts(&strata, &micro, &exact),
    );
    let env = &input.environment;
    Ok(CompareFile {
        schema: compare_schema(),
        created: input.created.clone(),
        base: input.base.clone(),
        head: input.head.clone(),
        environment: env.clone(),
        method: Method {
            order: RoundOrder::Abba,
            rounds: strata.iter().map(|s| s.rounds).max().unwrap_or(0),
            warmup_rounds: input.method.warmup_rounds,
            extensions: input.method.extensions,
            threads: input.method.threads,
            pinned_cores: env.pinned_cores.clone(),
            counter_source: env.counters.source,
            tsc_hz: env.counters.tsc_hz,
            tests,
            gate: gate.clone(),
        },
        findings,
        strata,
        micro,
        exact,
        processes: input.processes.clone(),
        calibration: input.calibration.clone(),
        exit_code: outcome.exit_code(),
        outcome,
    })
}

/// Which strata need more rounds before the compare settles, and how many:
/// those with a gated comparison still inconclusive, while their cap
/// ([`Gate`]'s `rounds`, scaled per stratum) allows. Empty: the verdict
/// stands (pass, regression, findings changed, or every cap reached).
pub fn more_rounds(file: &CompareFile, gate: &Gate) -> Vec<(WorkloadId, usize)> {
    match file.outcome {
        GateOutcome::Inconclusive => {}
        GateOutcome::Pass | GateOutcome::Regression | GateOutcome::FindingsChanged => {
            return Vec::new();
        }
    }
    file.strata
        .iter()
        .filter(|s| {
            let metrics = s.metrics.iter().map(|m| &m.comparison);
            let stages = s.stages.iter().map(|st| &st.comparison);
            metrics
                .chain(stages)
                .any(|c| c.gated && c.verdict == Verdict::Inconclusive)
        })
        .filter_map(|s| {
            let caps = gate.rounds.caps(&s.stratum);
            let left = caps.max.saturating_sub(s.rounds);
            (left > 0).then(|| (s.stratum.clone(), caps.extend_by.min(left)))
        })
        .collect()
}

/// Both sides' deterministic microbenchmark figures (gungraun's instruction
/// counts and estimated cycles), paired by benchmark and metric, and the
/// benchmark ids only one side has (not compared; the driver names them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MicroPairing {
    pub pairs: Vec<MicroPair>,
    pub unpaired: Vec<(Side, String)>,
}

/// Pairs `base`'s and `head`'s micro results (see [`MicroPairing`]).
pub fn pair_micro(base: &[MicroResult], head: &[MicroResult]) -> MicroPairing {
    let deterministic = |r: &MicroResult| {
        r.instrument == Instrument::Gungraun && r.figures.iter().any(|f| f.metric.deterministic())
    };
    let mut out = MicroPairing::default();
    for b in base.iter().filter(|r| deterministic(r)) {
        let Some(h) = head
            .iter()
            .find(|h| h.id == b.id && h.instrument == b.instrument)
        else {
            out.unpaired.push((Side::Base, b.id.clone()));
            continue;
        };
        for fb in b.figures.iter().filter(|f| f.metric.deterministic()) {
            if let Some(fh) = h.figures.iter().find(|f| f.metric == fb.metric) {
                out.pairs.push(MicroPair {
                    id: b.id.clone(),
                    metric: fb.metric.as_str().to_string(),
                    unit: fb.unit.clone(),
                    base: fb.value,
                    head: fh.value,
                });
            }
        }
    }
    for h in head.iter().filter(|r| deterministic(r)) {
        if !base.iter().any(|b| b.id == h.id) {
            out.unpaired.push((Side::Head, h.id.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::micro::{MicroFigure, MicroMetric, MicroStage};

    fn result(id: &str, instrument: Instrument, ir: f64) -> MicroResult {
        let figure = |metric, value| MicroFigure {
            metric,
            unit: "u".into(),
            value,
            mad: None,
            samples: None,
        };
        MicroResult {
            id: id.into(),
            stage: MicroStage::Plan,
            instrument,
            work: None,
            figures: match instrument {
                Instrument::Gungraun => vec![
                    figure(MicroMetric::Instructions, ir),
                    figure(MicroMetric::EstimatedCycles, ir * 2.0),
                ],
                Instrument::Criterion => vec![figure(MicroMetric::TimePerIteration, ir)],
            },
        }
    }

    #[test]
    fn micro_figures_pair_by_id_and_metric_and_name_the_unpaired() {
        let base = [
            result("plan/a", Instrument::Gungraun, 100.0),
            result("plan/old", Instrument::Gungraun, 5.0),
            result("plan/a", Instrument::Criterion, 7.0),
        ];
        let head = [
            result("plan/a", Instrument::Gungraun, 103.0),
            result("plan/new", Instrument::Gungraun, 9.0),
        ];
        let p = pair_micro(&base, &head);
        let pairs: Vec<(&str, &str, f64, f64)> = p
            .pairs
            .iter()
            .map(|m| (m.id.as_str(), m.metric.as_str(), m.base, m.head))
            .collect();
        assert_eq!(
            pairs,
            [
                ("plan/a", "instructions", 100.0, 103.0),
                ("plan/a", "estimated_cycles", 200.0, 206.0),
            ]
        );
        assert_eq!(
            p.unpaired,
            [
                (Side::Base, "plan/old".to_string()),
                (Side::Head, "plan/new".to_string())
            ]
        );
    }
}
