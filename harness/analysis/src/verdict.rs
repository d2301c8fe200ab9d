//! Verdicts: per metric, and for the whole compare.
//!
//! A statistical metric (timings, cycles) is judged on its median head/base
//! ratio `r`, the confidence interval `[lo, hi]` of that median, and its
//! Benjamini–Hochberg adjusted p-value `q`, with threshold `t` and false
//! discovery rate `α` from the gate:
//!
//! - **Regressed**: `r > 1 + t`, `lo > 1` and `q < α`;
//! - **Improved**: `r < 1 − t`, `hi < 1` and `q < α`;
//! - **Unchanged**: the interval lies within `[1 − t, 1 + t]`;
//! - **Inconclusive**: anything else — the interval is too wide to tell a
//!   change of `t` from none (or a significant change is smaller than `t`
//!   while its interval still reaches beyond it).
//!
//! A deterministic metric (allocations, Ir) is the same in every run, so it
//! is compared exactly: `head / base > 1 + t` regressed, `< 1 − t` improved,
//! anything else (and identical values, zero included) unchanged.
//!
//! The whole compare: findings that differ (unless allowed) fail it; then any
//! gated regression; then any gated inconclusive; otherwise it passes.

pub use harness_model::verdict::{GateOutcome, Verdict};

/// What a statistical verdict is decided from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    pub median_ratio: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Benjamini–Hochberg adjusted p-value.
    pub p_adjusted: f64,
}

/// The decision rule for statistical metrics (see the module documentation).
pub fn statistical(e: Evidence, threshold: f64, fdr: f64) -> Verdict {
    let significant = e.p_adjusted < fdr;
    if e.median_ratio > 1.0 + threshold && e.ci_low > 1.0 && significant {
        Verdict::Regressed
    } else if e.median_ratio < 1.0 - threshold && e.ci_high < 1.0 && significant {
        Verdict::Improved
    } else if e.ci_low >= 1.0 - threshold && e.ci_high <= 1.0 + threshold {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

/// The decision rule for deterministic figures: exact comparison of `head`
/// against `base` (both at least zero).
pub fn deterministic(base: f64, head: f64, threshold: f64) -> Verdict {
    if head == base {
        Verdict::Unchanged
    } else if base == 0.0 {
        // Something from nothing is a regression of any size; nothing from
        // nothing was handled above.
        if head > 0.0 {
            Verdict::Regressed
        } else {
            Verdict::Improved
        }
    } else {
        let ratio = head / base;
        if ratio > 1.0 + threshold {
            Verdict::Regressed
        } else if ratio < 1.0 - threshold {
            Verdict::Improved
        } else {
            Verdict::Unchanged
        }
    }
}

/// The outcome from the findings check and the gated verdicts.
pub fn decide(findings_ok: bool, gated: impl IntoIterator<Item = Verdict>) -> GateOutcome {
    if !findings_ok {
        return GateOutcome::FindingsChanged;
    }
    let mut outcome = GateOutcome::Pass;
    for v in gated {
        match v {
            Verdict::Regressed => return GateOutcome::Regression,
            Verdict::Inconclusive => outcome = GateOutcome::Inconclusive,
            Verdict::Improved | Verdict::Unchanged => {}
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(r: f64, lo: f64, hi: f64, q: f64) -> Verdict {
        statistical(
            Evidence {
                median_ratio: r,
                ci_low: lo,
                ci_high: hi,
                p_adjusted: q,
            },
            0.02,
            0.05,
        )
    }

    #[test]
    fn statistical_rule() {
        assert_eq!(ev(1.05, 1.03, 1.07, 0.001), Verdict::Regressed);
        assert_eq!(ev(0.95, 0.93, 0.97, 0.001), Verdict::Improved);
        // Above the threshold but not significant after correction.
        assert_eq!(ev(1.05, 1.03, 1.07, 0.2), Verdict::Inconclusive);
        // Interval touching 1.
        assert_eq!(ev(1.05, 1.0, 1.07, 0.001), Verdict::Inconclusive);
        // Significant but below the threshold, interval inside ±2%.
        assert_eq!(ev(1.01, 1.005, 1.015, 0.001), Verdict::Unchanged);
        // Significant, below the threshold, interval reaching past it.
        assert_eq!(ev(1.015, 1.01, 1.03, 0.001), Verdict::Inconclusive);
        // Interval exactly on the bounds is inside.
        assert_eq!(ev(1.0, 0.98, 1.02, 1.0), Verdict::Unchanged);
        assert_eq!(ev(1.0, 0.97, 1.03, 1.0), Verdict::Inconclusive);
        assert_eq!(ev(1.0, 1.0, 1.0, 1.0), Verdict::Unchanged);
    }

    #[test]
    fn deterministic_rule() {
        assert_eq!(deterministic(0.0, 0.0, 0.02), Verdict::Unchanged);
        assert_eq!(deterministic(100.0, 100.0, 0.02), Verdict::Unchanged);
        assert_eq!(deterministic(100.0, 102.0, 0.02), Verdict::Unchanged);
        assert_eq!(deterministic(100.0, 102.5, 0.02), Verdict::Regressed);
        assert_eq!(deterministic(100.0, 97.5, 0.02), Verdict::Improved);
        assert_eq!(deterministic(0.0, 1.0, 0.02), Verdict::Regressed);
        assert_eq!(deterministic(5.0, 0.0, 0.02), Verdict::Improved);
    }

    #[test]
    fn outcome_precedence_and_exit_codes() {
        use Verdict::*;
        assert_eq!(decide(true, []), GateOutcome::Pass);
        assert_eq!(decide(true, [Unchanged, Improved]), GateOutcome::Pass);
        assert_eq!(
            decide(true, [Inconclusive, Unchanged]),
            GateOutcome::Inconclusive
        );
        assert_eq!(
            decide(true, [Inconclusive, Regressed]),
            GateOutcome::Regression
        );
        assert_eq!(decide(false, [Unchanged]), GateOutcome::FindingsChanged);
        let codes: Vec<i32> = GateOutcome::all().iter().map(|o| o.exit_code()).collect();
        assert_eq!(codes, vec![0, 1, 1, 3]);
        assert_eq!(Verdict::all().len(), 4);
    }
}
