//! Pure statistics on paired samples: one base and one head value per round.
//!
//! Each round's two iterations ran back to back on the same cores, so the
//! ratio `head / base` of a pair cancels whatever slowed or sped up the
//! machine during that round (a neighbour, thermal state, frequency). The
//! analysis therefore works on the per-pair ratios: their median is the
//! estimate of the change, a seeded percentile bootstrap over pairs (which is
//! resampling the ratios) gives its confidence interval, and the Wilcoxon
//! signed-rank test on the log-ratios gives the p-value.
//!
//! [`Pairs`] can only be built from at least two pairs of finite, strictly
//! positive values, so ratios and logarithms are always defined.

use crate::replicated::{self, Clusters, Components};
use crate::stats::{Bootstrap, Interval, SampleError, Samples, bootstrap_median_ci, median};
use crate::wilcoxon::{self, SignedRank};
pub use harness_model::compare::Side;

/// Why values were refused as pairs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PairError {
    #[error("{base} base values but {head} head values: pairs need one of each")]
    Unpaired { base: usize, head: usize },
    #[error("need at least 2 pairs, got {0}")]
    TooFew(usize),
    #[error("{} value of pair {index} is {value}: ratios need finite values above 0", side.as_str())]
    NotPositive {
        side: Side,
        index: usize,
        value: f64,
    },
    #[error("pair {index}: head {head} / base {base} is not a finite ratio")]
    RatioNotFinite { index: usize, base: f64, head: f64 },
}

/// At least two pairs of finite values above zero whose ratios are finite
/// and above zero too.
#[derive(Clone, Debug, PartialEq)]
pub struct Pairs {
    /// `head / base` per pair, in round order.
    ratios: Samples,
    /// `ln(head / base)` per pair.
    log_ratios: Samples,
}

impl Pairs {
    pub fn new(base: Vec<f64>, head: Vec<f64>) -> Result<Pairs, PairError> {
        if base.len() != head.len() {
            return Err(PairError::Unpaired {
                base: base.len(),
                head: head.len(),
            });
        }
        if base.len() < 2 {
            return Err(PairError::TooFew(base.len()));
        }
        for (side, values) in [(Side::Base, &base), (Side::Head, &head)] {
            if let Some((index, &value)) = values
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v > 0.0))
            {
                return Err(PairError::NotPositive { side, index, value });
            }
        }
        let ratios: Vec<f64> = base.iter().zip(&head).map(|(b, h)| h / b).collect();
        if let Some(index) = ratios.iter().position(|r| !(r.is_finite() && *r > 0.0)) {
            return Err(PairError::RatioNotFinite {
                index,
                base: base[index],
                head: head[index],
            });
        }
        let log_ratios = ratios.iter().map(|r| r.ln()).collect();
        let ratios_err = |e| match e {
            SampleError::TooFew(n) => PairError::TooFew(n),
            SampleError::NotFinite { index, .. } => PairError::RatioNotFinite {
                index,
                base: base[index],
                head: head[index],
            },
        };
        Ok(Pairs {
            ratios: Samples::new(ratios).map_err(ratios_err)?,
            log_ratios: Samples::new(log_ratios).map_err(ratios_err)?,
        })
    }

    pub fn len(&self) -> usize {
        self.ratios.len()
    }

    /// Always false: validated pairs hold at least two.
    pub fn is_empty(&self) -> bool {
        self.ratios.is_empty()
    }

    /// `head / base` of each pair, in round order.
    pub fn ratios(&self) -> &Samples {
        &self.ratios
    }

    /// `ln(head / base)` of each pair: symmetric in the direction of a change.
    pub fn log_ratios(&self) -> &Samples {
        &self.log_ratios
    }
}

/// What the paired analysis of one metric found (before correction).
#[derive(Clone, Debug, PartialEq)]
pub struct PairedAnalysis {
    pub ratios: Vec<f64>,
    pub median_ratio: f64,
    /// Bootstrap interval of the median ratio.
    pub ci: Interval,
    pub test: SignedRank,
    /// See [`min_detectable_change`].
    pub min_detectable_change: f64,
    /// Process pairs the pairs came from.
    pub processes: usize,
    /// With two or more pairs: the interval and p-value are the two-level
    /// bootstrap's, and these are the variance components (when the pairs
    /// hold more rounds than there are pairs).
    pub replicated: Option<(f64, Option<Components>)>,
}

/// The smallest relative change this many pairs with this spread could have
/// told apart from none: the half-width of the interval of the median ratio,
/// `(high − low) / 2`, in ratio units (0.013 = 1.3%). A true change smaller
/// than that leaves 1.0 inside an interval of that width.
pub fn min_detectable_change(ci: &Interval) -> f64 {
    (ci.high - ci.low) / 2.0
}

/// Median ratio, its bootstrap interval, the signed-rank test and the
/// minimum detectable change of validated pairs.
pub fn analyze(pairs: &Pairs, bootstrap: Bootstrap) -> PairedAnalysis {
    // Resampling the ratios is resampling the pairs: each ratio is one pair.
    let ci = bootstrap_median_ci(&pairs.ratios, bootstrap);
    PairedAnalysis {
        ratios: pairs.ratios.values().to_vec(),
        median_ratio: median(&pairs.ratios),
        min_detectable_change: min_detectable_change(&ci),
        ci,
        test: wilcoxon::signed_rank(&pairs.log_ratios),
        processes: 1,
        replicated: None,
    }
}

/// As [`analyze`], for pairs that ran in several process pairs (`process`
/// names each pair's, in order; `layout_of` the layout variant a process
/// pair ran, where known): with two or more, the interval and the p-value
/// come from the two-level bootstrap (process pairs, then rounds) and the
/// few-pairs floor over the independent clusters (pairs, or layout
/// variants where pairs share them), so they cover the variance between
/// processes and layouts, which the rounds of one pair cannot show. The
/// signed-rank statistic is kept for the record.
pub fn analyze_replicated(
    pairs: &Pairs,
    process: &[usize],
    layout_of: impl Fn(usize) -> Option<usize>,
    bootstrap: Bootstrap,
) -> PairedAnalysis {
    let mut a = analyze(pairs, bootstrap);
    let Some(clusters) = Clusters::new(pairs.ratios.values(), process) else {
        return a;
    };
    let clusters = clusters.with_layouts(layout_of);
    a.processes = clusters.len();
    if clusters.len() < 2 {
        return a;
    }
    let two = replicated::two_level_bootstrap(&clusters, bootstrap);
    // With few pairs the bootstrap alone is too sure of their spread; the
    // t floor widens the interval (and raises the p-value) where it is.
    // Its units are layout variants where pairs repeat one: pairs k and
    // k + layouts share their variant's effect.
    let independent = clusters.by_layout();
    let (ci, p_value) =
        match replicated::few_pairs_floor(&independent, a.median_ratio, bootstrap.level) {
            Some(floor) => (
                Interval {
                    low: two.ci.low.min(floor.ci.low),
                    high: two.ci.high.max(floor.ci.high),
                    level: two.ci.level,
                },
                two.p_value.max(floor.p_value),
            ),
            None => (two.ci, two.p_value),
        };
    a.ci = ci;
    a.min_detectable_change = min_detectable_change(&ci);
    // One round per pair leaves no within-pair variance to split against.
    a.replicated = Some((p_value, replicated::components(&clusters)));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_side_and_pair() {
        assert_eq!(
            Pairs::new(vec![1.0, 2.0], vec![1.0]),
            Err(PairError::Unpaired { base: 2, head: 1 })
        );
        assert_eq!(Pairs::new(vec![1.0], vec![1.0]), Err(PairError::TooFew(1)));
        let err = Pairs::new(vec![1.0, 0.0], vec![1.0, 1.0]).unwrap_err();
        assert_eq!(
            err,
            PairError::NotPositive {
                side: Side::Base,
                index: 1,
                value: 0.0
            }
        );
        assert_eq!(
            err.to_string(),
            "base value of pair 1 is 0: ratios need finite values above 0"
        );
        assert!(matches!(
            Pairs::new(vec![1.0, 1.0], vec![f64::INFINITY, 1.0]),
            Err(PairError::NotPositive {
                side: Side::Head,
                index: 0,
                ..
            })
        ));
        assert!(Pairs::new(vec![1.0, 1.0], vec![-1.0, 1.0]).is_err());
        assert_eq!(
            Pairs::new(vec![1e-300, 1.0], vec![1e300, 1.0]),
            Err(PairError::RatioNotFinite {
                index: 0,
                base: 1e-300,
                head: 1e300
            })
        );
    }

    #[test]
    fn hand_computed_ratios() {
        let p = Pairs::new(vec![2.0, 4.0, 5.0, 10.0], vec![2.2, 4.0, 4.5, 11.0]).unwrap();
        assert_eq!(p.ratios().values(), &[2.2 / 2.0, 1.0, 0.9, 1.1][..]);
        let a = analyze(&p, Bootstrap::default());
        // Sorted ratios 0.9, 1.0, 1.1, 1.1 → median 1.05.
        assert!((a.median_ratio - 1.05).abs() < 1e-12);
        assert!(a.ci.low >= 0.9 && a.ci.high <= 1.1 + 1e-12);
        // One zero (ratio 1.0) dropped; |ln| ranks: 0.0953 (×2, tied), 0.1054.
        assert_eq!((a.test.n, a.test.zeros), (3, 1));
        assert_eq!(a.min_detectable_change, (a.ci.high - a.ci.low) / 2.0);
    }

    #[test]
    fn identical_sides_show_no_change() {
        let v = vec![3.0, 3.5, 2.9, 3.1, 3.3];
        let a = analyze(&Pairs::new(v.clone(), v).unwrap(), Bootstrap::default());
        assert_eq!(a.median_ratio, 1.0);
        assert_eq!((a.ci.low, a.ci.high), (1.0, 1.0));
        assert_eq!(a.test.p_value, 1.0);
        assert_eq!(a.min_detectable_change, 0.0);
    }

    #[test]
    fn pairing_cancels_round_to_round_drift() {
        // The machine drifts by ±20% between rounds; head is 5% slower in
        // every round. Unpaired medians would drown in the drift.
        let drift = [1.0, 1.2, 0.8, 1.1, 0.9, 1.15, 0.85, 1.05, 0.95, 1.0];
        let base: Vec<f64> = drift.iter().map(|d| 100.0 * d).collect();
        // Small distinct jitter keeps the log-ratios free of ties.
        let head: Vec<f64> = drift
            .iter()
            .enumerate()
            .map(|(i, d)| 105.0 * d * (1.0 + 0.0001 * i as f64))
            .collect();
        let a = analyze(&Pairs::new(base, head).unwrap(), Bootstrap::default());
        assert!((a.median_ratio - 1.05).abs() < 0.001);
        assert!(a.ci.low > 1.049 && a.ci.high < 1.052);
        // All ten log-ratios are positive: exact p = 2 / 2^10.
        assert!(
            (a.test.p_value - 2.0 / 1024.0).abs() < 1e-15,
            "{}",
            a.test.p_value
        );
    }
}
