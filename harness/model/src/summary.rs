//! Robust summaries as documents store them: [`Summary`] (median, MAD,
//! quantiles, the bootstrap interval of the median), [`Interval`], and the
//! [`Bootstrap`] settings that produced the interval. Computing them is the
//! analysis layer's (`harness_analysis::stats`).

use serde::{Deserialize, Serialize};

/// Scale factor from MAD to a consistent estimate of σ under normality.
pub const MAD_SCALE: f64 = 1.4826;

/// A closed interval with the confidence level it was computed for.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// e.g. 0.95.
    pub level: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Robust summary of one metric's samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    /// Median absolute deviation from the median (raw).
    pub mad: f64,
    /// `mad * 1.4826`.
    pub mad_scaled: f64,
    /// `mad / |median|` (raw MAD); 0 when the median is 0.
    pub mad_over_median: f64,
    pub min: f64,
    pub max: f64,
    pub p5: f64,
    pub p95: f64,
    /// Bootstrap confidence interval of the median.
    pub median_ci: Interval,
}

/// Settings of the percentile bootstrap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bootstrap {
    pub resamples: usize,
    pub level: f64,
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 2_000,
            level: 0.95,
            seed: 0x5CA7_7E12,
        }
    }
}
