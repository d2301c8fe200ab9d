//! Change points in a history series: where a metric's level shifted
//! between successive commits of main.
//!
//! Timed metrics use E-divisive means (Matteson & James, 2014, with α = 1;
//! as used by MongoDB's performance CI and Apache Otava): binary
//! segmentation on the energy statistic
//!
//! `Q(τ) = τ(n−τ)/n · (2/(τ(n−τ)) Σ|xᵢ−xⱼ| − 1/C(τ,2) Σ|xᵢ−xₖ| − 1/C(n−τ,2) Σ|xⱼ−xₖ|)`
//!
//! (between-halves distances against within-half ones), the best split of
//! a segment tested by a seeded permutation test (the segment shuffled
//! `permutations` times; p = (1 + #{Q* ≥ Q}) / (1 + permutations)). A split
//! is kept when p < `significance` and the shift of the medians is at least
//! `min_magnitude`; its two halves are then searched again. Deterministic
//! metrics (instruction counts) need no statistics: [`exact_steps`] reports
//! every step between successive values of at least `min_magnitude`.
//!
//! Each change point carries its position (the first point of the new
//! level), the ratio of the new level's median to the old's, and a seeded
//! bootstrap interval of that ratio. Pure: the same series and settings
//! give the same answer.

use crate::rng::SplitMix64;
use crate::stats::{Bootstrap, Samples, bootstrap_median_ci, median};
pub use harness_model::gate::ChangePointSettings;

/// One detected shift.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChangePoint {
    /// Index of the first point after the shift.
    pub index: usize,
    /// Median after over median before (the segments either side, up to
    /// the neighbouring change points).
    pub ratio: f64,
    /// Bootstrap interval of `ratio` (`None` for exact steps).
    pub interval: Option<(f64, f64)>,
    /// Permutation p-value (`None` for exact steps).
    pub p_value: Option<f64>,
}

/// Sums of |xᵢ − xⱼ| over a segment, for every split, in O(n²).
fn energy(x: &[f64], min_segment: usize) -> Option<(usize, f64)> {
    let n = x.len();
    if n < 2 * min_segment || min_segment < 2 {
        return None;
    }
    let d = |i: usize, j: usize| (x[i] - x[j]).abs();
    // row[i] = Σ_j |xᵢ − xⱼ| over the whole segment.
    let total_within: f64 = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| d(i, j))
        .sum();
    // Moving τ from k to k+1 moves point k from the right half to the left.
    let mut left = 0.0; // Σ within [0, τ)
    let mut right = total_within; // Σ within [τ, n)
    let mut between = 0.0; // Σ across
    let mut best: Option<(usize, f64)> = None;
    for tau in 1..n {
        let k = tau - 1;
        let to_left: f64 = (0..k).map(|i| d(i, k)).sum();
        let to_right: f64 = (tau..n).map(|j| d(k, j)).sum();
        left += to_left;
        right -= to_right;
        between += to_right - to_left;
        if tau < min_segment || n - tau < min_segment {
            continue;
        }
        let (a, b) = (tau as f64, (n - tau) as f64);
        let q = a * b / n as f64
            * (2.0 * between / (a * b)
                - left / (a * (a - 1.0) / 2.0)
                - right / (b * (b - 1.0) / 2.0));
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((tau, q));
        }
    }
    best
}

/// The ratio of the medians of `after` over `before` and its interval.
fn shift(before: &[f64], after: &[f64], seed: u64) -> Option<(f64, (f64, f64))> {
    let (b, a) = (
        Samples::new(before.to_vec()).ok()?,
        Samples::new(after.to_vec()).ok()?,
    );
    let (mb, ma) = (median(&b), median(&a));
    if mb == 0.0 {
        return None;
    }
    let boot = Bootstrap {
        resamples: 1_000,
        level: 0.95,
        seed,
    };
    let (cb, ca) = (bootstrap_median_ci(&b, boot), bootstrap_median_ci(&a, boot));
    // The interval of a ratio of two independent medians, from their own
    // intervals: conservative (both ends at once).
    let interval = if cb.low > 0.0 {
        (ca.low / cb.high, ca.high / cb.low)
    } else {
        (f64::NEG_INFINITY, f64::INFINITY)
    };
    Some((ma / mb, interval))
}

/// Change points of a timed series (see the module docs), in index order.
pub fn e_divisive(x: &[f64], s: &ChangePointSettings) -> Vec<ChangePoint> {
    if x.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let mut rng = SplitMix64::new(s.seed);
    let mut found: Vec<(usize, f64)> = Vec::new();
    let mut segments = vec![(0, x.len())];
    while let Some((lo, hi)) = segments.pop() {
        let seg = &x[lo..hi];
        let Some((tau, q)) = energy(seg, s.min_segment) else {
            continue;
        };
        let mut shuffled = seg.to_vec();
        let mut at_least = 0usize;
        for _ in 0..s.permutations {
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.index(i + 1));
            }
            if energy(&shuffled, s.min_segment).is_some_and(|(_, qp)| qp >= q) {
                at_least += 1;
            }
        }
        let p = (1 + at_least) as f64 / (1 + s.permutations) as f64;
        if p >= s.significance {
            continue;
        }
        let Some((ratio, _)) = shift(&seg[..tau], &seg[tau..], s.seed) else {
            continue;
        };
        if (ratio - 1.0).abs() < s.min_magnitude {
            continue;
        }
        found.push((lo + tau, p));
        segments.push((lo, lo + tau));
        segments.push((lo + tau, hi));
    }
    found.sort_by_key(|&(i, _)| i);
    describe(x, &found, s.seed)
}

/// Ratios and intervals of accepted change points, each against the
/// segments up to its neighbours.
fn describe(x: &[f64], found: &[(usize, f64)], seed: u64) -> Vec<ChangePoint> {
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(found.iter().map(|&(i, _)| i))
        .chain(std::iter::once(x.len()))
        .collect();
    found
        .iter()
        .enumerate()
        .filter_map(|(k, &(index, p))| {
            let (before, after) = (&x[bounds[k]..index], &x[index..bounds[k + 2]]);
            shift(before, after, seed).map(|(ratio, interval)| ChangePoint {
                index,
                ratio,
                interval: Some(interval),
                p_value: Some(p),
            })
        })
        .collect()
}

/// Steps of a deterministic series: every `i` where `x[i] / x[i−1]` moves
/// by at least `min_magnitude` (a step from or to 0 always counts).
pub fn exact_steps(x: &[f64], min_magnitude: f64) -> Vec<ChangePoint> {
    x.windows(2)
        .enumerate()
        .filter_map(|(k, w)| {
            let (a, b) = (w[0], w[1]);
            let ratio = if a == 0.0 {
                if b == 0.0 { 1.0 } else { f64::INFINITY }
            } else {
                b / a
            };
            ((ratio - 1.0).abs() >= min_magnitude).then_some(ChangePoint {
                index: k + 1,
                ratio,
                interval: None,
                p_value: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Noise of relative spread `sigma` around `level` (sum of uniforms).
    fn noisy(rng: &mut SplitMix64, level: f64, sigma: f64) -> f64 {
        let u = |r: &mut SplitMix64| (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let z: f64 = (0..12).map(|_| u(rng)).sum::<f64>() - 6.0;
        level * (1.0 + sigma * z)
    }

    fn series(seed: u64, levels: &[(usize, f64)], sigma: f64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        levels
            .iter()
            .flat_map(|&(n, l)| vec![l; n])
            .map(|l| noisy(&mut rng, l, sigma))
            .collect()
    }

    fn settings() -> ChangePointSettings {
        ChangePointSettings::default()
    }

    #[test]
    fn single_shifts_of_3_to_10_percent_are_found_within_one_point() {
        for (k, shift) in [0.03, 0.05, 0.10].into_iter().enumerate() {
            for seed in 0..10u64 {
                let x = series(
                    seed * 31 + k as u64,
                    &[(12, 100.0), (10, 100.0 * (1.0 + shift))],
                    0.007,
                );
                let cps = e_divisive(&x, &settings());
                assert_eq!(cps.len(), 1, "shift {shift}, seed {seed}: {cps:?}");
                assert!(cps[0].index.abs_diff(12) <= 1, "{cps:?}");
                assert!((cps[0].ratio - (1.0 + shift)).abs() < 0.015, "{cps:?}");
                let (lo, hi) = cps[0].interval.unwrap();
                assert!(lo <= cps[0].ratio && cps[0].ratio <= hi);
            }
        }
    }

    #[test]
    fn multiple_shifts_are_all_found() {
        for seed in 0..10 {
            let x = series(7 + seed, &[(10, 100.0), (10, 104.0), (10, 98.0)], 0.007);
            let cps = e_divisive(&x, &settings());
            let at: Vec<usize> = cps.iter().map(|c| c.index).collect();
            assert_eq!(at.len(), 2, "seed {seed}: {cps:?}");
            assert!(at[0].abs_diff(10) <= 1 && at[1].abs_diff(20) <= 1, "{at:?}");
            assert!(cps[0].ratio > 1.0 && cps[1].ratio < 1.0);
        }
    }

    #[test]
    fn stationary_noise_rarely_raises_an_alarm() {
        // 1% relative spread: run-to-run noise of medians on the 2-core VM.
        let s = settings();
        let trials = 200;
        let alarms = (0..trials)
            .filter(|&seed| !e_divisive(&series(1_000 + seed, &[(25, 100.0)], 0.01), &s).is_empty())
            .count();
        let rate = alarms as f64 / trials as f64;
        eprintln!("stationary false-alarm rate: {alarms} of {trials} series");
        assert!(rate <= s.significance, "false-alarm rate {rate}");
        // Without the magnitude floor the permutation test alone decides:
        // its first split is a level-α test (recursion adds a little).
        let bare = ChangePointSettings {
            min_magnitude: 1e-9,
            ..s
        };
        let alarms = (0..trials)
            .filter(|&seed| {
                !e_divisive(&series(1_000 + seed, &[(25, 100.0)], 0.01), &bare).is_empty()
            })
            .count();
        eprintln!("  without the 2% floor: {alarms} of {trials} series");
        assert!(alarms as f64 / trials as f64 <= 2.0 * s.significance);
    }

    #[test]
    fn small_shifts_below_the_magnitude_are_not_reported() {
        let x = series(3, &[(15, 100.0), (15, 101.0)], 0.001);
        assert!(e_divisive(&x, &settings()).is_empty());
    }

    #[test]
    fn deterministic_series_report_exact_steps() {
        let x = [100.0, 100.0, 100.01, 104.0, 104.0, 0.0, 0.0];
        let steps = exact_steps(&x, 0.02);
        let at: Vec<usize> = steps.iter().map(|c| c.index).collect();
        assert_eq!(at, [3, 5]);
        assert!((steps[0].ratio - 104.0 / 100.01).abs() < 1e-12);
        assert!(exact_steps(&[0.0, 1.0], 0.02)[0].ratio.is_infinite());
    }

    #[test]
    fn short_or_bad_series_have_no_change_points() {
        assert!(e_divisive(&[1.0, 2.0, 3.0], &settings()).is_empty());
        assert!(e_divisive(&[1.0, f64::NAN, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0], &settings()).is_empty());
    }
}
