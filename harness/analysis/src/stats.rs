//! Pure statistics over validated samples: no IO, no clocks, no globals.
//!
//! [`Samples`] can only be built from at least two finite values, so every
//! function here is total. [`Summary`] holds the robust description the
//! harness reports: median, MAD (raw and scaled by 1.4826, the factor that
//! makes it estimate σ for normal data), min, max, p5/p95 (R type 8, as
//! statrs computes quantiles), and a seeded percentile-bootstrap confidence
//! interval of the median, so two runs on the same samples agree exactly.
//! The types live in the model (`harness_model::summary`); this computes them.

use crate::rng::SplitMix64;
pub use harness_model::summary::{Bootstrap, Interval, MAD_SCALE, Summary};
use statrs::statistics::{Data, OrderStatistics};

/// Why values were refused as samples.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("need at least 2 samples, got {0}")]
    TooFew(usize),
    #[error("sample {index} is {value}, not a finite number")]
    NotFinite { index: usize, value: f64 },
}

/// At least two finite values.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn new(values: Vec<f64>) -> Result<Samples, SampleError> {
        if values.len() < 2 {
            return Err(SampleError::TooFew(values.len()));
        }
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SampleError::NotFinite { index, value });
        }
        Ok(Samples(values))
    }

    pub fn values(&self) -> &[f64] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: validated samples hold at least two values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn median(s: &Samples) -> f64 {
    Data::new(s.0.clone()).median()
}

/// R type 8 quantile (statrs's definition), `tau` in `[0, 1]`.
pub fn quantile(s: &Samples, tau: f64) -> f64 {
    Data::new(s.0.clone()).quantile(tau.clamp(0.0, 1.0))
}

/// Median absolute deviation (raw, unscaled).
pub fn mad(s: &Samples) -> f64 {
    let m = median(s);
    let dev: Vec<f64> = s.0.iter().map(|x| (x - m).abs()).collect();
    Data::new(dev).median()
}

/// Percentile-bootstrap interval of the median, seeded.
pub fn bootstrap_median_ci(s: &Samples, b: Bootstrap) -> Interval {
    let mut rng = SplitMix64::new(b.seed);
    let n = s.0.len();
    let mut resample = vec![0.0; n];
    let mut medians = Vec::with_capacity(b.resamples.max(2));
    for _ in 0..b.resamples.max(2) {
        for slot in resample.iter_mut() {
            *slot = s.0[rng.index(n)];
        }
        medians.push(Data::new(resample.as_mut_slice()).median());
    }
    let alpha = 1.0 - b.level;
    let mut d = Data::new(medians);
    Interval {
        low: d.quantile(alpha / 2.0),
        high: d.quantile(1.0 - alpha / 2.0),
        level: b.level,
    }
}

pub fn summarize(s: &Samples, b: Bootstrap) -> Summary {
    let mut d = Data::new(s.0.clone());
    let med = d.median();
    let mad = mad(s);
    Summary {
        n: s.len(),
        median: med,
        mad,
        mad_scaled: mad * MAD_SCALE,
        mad_over_median: if med == 0.0 { 0.0 } else { mad / med.abs() },
        min: d.quantile(0.0),
        max: d.quantile(1.0),
        p5: d.quantile(0.05),
        p95: d.quantile(0.95),
        median_ci: bootstrap_median_ci(s, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[f64]) -> Samples {
        Samples::new(v.to_vec()).unwrap()
    }

    #[test]
    fn validation() {
        assert_eq!(Samples::new(vec![1.0]), Err(SampleError::TooFew(1)));
        assert!(matches!(
            Samples::new(vec![1.0, f64::NAN]),
            Err(SampleError::NotFinite { index: 1, .. })
        ));
        assert!(matches!(
            Samples::new(vec![f64::INFINITY, 1.0]),
            Err(SampleError::NotFinite { index: 0, .. })
        ));
    }

    #[test]
    fn hand_computed_odd() {
        // median 3; |x - 3| = [2, 1, 0, 1, 97] → MAD 1.
        let x = s(&[4.0, 1.0, 100.0, 3.0, 2.0]);
        let sum = summarize(&x, Bootstrap::default());
        assert_eq!(sum.median, 3.0);
        assert_eq!(sum.mad, 1.0);
        assert!((sum.mad_scaled - 1.4826).abs() < 1e-12);
        assert!((sum.mad_over_median - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((sum.min, sum.max), (1.0, 100.0));
        // Type 8: h = (n + 1/3) tau + 1/3; p5 → h = 0.6 → min; p95 → h = 5.4 → max.
        assert_eq!((sum.p5, sum.p95), (1.0, 100.0));
    }

    #[test]
    fn hand_computed_even() {
        // median 2.5; deviations [1.5, .5, .5, 1.5] → MAD 1.0.
        let x = s(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(median(&x), 2.5);
        assert_eq!(mad(&x), 1.0);
        // Type 8 quartile: h = (4 + 1/3) * .25 + 1/3 = 1.41667 → 1 + .41667 * (2 - 1).
        assert!((quantile(&x, 0.25) - (1.0 + 5.0 / 12.0)).abs() < 1e-12);
    }

    #[test]
    fn bootstrap_is_seeded_and_sane() {
        let x = s(&[10.0, 11.0, 9.5, 10.2, 10.1, 9.9, 10.4, 10.0, 9.8, 10.3]);
        let a = bootstrap_median_ci(&x, Bootstrap::default());
        let b = bootstrap_median_ci(&x, Bootstrap::default());
        assert_eq!(a, b);
        assert!(a.contains(median(&x)));
        assert!(a.low >= 9.5 && a.high <= 11.0 && a.low < a.high);
        let c = bootstrap_median_ci(&s(&[5.0, 5.0, 5.0]), Bootstrap::default());
        assert_eq!((c.low, c.high), (5.0, 5.0));
    }
}
