//! Wilcoxon signed-rank test, two-sided, on paired differences (the compare
//! feeds it log-ratios `ln(head / base)`, so a shift is symmetric in both
//! directions).
//!
//! Zeros (pairs with no difference) are dropped before ranking, Wilcoxon's
//! own method (R's and scipy's default). The statistic is `W+`, the sum of
//! the ranks of the positive differences, ties getting average ranks. The
//! p-value is exact when at most [`EXACT_MAX_N`] non-zero differences remain
//! and no two have the same magnitude: the null distribution of `W+` is
//! counted by dynamic programming over the `2^n` sign patterns (the counts
//! stay below 2^53, so `f64` holds them exactly). Otherwise it is the normal
//! approximation with the tie-corrected variance and a continuity correction
//! of one half, as scipy's `wilcoxon(method="asymptotic", correction=True)`.
//! With no non-zero difference left the p-value is 1 (no evidence at all).

use crate::stats::Samples;
pub use harness_model::compare::PMethod;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Largest count of non-zero differences for which the exact null
/// distribution is used (as scipy's `method="auto"`).
pub const EXACT_MAX_N: usize = 50;

/// Result of one test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedRank {
    /// Non-zero differences ranked.
    pub n: usize,
    /// Zero differences dropped.
    pub zeros: usize,
    /// Sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    pub method: PMethod,
}

/// Average ranks (1-based) of `values`, and the sizes of the groups of ties.
fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share ranks start+1..=end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        if end - start > 1 {
            ties.push(end - start);
        }
        start = end;
    }
    (ranks, ties)
}

/// Number of sign patterns of ranks `1..=n` giving each `W+` in
/// `0..=n(n+1)/2`.
fn exact_counts(n: usize) -> Vec<f64> {
    let total = n * (n + 1) / 2;
    let mut counts = vec![0.0; total + 1];
    counts[0] = 1.0;
    for rank in 1..=n {
        // Largest reachable sum so far is rank(rank+1)/2; iterate downwards so
        // each rank is used at most once.
        for k in (rank..=rank * (rank + 1) / 2).rev() {
            counts[k] += counts[k - rank];
        }
    }
    counts
}

fn exact_p(n: usize, w_plus: f64) -> f64 {
    let counts = exact_counts(n);
    let all: f64 = counts.iter().sum();
    // `W+` is an integer without ties.
    let t = w_plus.round() as usize;
    let lower: f64 = counts[..=t].iter().sum::<f64>() / all;
    let upper: f64 = counts[t..].iter().sum::<f64>() / all;
    (2.0 * lower.min(upper)).min(1.0)
}

fn normal_p(n: usize, w_plus: f64, ties: &[usize]) -> f64 {
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let tie_sum: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_sum / 48.0;
    if var <= 0.0 {
        return 1.0;
    }
    let sd = var.sqrt();
    let mut z = (w_plus - mean) / sd;
    // Continuity correction toward the mean, as scipy (sign(0) = 0).
    if z != 0.0 {
        z -= z.signum() * 0.5 / sd;
    }
    (2.0 * Normal::standard().sf(z.abs())).min(1.0)
}

/// Two-sided Wilcoxon signed-rank test of `differences` against a median of 0.
pub fn signed_rank(differences: &Samples) -> SignedRank {
    let differences = differences.values();
    let nonzero: Vec<f64> = differences.iter().copied().filter(|&d| d != 0.0).collect();
    let n = nonzero.len();
    let zeros = differences.len() - n;
    let magnitudes: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
    let (ranks, ties) = average_ranks(&magnitudes);
    let w_plus: f64 = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let (p_value, method) = if n == 0 {
        (1.0, PMethod::Exact)
    } else if n <= EXACT_MAX_N && ties.is_empty() {
        (exact_p(n, w_plus), PMethod::Exact)
    } else {
        (normal_p(n, w_plus, &ties), PMethod::Normal)
    };
    SignedRank {
        n,
        zeros,
        w_plus,
        p_value,
        method,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative agreement; the normal tail comes from statrs's erfc, which
    /// agrees with scipy's to about 1e-10 relative, the exact counts to the
    /// last bits.
    fn close(a: f64, b: f64, method: PMethod) -> bool {
        let tolerance = match method {
            PMethod::Exact => 1e-13,
            PMethod::Normal => 1e-9,
            PMethod::Bootstrap => unreachable!("the signed-rank test is never bootstrapped"),
        };
        (a - b).abs() <= tolerance * b.abs()
    }

    #[test]
    fn exact_counts_match_the_known_distribution() {
        // n = 3: sums of subsets of {1, 2, 3}: 0,1,2,3,3,4,5,6.
        assert_eq!(exact_counts(3), vec![1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0]);
        for n in [1, 10, 50] {
            let c = exact_counts(n);
            assert_eq!(c.iter().sum::<f64>(), 2f64.powi(n as i32));
            // Symmetric around n(n+1)/4.
            assert!(c.iter().eq(c.iter().rev()));
        }
    }

    #[test]
    fn ranks_average_over_ties() {
        let (r, t) = average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(r, vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(t, vec![3]);
    }

    /// Reference p-values from scipy 1.17.1:
    /// `scipy.stats.wilcoxon(d, zero_method="wilcox", correction=True,
    /// method=M).pvalue` with M = "exact" for the `Exact` cases (zeros removed
    /// first for the last one, whose zeros this module drops before the exact
    /// test) and M = "asymptotic" for the `Normal` cases (ties, or n = 60);
    /// `W+` from `rankdata` of the magnitudes. The random cases were drawn
    /// with numpy's `default_rng(7)` and rounded.
    #[test]
    fn matches_scipy() {
        let cases: [(&[f64], PMethod, f64, f64); 7] = [
            // Darwin's Zea mays differences (Fisher 1935), the textbook example.
            (
                &[
                    6.0, 8.0, 14.0, 16.0, 23.0, 24.0, 28.0, 29.0, 41.0, -48.0, 49.0, 56.0, 60.0,
                    -67.0, 75.0,
                ],
                PMethod::Exact,
                96.0,
                0.041259765625,
            ),
            (&[0.1, 0.2, 0.3, 0.4, 0.5], PMethod::Exact, 15.0, 0.0625),
            (
                &[
                    0.01, 0.016, 0.0045, -0.0078, 0.0009, -0.0098, 0.0112, 0.0368, 0.0002, -0.0024,
                    0.0198, 0.0171, 0.0121, -0.0086, 0.0094, 0.0239, -0.0169, 0.0008, -0.028,
                    -0.0158,
                ],
                PMethod::Exact,
                137.0,
                0.24548721313476562,
            ),
            (
                &[
                    1.0, 1.0, 2.0, -2.0, 3.0, 3.0, 3.0, -1.0, 4.0, 5.0, 6.0, 7.0, -8.0, 9.0, 10.0,
                ],
                PMethod::Normal,
                100.5,
                0.02284715313426647,
            ),
            (
                &[0.0, 0.0, 1.0, -1.0, 2.0, 2.0, 3.0, 4.0, -5.0, 6.0],
                PMethod::Normal,
                27.5,
                0.20646258713596,
            ),
            (
                &[
                    -0.031835, 0.000298, -0.020349, 0.010425, 0.008135, 0.001261, -0.045335,
                    -0.005774, 0.00403, 0.007266, -0.025603, -0.004555, -0.01457, -0.011177,
                    0.026218, -0.011151, 0.00435, 0.022688, -0.006672, 0.002766, 0.007209,
                    0.006276, -0.019501, 0.006523, 0.032176, -0.025943, 0.022188, 0.007387,
                    -0.007829, 0.045008, 0.020245, -0.018986, 0.00649, 0.016534, 0.001224,
                    0.018658, 0.00367, 0.018345, 0.03377, -0.008513, 0.009063, -0.004266, 0.007545,
                    -0.018744, -0.006586, 0.001076, 0.022975, 0.027904, -0.021471, -0.010893,
                    0.017938, -0.034848, -0.004263, 0.003054, 0.03014, 0.018788, -0.001544,
                    -0.002372, -4e-06, 0.035471,
                ],
                PMethod::Normal,
                1054.0,
                0.30792673785777747,
            ),
            (
                &[0.0, 0.3, -0.1, 0.0, 0.7, 0.2, 0.5],
                PMethod::Exact,
                14.0,
                0.125,
            ),
        ];
        for (d, method, w_plus, p) in cases {
            let r = signed_rank(&Samples::new(d.to_vec()).unwrap());
            assert_eq!(r.method, method, "{d:?}");
            assert_eq!(r.w_plus, w_plus, "{d:?}");
            assert!(close(r.p_value, p, method), "{d:?}: {} vs {p}", r.p_value);
        }
    }

    #[test]
    fn no_nonzero_difference_is_no_evidence() {
        let r = signed_rank(&Samples::new(vec![0.0, 0.0, 0.0]).unwrap());
        assert_eq!((r.n, r.zeros, r.p_value), (0, 3, 1.0));
        let r = signed_rank(&Samples::new(vec![0.0, 0.5]).unwrap());
        assert_eq!((r.n, r.p_value), (1, 1.0));
    }

    #[test]
    fn direction_does_not_matter() {
        let d = vec![0.3, -0.1, 0.7, 0.2, 0.5, 0.25, -0.05, 0.9];
        let neg: Vec<f64> = d.iter().map(|x| -x).collect();
        let p = |v: Vec<f64>| signed_rank(&Samples::new(v).unwrap()).p_value;
        assert_eq!(p(d), p(neg));
    }
}
