//! Judging contamination: the noise around an iteration ([`Noise`], read by
//! the runtime) against [`Thresholds`] and the workload's own
//! [`Baseline`].
//!
//! The scanner's worker threads share the pinned cores with the measuring
//! thread, so some CPU pressure and some involuntary switches are the
//! workload's own; the baseline (median over the warm-up iterations) holds
//! that level and only the excess counts. Steal is always external and is
//! judged absolutely (documented in `docs/methodology.md`).

use crate::stats::{self, Samples};
use harness_model::contamination::{Baseline, Noise, Thresholds, Verdict};

/// The workload's own level: medians over `(noise, wall seconds)` of the
/// warm-ups; zero without any.
pub fn baseline(warmups: &[(Noise, f64)]) -> Baseline {
    // No (or no valid) warm-up sets no baseline.
    let median = |v: Vec<f64>| Samples::new(v).map_or(0.0, |s| stats::median(&s));
    Baseline {
        pressure_fraction: median(
            warmups
                .iter()
                .filter_map(|(n, _)| n.pressure_fraction)
                .collect(),
        ),
        involuntary_per_sec: median(
            warmups
                .iter()
                .map(|(n, w)| n.involuntary_switches as f64 / w.max(1e-9))
                .collect(),
        ),
    }
}

pub fn assess(n: &Noise, wall_secs: f64, t: &Thresholds, base: &Baseline) -> Verdict {
    let rate = n.involuntary_switches as f64 / wall_secs.max(1e-9);
    if n.steal_fraction > t.max_steal_fraction {
        Verdict::Steal
    } else if n
        .pressure_fraction
        .is_some_and(|p| p > base.pressure_fraction + t.max_pressure_excess)
    {
        Verdict::Pressure
    } else if n.involuntary_switches >= t.min_involuntary
        && rate > base.involuntary_per_sec * t.involuntary_factor + t.max_involuntary_excess_per_sec
    {
        Verdict::ContextSwitches
    } else {
        Verdict::Clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workloads_own_level_is_not_contamination() {
        let t = Thresholds::default();
        // A 2-thread scan on 2 cores: ~22% pressure and ~250 switches/s of its own.
        let own = Noise {
            steal_fraction: 0.0,
            pressure_fraction: Some(0.22),
            involuntary_switches: 70,
        };
        let base = baseline(&[(own, 0.28), (own, 0.29), (own, 0.30)]);
        assert!((base.pressure_fraction - 0.22).abs() < 1e-12);
        assert!((base.involuntary_per_sec - 70.0 / 0.29).abs() < 1e-9);
        assert_eq!(assess(&own, 0.28, &t, &base), Verdict::Clean);
        // A neighbour doubling the pressure is caught.
        let busy = Noise {
            pressure_fraction: Some(0.45),
            ..own
        };
        assert_eq!(assess(&busy, 0.28, &t, &base), Verdict::Pressure);
        // So is a burst of preemption well beyond the workload's own.
        let preempted = Noise {
            pressure_fraction: Some(0.22),
            involuntary_switches: 400,
            ..own
        };
        assert_eq!(
            assess(&preempted, 0.28, &t, &base),
            Verdict::ContextSwitches
        );
        assert_eq!(baseline(&[]), Baseline::default());
    }
}
