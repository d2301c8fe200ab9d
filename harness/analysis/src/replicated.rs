//! Statistics over rounds that ran in several independent process pairs.
//!
//! One pair of resident processes has one address-space, stack and heap
//! layout, one hash seed and one code layout; its rounds sample the noise
//! within that pair and say nothing about how much the next pair would
//! differ. Treating every round as independent then gives intervals that
//! are honest about the rounds and too narrow for the build. Here the
//! rounds are [`Clusters`] (one per process pair) and:
//!
//! - [`two_level_bootstrap`] resamples process pairs, then rounds within
//!   each chosen pair (the hierarchical bootstrap of Davison & Hinkley
//!   1997, §3.8), and takes the median of the pooled resample: the interval
//!   covers between-process variance, and its p-value is twice the share of
//!   resampled medians on the far side of 1;
//! - [`few_pairs_floor`] is the interval that few process pairs allow at
//!   most: a Student-t interval over the pairs' median log-ratios with
//!   `P − 1` degrees of freedom. A bootstrap over 4–8 clusters undercovers
//!   (it treats the spread of so few pairs as known; Cameron & Miller 2015,
//!   "A Practitioner's Guide to Cluster-Robust Inference", §VI); the
//!   verdict's interval is the union of the two, its p-value the larger;
//! - [`components`] splits the log-ratios' variance into between-pair and
//!   within-pair parts (one-way random-effects ANOVA estimates);
//! - [`needed`] turns those parts into what would settle an inconclusive
//!   verdict: more process pairs, or more rounds per pair when rounds alone
//!   can get there.
//!
//! Pure: no IO, seeded randomness only.

use crate::rng::SplitMix64;
use crate::stats::{Bootstrap, Interval};
use statrs::statistics::{Data, OrderStatistics};

/// Ratios grouped by the process pair they ran in: at least one value per
/// cluster, every value finite and above zero (they come from validated
/// pairs).
#[derive(Clone, Debug, PartialEq)]
pub struct Clusters {
    ratios: Vec<Vec<f64>>,
}

impl Clusters {
    /// Groups `ratios` by `process` (same length; labels in any order).
    /// `None` when the lengths differ or there are no ratios.
    pub fn new(ratios: &[f64], process: &[usize]) -> Option<Clusters> {
        if ratios.len() != process.len() || ratios.is_empty() {
            return None;
        }
        let mut labels: Vec<usize> = process.to_vec();
        labels.sort_unstable();
        labels.dedup();
        let ratios = labels
            .iter()
            .map(|l| {
                ratios
                    .iter()
                    .zip(process)
                    .filter(|(_, p)| *p == l)
                    .map(|(r, _)| *r)
                    .collect()
            })
            .collect();
        Some(Clusters { ratios })
    }

    /// Process pairs.
    pub fn len(&self) -> usize {
        self.ratios.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ratios.is_empty()
    }

    /// Rounds in all pairs.
    pub fn rounds(&self) -> usize {
        self.ratios.iter().map(Vec::len).sum()
    }
}

/// The two-level bootstrap's interval of the median ratio and its p-value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Replicated {
    pub ci: Interval,
    /// Two-sided: `2 · min(share ≤ 1, share ≥ 1)`, at least `1 / (B + 1)`.
    pub p_value: f64,
}

/// Percentile interval of the median ratio under the two-level bootstrap,
/// seeded by `b`.
pub fn two_level_bootstrap(c: &Clusters, b: Bootstrap) -> Replicated {
    let mut rng = SplitMix64::new(b.seed);
    let resamples = b.resamples.max(2);
    let mut pooled: Vec<f64> = Vec::with_capacity(c.rounds());
    let mut medians = Vec::with_capacity(resamples);
    let (mut at_or_below, mut at_or_above) = (0usize, 0usize);
    for _ in 0..resamples {
        pooled.clear();
        for _ in 0..c.len() {
            let cluster = &c.ratios[rng.index(c.len())];
            for _ in 0..cluster.len() {
                pooled.push(cluster[rng.index(cluster.len())]);
            }
        }
        let m = Data::new(pooled.as_mut_slice()).median();
        at_or_below += usize::from(m <= 1.0);
        at_or_above += usize::from(m >= 1.0);
        medians.push(m);
    }
    let alpha = 1.0 - b.level;
    let mut d = Data::new(medians);
    let tail = at_or_below.min(at_or_above) as f64;
    let p_value = (2.0 * (tail + 1.0) / (resamples as f64 + 1.0)).min(1.0);
    Replicated {
        ci: Interval {
            low: d.quantile(alpha / 2.0),
            high: d.quantile(1.0 - alpha / 2.0),
            level: b.level,
        },
        p_value,
    }
}

/// The few-pairs floor: per process pair the median log-ratio; around
/// `ln(center)`, `t(P − 1) · s / √P` either side (`s`: their standard
/// deviation), at `level`; and the two-sided p-value of the pairs' mean
/// log-ratio against 0 under the same t. `None` with fewer than two pairs.
///
/// On this VM one pair's code and heap layout moved the small stratum's
/// CPU time by up to 19% (the per-pair medians of one compare of a 1%
/// change: 0.997, 1.189, 1.055, 1.098, 1.027); the two-level bootstrap
/// over those five put the interval at [+2.2%, +11.7%], a false alarm that
/// this floor (about [−1.6%, +15.3%]) does not raise.
pub fn few_pairs_floor(c: &Clusters, center: f64, level: f64) -> Option<Replicated> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let p = c.len();
    if p < 2 || center.is_nan() || center <= 0.0 {
        return None;
    }
    let medians: Vec<f64> = c
        .ratios
        .iter()
        .map(|r| Data::new(r.iter().map(|x| x.ln()).collect::<Vec<f64>>()).median())
        .collect();
    let mean = medians.iter().sum::<f64>() / p as f64;
    let var = medians.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (p - 1) as f64;
    let se = (var / p as f64).sqrt();
    let t = StudentsT::new(0.0, 1.0, (p - 1) as f64).ok()?;
    let half = t.inverse_cdf(0.5 + level / 2.0) * se;
    let p_value = if se > 0.0 {
        (2.0 * t.cdf(-(mean / se).abs())).min(1.0)
    } else if mean == 0.0 {
        1.0
    } else {
        0.0
    };
    Some(Replicated {
        ci: Interval {
            low: (center.ln() - half).exp(),
            high: (center.ln() + half).exp(),
            level,
        },
        p_value,
    })
}

/// Variance components of the log-ratios (one-way random effects).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Components {
    /// Variance of the process pairs' true means around the overall one.
    pub between: f64,
    /// Variance of rounds around their pair's mean.
    pub within: f64,
    /// `between / (between + within)`; 0 when both are 0.
    pub between_share: f64,
    /// Mean rounds per pair.
    pub rounds_per_process: f64,
}

/// ANOVA estimates of the variance components of `ln(ratio)`; `None` with
/// fewer than two pairs or no within-pair degrees of freedom.
pub fn components(c: &Clusters) -> Option<Components> {
    let k = c.len();
    let n = c.rounds();
    if k < 2 || n <= k {
        return None;
    }
    let logs: Vec<Vec<f64>> = c
        .ratios
        .iter()
        .map(|v| v.iter().map(|r| r.ln()).collect())
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let grand = logs.iter().flatten().sum::<f64>() / n as f64;
    let means: Vec<f64> = logs.iter().map(|v| mean(v)).collect();
    let ssb: f64 = logs
        .iter()
        .zip(&means)
        .map(|(v, m)| v.len() as f64 * (m - grand).powi(2))
        .sum();
    let ssw: f64 = logs
        .iter()
        .zip(&means)
        .map(|(v, m)| v.iter().map(|x| (x - m).powi(2)).sum::<f64>())
        .sum();
    let msb = ssb / (k - 1) as f64;
    let msw = ssw / (n - k) as f64;
    let sum_sq: f64 = logs.iter().map(|v| (v.len() as f64).powi(2)).sum();
    let n0 = (n as f64 - sum_sq / n as f64) / (k - 1) as f64;
    let between = if n0 > 0.0 {
        ((msb - msw) / n0).max(0.0)
    } else {
        0.0
    };
    let total = between + msw;
    Some(Components {
        between,
        within: msw,
        between_share: if total > 0.0 { between / total } else { 0.0 },
        rounds_per_process: n as f64 / k as f64,
    })
}

/// What would settle a verdict (see [`needed`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Half-width the interval needs (ratio units).
    pub target_half_width: f64,
    pub more_processes: usize,
    /// `None`: rounds alone cannot reach the target.
    pub more_rounds_per_process: Option<usize>,
}

/// The interval half-width that would decide a change estimated at
/// `estimate` (a ratio) against `threshold`: wide enough to fit inside
/// `[1 − t, 1 + t]` when the estimate is inside, narrow enough to exclude
/// 1 when it is outside. `None` at exactly the threshold (nothing decides).
pub fn target_half_width(estimate: f64, threshold: f64) -> Option<f64> {
    let d = (estimate - 1.0).abs();
    let h = if d < threshold { threshold - d } else { d };
    (h > 1e-6).then_some(h)
}

/// How many more process pairs (each with the current rounds per pair), or
/// more rounds in each current pair, would bring the half-width of a 95%
/// interval of the mean log-ratio to `target` at the measured components:
/// `z² · (σ²_b / P + σ²_w / (P · n)) ≤ target²`. An approximation for
/// planning (the verdict's interval is the bootstrap's, of the median).
pub fn needed(c: &Components, processes: usize, target: f64, z: f64) -> Plan {
    let p = processes.max(1) as f64;
    let n = c.rounds_per_process.max(1.0);
    let budget = (target / z).powi(2);
    let per_process = c.between + c.within / n;
    let more_processes = if per_process <= 0.0 {
        0
    } else {
        ((per_process / budget).ceil() - p).max(0.0) as usize
    };
    // With P fixed: σ²_w / (P · n') ≤ budget − σ²_b / P.
    let room = budget - c.between / p;
    let more_rounds_per_process = (room > 0.0).then(|| {
        let n_needed = (c.within / (p * room)).ceil();
        (n_needed - n).max(0.0) as usize
    });
    Plan {
        target_half_width: target,
        more_processes,
        more_rounds_per_process,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b() -> Bootstrap {
        Bootstrap::default()
    }

    /// Ratios of `k` pairs with `n` rounds: pair effect `pair[i]`, round
    /// jitter from a fixed pattern of ±`within`.
    fn clustered(pair: &[f64], n: usize, within: f64) -> (Vec<f64>, Vec<usize>) {
        let mut r = Vec::new();
        let mut g = Vec::new();
        for (i, e) in pair.iter().enumerate() {
            for j in 0..n {
                let jitter = within * (((j * 7 + i * 3) % 11) as f64 / 5.0 - 1.0);
                r.push(e * (1.0 + jitter));
                g.push(i);
            }
        }
        (r, g)
    }

    #[test]
    fn few_pairs_floor_covers_what_five_layouts_disagree_on() {
        // The per-pair medians of a measured compare of a 1% change (small
        // stratum): the pairs' layouts, not the change, spread them.
        let pairs = [0.997, 1.189, 1.055, 1.098, 1.027];
        let (r, g) = clustered(&pairs, 50, 0.01);
        let c = Clusters::new(&r, &g).unwrap();
        let boot = two_level_bootstrap(&c, b());
        assert!(
            boot.ci.low > 1.0,
            "the bootstrap alone alarms: {:?}",
            boot.ci
        );
        let floor = few_pairs_floor(&c, 1.048, 0.95).unwrap();
        assert!(floor.ci.low < 1.0 && floor.ci.high > 1.12, "{:?}", floor.ci);
        assert!(floor.p_value > 0.05, "{}", floor.p_value);
        // t(4) at 97.5% is 2.776: the half-width in logs is 2.776 · s / √5.
        let logs: Vec<f64> = pairs.iter().map(|x: &f64| x.ln()).collect();
        let mean = logs.iter().sum::<f64>() / 5.0;
        let s = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        let half = (floor.ci.high / 1.048).ln();
        assert!((half - 2.776 * s / 5f64.sqrt()).abs() < 2e-3, "{half}");
    }

    #[test]
    fn few_pairs_floor_keeps_a_change_every_pair_sees() {
        let (r, g) = clustered(&[1.05, 1.046, 1.054, 1.049, 1.052, 1.048], 20, 0.004);
        let c = Clusters::new(&r, &g).unwrap();
        let floor = few_pairs_floor(&c, 1.05, 0.95).unwrap();
        assert!(floor.ci.low > 1.04, "{:?}", floor.ci);
        assert!(floor.p_value < 1e-4, "{}", floor.p_value);
        let one = Clusters::new(&[1.0, 1.1], &[0, 0]).unwrap();
        assert!(few_pairs_floor(&one, 1.05, 0.95).is_none());
    }

    #[test]
    fn clusters_group_by_label_in_any_order() {
        let c = Clusters::new(&[1.0, 2.0, 3.0, 4.0], &[5, 1, 5, 1]).unwrap();
        assert_eq!(c.ratios, vec![vec![2.0, 4.0], vec![1.0, 3.0]]);
        assert_eq!((c.len(), c.rounds()), (2, 4));
        assert!(Clusters::new(&[1.0], &[0, 1]).is_none());
        assert!(Clusters::new(&[], &[]).is_none());
    }

    #[test]
    fn between_process_spread_widens_the_interval() {
        // Each pair sees a different fixed effect (±1.5%, a layout), the
        // rounds within a pair are tight: the naive interval over rounds
        // excludes 1, the two-level one does not.
        let (r, g) = clustered(&[1.015, 0.985, 1.012, 0.99, 1.0, 1.008], 10, 0.002);
        let c = Clusters::new(&r, &g).unwrap();
        let two = two_level_bootstrap(&c, b());
        let naive =
            crate::stats::bootstrap_median_ci(&crate::stats::Samples::new(r.clone()).unwrap(), b());
        assert!(
            two.ci.high - two.ci.low > 2.0 * (naive.high - naive.low),
            "{two:?} {naive:?}"
        );
        assert!(two.ci.low < 1.0 && two.ci.high > 1.0, "{two:?}");
        assert!(two.p_value > 0.05, "{}", two.p_value);
        let comp = components(&c).unwrap();
        assert!(comp.between_share > 0.9, "{comp:?}");
    }

    #[test]
    fn a_change_in_every_pair_is_significant() {
        let (r, g) = clustered(&[1.05, 1.045, 1.055, 1.05], 10, 0.003);
        let c = Clusters::new(&r, &g).unwrap();
        let two = two_level_bootstrap(&c, b());
        assert!(two.ci.low > 1.03 && two.ci.high < 1.07, "{two:?}");
        assert!(two.p_value < 0.01, "{}", two.p_value);
        // Seeded: the same data give the same answer.
        assert_eq!(two, two_level_bootstrap(&c, b()));
    }

    #[test]
    fn components_match_a_hand_computed_anova() {
        // Two pairs, ln-ratios chosen small so ln(r) ≈ r − 1 is not needed:
        // compute on the logs directly.
        let logs = [[0.0, 0.02], [0.04, 0.06]];
        let r: Vec<f64> = logs.iter().flatten().map(|l: &f64| l.exp()).collect();
        let c = Clusters::new(&r, &[0, 0, 1, 1]).unwrap();
        let comp = components(&c).unwrap();
        // Means 0.01 and 0.05, grand 0.03: SSB = 2·(0.02² + 0.02²) = 0.0016,
        // MSB = 0.0016; SSW = 4 · 0.01² = 0.0004, MSW = 0.0004 / 2 = 0.0002;
        // n0 = (4 − 8/4) / 1 = 2: σ²_b = (0.0016 − 0.0002) / 2 = 0.0007.
        assert!((comp.within - 0.0002).abs() < 1e-12, "{comp:?}");
        assert!((comp.between - 0.0007).abs() < 1e-12, "{comp:?}");
        assert!((comp.between_share - 0.7 / 0.9).abs() < 1e-9);
        assert!(components(&Clusters::new(&r, &[0, 0, 0, 0]).unwrap()).is_none());
    }

    #[test]
    fn plans_say_whether_rounds_can_help() {
        let z = 1.96;
        // Between-pair variance alone exceeds the budget at 4 pairs: rounds
        // cannot help, more pairs can.
        let c = Components {
            between: 0.01f64.powi(2),
            within: 0.02f64.powi(2),
            between_share: 0.2,
            rounds_per_process: 10.0,
        };
        let plan = needed(&c, 4, 0.005, z);
        assert_eq!(plan.more_rounds_per_process, None);
        // P' = z²(σ²_b + σ²_w/n) / h² = 3.8416 · (1e-4 + 4e-5) / 2.5e-5 = 21.5 → 22.
        assert_eq!(plan.more_processes, 18);
        // Within-pair noise dominates: more rounds suffice.
        let c = Components {
            between: 0.0,
            within: 0.02f64.powi(2),
            between_share: 0.0,
            rounds_per_process: 10.0,
        };
        let plan = needed(&c, 4, 0.005, z);
        // n' = σ²_w / (P · h²/z²) = 4e-4 / (4 · 6.5077e-6) = 15.4 → 16.
        assert_eq!(plan.more_rounds_per_process, Some(6));
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-12);
        assert!(close(target_half_width(1.005, 0.02), 0.015));
        assert!(close(target_half_width(1.03, 0.02), 0.03));
    }
}
