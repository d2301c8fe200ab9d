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
/// pairs). Each cluster may name the code-layout variant its pair ran
/// ([`Clusters::with_layouts`]); pairs that ran the same variant share its
/// layout effect and are not independent of each other ([`Clusters::by_layout`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Clusters {
    ratios: Vec<Vec<f64>>,
    /// The process label of each cluster, ascending.
    labels: Vec<usize>,
    /// The layout variant of each cluster, where known.
    layouts: Vec<Option<usize>>,
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
        let layouts = vec![None; labels.len()];
        Some(Clusters {
            ratios,
            labels,
            layouts,
        })
    }

    /// The same clusters, each naming the layout variant its process pair
    /// ran (`layout_of(process label)`; `None` where unknown).
    pub fn with_layouts(mut self, layout_of: impl Fn(usize) -> Option<usize>) -> Clusters {
        self.layouts = self.labels.iter().map(|&l| layout_of(l)).collect();
        self
    }

    /// Distinct layout variants the clusters name (0 when none is known).
    pub fn layout_variants(&self) -> usize {
        let mut v: Vec<usize> = self.layouts.iter().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    }

    /// The independent units: pairs that ran the same layout variant merged
    /// into one cluster (their rounds pooled), because the variant's effect
    /// is common to them and only a new variant is a new draw of it. Pairs
    /// stay their own clusters when a layout is unknown or when all ran one
    /// variant (then layout is fixed, not sampled, and cannot be clustered on).
    pub fn by_layout(&self) -> Clusters {
        let Some(known) = self.layouts.iter().copied().collect::<Option<Vec<usize>>>() else {
            return self.clone();
        };
        let mut variants = known.clone();
        variants.sort_unstable();
        variants.dedup();
        if variants.len() < 2 || variants.len() == known.len() {
            return self.clone();
        }
        let ratios = variants
            .iter()
            .map(|v| {
                known
                    .iter()
                    .zip(&self.ratios)
                    .filter(|(l, _)| *l == v)
                    .flat_map(|(_, r)| r.iter().copied())
                    .collect()
            })
            .collect();
        Clusters {
            ratios,
            layouts: variants.iter().map(|&v| Some(v)).collect(),
            labels: variants,
        }
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
    let half = critical_value(level, p) * se;
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
    /// The layout variants the `more_processes` route needs, when that is
    /// more than the gate builds: past them a new pair repeats a variant
    /// and is no new draw of the layout effect.
    pub layouts_needed: Option<usize>,
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

/// The two-sided critical value at `level` over `clusters` independent
/// clusters: Student's t with `clusters − 1` degrees of freedom, as in
/// [`few_pairs_floor`]; the normal quantile below two clusters (then the
/// interval is over rounds) and in the limit.
pub fn critical_value(level: f64, clusters: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
    let q = (0.5 + level / 2.0).clamp(0.5, 1.0 - 1e-12);
    let normal = || Normal::standard().inverse_cdf(q);
    // Past a million degrees of freedom t is the normal quantile to ten
    // digits (and statrs' t inverse no longer converges quickly).
    if !(2..=1_000_000).contains(&clusters) {
        return normal();
    }
    StudentsT::new(0.0, 1.0, (clusters - 1) as f64).map_or_else(|_| normal(), |t| t.inverse_cdf(q))
}

/// The shape of a compare for planning: its process pairs, the
/// independent clusters they form ([`Clusters::by_layout`]) and, when the
/// clusters are layout variants, how many variants the gate builds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Design {
    pub processes: usize,
    pub clusters: usize,
    /// `None`: the clusters are process pairs, and every new pair is one.
    pub layouts: Option<usize>,
}

/// How many more process pairs (each a new cluster with the current rounds
/// per cluster), or more rounds in each current pair, would bring the
/// half-width of the interval of the mean log-ratio at `level` to `target`
/// at the measured components `c` of the design's clusters:
/// `q(C)² · (σ²_b + σ²_w / n) / C ≤ target²`, `q` the [`critical_value`]
/// at `C` clusters of `n` rounds. The same t and the same clusters as the
/// few-pairs floor, so a plan that is followed narrows the floor too. An
/// approximation for planning (the verdict's interval is the union of the
/// bootstrap's and the floor's, around the median).
pub fn needed(c: &Components, design: Design, target: f64, level: f64) -> Plan {
    let clusters = design.clusters.max(1);
    let n = c.rounds_per_process.max(1.0);
    let per_cluster = c.between + c.within / n;
    let fits = |k: usize| {
        let q = critical_value(level, k);
        q * q * per_cluster / k as f64 <= target * target
    };
    // t falls towards the normal quantile as clusters grow, so the normal
    // answer is a lower bound to search up from.
    let z = critical_value(level, usize::MAX);
    let lower = (z * z * per_cluster / (target * target)).ceil();
    let mut wanted = if lower.is_finite() && lower < 1e9 {
        (lower as usize).max(clusters)
    } else {
        1_000_000_000
    };
    while !fits(wanted) && wanted < 1_000_000_000 {
        wanted += 1;
    }
    let more_clusters = wanted.saturating_sub(clusters);
    let layouts_needed = design
        .layouts
        .filter(|&l| more_clusters > 0 && wanted > l)
        .map(|_| wanted);
    // With the clusters fixed: σ²_w / n' ≤ C · target² / q(C)² − σ²_b.
    let q = critical_value(level, clusters);
    let room = clusters as f64 * (target / q).powi(2) - c.between;
    let pairs_per_cluster = design.processes.max(1) as f64 / clusters as f64;
    let more_rounds_per_process = (room > 0.0).then(|| {
        let n_needed = (c.within / room).ceil();
        ((n_needed - n).max(0.0) / pairs_per_cluster).ceil() as usize
    });
    Plan {
        target_half_width: target,
        more_processes: more_clusters,
        more_rounds_per_process,
        layouts_needed,
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
        let level = 0.95;
        let t3 = critical_value(level, 4);
        assert!((t3 - 3.182446).abs() < 1e-5, "{t3}");
        assert!((critical_value(level, 1) - 1.959964).abs() < 1e-5);
        let design = Design {
            processes: 4,
            clusters: 4,
            layouts: None,
        };
        // Between-pair variance alone exceeds the budget at 4 pairs: rounds
        // cannot help, more pairs can.
        let c = Components {
            between: 0.01f64.powi(2),
            within: 0.02f64.powi(2),
            between_share: 0.2,
            rounds_per_process: 10.0,
        };
        let plan = needed(&c, design, 0.005, level);
        assert_eq!(plan.more_rounds_per_process, None);
        assert_eq!(plan.layouts_needed, None);
        // q(C)² (σ²_b + σ²_w/n) / C ≤ h²: per cluster 1.4e-4, h² 2.5e-5; the
        // normal answer is 22 clusters, t(21) and t(22) miss, t(23) =
        // 2.0687 gives 4.2795 · 1.4e-4 / 24 = 2.496e-5.
        assert_eq!(plan.more_processes, 20);
        // Within-pair noise dominates: more rounds suffice.
        let c = Components {
            between: 0.0,
            within: 0.02f64.powi(2),
            between_share: 0.0,
            rounds_per_process: 10.0,
        };
        let plan = needed(&c, design, 0.005, level);
        // n' = σ²_w / (C · h² / t(3)²) = 4e-4 / (4 · 2.4685e-6) = 40.5 → 41.
        assert_eq!(plan.more_rounds_per_process, Some(31));
        // Eight pairs in four layout clusters: each cluster's rounds are
        // split over two pairs, and more clusters need more variants.
        let layouts = Design {
            processes: 8,
            clusters: 4,
            layouts: Some(4),
        };
        let plan = needed(&c, layouts, 0.005, level);
        assert_eq!(plan.more_rounds_per_process, Some(16));
        let c = Components {
            between: 0.01f64.powi(2),
            ..c
        };
        let plan = needed(&c, layouts, 0.005, level);
        assert_eq!(plan.more_processes, 20);
        assert_eq!(plan.layouts_needed, Some(24));
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-12);
        assert!(close(target_half_width(1.005, 0.02), 0.015));
        assert!(close(target_half_width(1.03, 0.02), 0.03));
    }

    #[test]
    fn pairs_of_one_layout_are_one_cluster() {
        // Eight pairs ran four variants (`k mod 4`): pairs k and k + 4 share
        // their variant's effect.
        let layout_effect = [1.03, 0.99, 1.025, 1.0];
        let pairs: Vec<f64> = (0..8)
            .map(|k| layout_effect[k % 4] * (1.0 + 0.001 * k as f64))
            .collect();
        let (r, g) = clustered(&pairs, 10, 0.003);
        let c = Clusters::new(&r, &g).unwrap().with_layouts(|p| Some(p % 4));
        let merged = c.by_layout();
        assert_eq!((merged.len(), merged.rounds()), (4, 80));
        assert_eq!(merged.ratios[1].len(), 20);
        let by_pair = few_pairs_floor(&c, 1.01, 0.95).unwrap();
        let by_layout = few_pairs_floor(&merged, 1.01, 0.95).unwrap();
        // Four independent draws, t(3): wider than eight "independent" pairs.
        assert!(
            by_layout.ci.high - by_layout.ci.low > 1.5 * (by_pair.ci.high - by_pair.ci.low),
            "{by_layout:?} {by_pair:?}"
        );
        assert!(by_layout.p_value > by_pair.p_value);
        // Unknown, single or all-distinct layouts leave the pairs as they are.
        let unknown = Clusters::new(&r, &g).unwrap();
        assert_eq!(unknown.by_layout(), unknown);
        let one = Clusters::new(&r, &g).unwrap().with_layouts(|_| Some(0));
        assert_eq!(one.by_layout(), one);
        let distinct = Clusters::new(&r, &g).unwrap().with_layouts(Some);
        assert_eq!(distinct.by_layout(), distinct);
        let partly = Clusters::new(&r, &g)
            .unwrap()
            .with_layouts(|p| (p != 3).then_some(p % 4));
        assert_eq!(partly.by_layout(), partly);
    }
}
