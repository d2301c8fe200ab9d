//! Noise from outside the measured process: CPU steal (hypervisor), CPU
//! pressure (other tasks wanting our cores), involuntary context switches.
//!
//! [`Probe::read`] snapshots the counters before and after an iteration;
//! [`assess`] turns the difference into a [`Verdict`] against [`Thresholds`]
//! and the stratum's own [`Baseline`]. The scanner's worker threads share the
//! pinned cores with the measuring thread, so some CPU pressure and some
//! involuntary switches are the workload's own; the baseline (median over the
//! warm-up iterations) holds that level and only the excess counts. Steal is
//! always external and is judged absolutely
//! (documented in `docs/methodology.md`). Parsers take the file contents as
//! strings so they are tested without a live `/proc`.

use crate::stats::{self, Samples};
use serde::{Deserialize, Serialize};

/// Linux reports `/proc/stat` times in USER_HZ ticks, 100 per second on every
/// architecture Linux exposes it for.
const USER_HZ: f64 = 100.0;

/// A snapshot of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Probe {
    /// Steal ticks summed over the observed cores.
    pub steal_ticks: u64,
    /// `/proc/pressure/cpu` "some" total, microseconds; `None` without PSI.
    pub pressure_us: Option<u64>,
    /// Involuntary context switches of this process (all threads).
    pub involuntary_switches: u64,
}

/// What happened around one iteration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Stolen time as a fraction of the iteration's wall time, per core.
    pub steal_fraction: f64,
    /// Fraction of wall time some task waited for a CPU; `None` without PSI.
    pub pressure_fraction: Option<f64>,
    pub involuntary_switches: u64,
}

/// Limits above which an iteration counts as contaminated and is re-run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Stolen time per core, as a fraction of wall time (absolute).
    pub max_steal_fraction: f64,
    /// Pressure above the baseline's, in fractions of wall time.
    pub max_pressure_excess: f64,
    /// Switch rate above `baseline × involuntary_factor + max_involuntary_excess_per_sec`…
    pub involuntary_factor: f64,
    pub max_involuntary_excess_per_sec: f64,
    /// …and at least this many switches (one switch in a 2 ms scan is not noise).
    pub min_involuntary: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_steal_fraction: 0.01,
            max_pressure_excess: 0.10,
            involuntary_factor: 1.5,
            max_involuntary_excess_per_sec: 50.0,
            min_involuntary: 5,
        }
    }
}

/// The workload's own pressure and switch rate, from its warm-up iterations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub pressure_fraction: f64,
    pub involuntary_per_sec: f64,
}

impl Baseline {
    /// Medians over `(noise, wall seconds)` of the warm-ups; zero without any.
    pub fn from_warmups(warmups: &[(Noise, f64)]) -> Baseline {
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
}

/// Which limit an iteration broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Clean,
    Steal,
    Pressure,
    ContextSwitches,
}

impl Verdict {
    pub fn all() -> [Verdict; 4] {
        [
            Verdict::Clean,
            Verdict::Steal,
            Verdict::Pressure,
            Verdict::ContextSwitches,
        ]
    }
}

/// Sum of the steal column over `cores` (all cores when empty) in `/proc/stat`.
pub fn parse_steal(proc_stat: &str, cores: &[usize]) -> Option<u64> {
    let mut total = 0;
    let mut seen = false;
    for line in proc_stat.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(name) = fields.next() else { continue };
        let Some(id) = name.strip_prefix("cpu") else {
            continue;
        };
        let Ok(core) = id.parse::<usize>() else {
            continue;
        };
        if !cores.is_empty() && !cores.contains(&core) {
            continue;
        }
        // user nice system idle iowait irq softirq steal
        let steal = fields.nth(7).and_then(|v| v.parse::<u64>().ok())?;
        total += steal;
        seen = true;
    }
    seen.then_some(total)
}

/// The "some" line's `total=` from `/proc/pressure/cpu`.
pub fn parse_pressure(psi: &str) -> Option<u64> {
    let line = psi.lines().find(|l| l.starts_with("some "))?;
    line.split_ascii_whitespace()
        .find_map(|f| f.strip_prefix("total="))
        .and_then(|v| v.parse().ok())
}

impl Probe {
    /// Reads the live counters for `cores` (all when empty).
    pub fn read(cores: &[usize]) -> Probe {
        let steal_ticks = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_steal(&s, cores))
            .unwrap_or(0);
        let pressure_us = std::fs::read_to_string("/proc/pressure/cpu")
            .ok()
            .and_then(|s| parse_pressure(&s));
        let involuntary_switches = crate::rusage::Usage::now().involuntary_switches;
        Probe {
            steal_ticks,
            pressure_us,
            involuntary_switches,
        }
    }
}

/// The noise between two probes taken `wall_secs` apart on `cores` cores.
pub fn noise(before: &Probe, after: &Probe, wall_secs: f64, cores: usize) -> Noise {
    let wall = wall_secs.max(1e-9);
    let steal_secs = after.steal_ticks.saturating_sub(before.steal_ticks) as f64 / USER_HZ;
    let pressure_fraction = match (before.pressure_us, after.pressure_us) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / 1e6 / wall),
        _ => None,
    };
    Noise {
        steal_fraction: steal_secs / wall / cores.max(1) as f64,
        pressure_fraction,
        involuntary_switches: after
            .involuntary_switches
            .saturating_sub(before.involuntary_switches),
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

    const STAT: &str = "cpu  100 0 50 1000 5 0 1 30 0 0\n\
                        cpu0 50 0 25 500 2 0 1 10 0 0\n\
                        cpu1 50 0 25 500 3 0 0 20 0 0\n\
                        intr 12345\n";

    #[test]
    fn steal_per_core_and_total() {
        assert_eq!(parse_steal(STAT, &[]), Some(30));
        assert_eq!(parse_steal(STAT, &[1]), Some(20));
        assert_eq!(parse_steal(STAT, &[7]), None);
        assert_eq!(parse_steal("garbage", &[]), None);
    }

    #[test]
    fn pressure_total() {
        let psi = "some avg10=0.00 avg60=0.10 avg300=0.05 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_pressure(psi), Some(123_456));
        assert_eq!(parse_pressure(""), None);
    }

    #[test]
    fn verdicts() {
        let t = Thresholds::default();
        let zero = Baseline::default();
        let before = Probe {
            steal_ticks: 0,
            pressure_us: Some(0),
            involuntary_switches: 0,
        };
        // 1 s on 2 cores: 4 ticks stolen = 0.04 s / 2 cores = 2% > 1%.
        let after = Probe {
            steal_ticks: 4,
            pressure_us: Some(0),
            involuntary_switches: 0,
        };
        assert_eq!(
            assess(&noise(&before, &after, 1.0, 2), 1.0, &t, &zero),
            Verdict::Steal
        );
        let after = Probe {
            steal_ticks: 1,
            pressure_us: Some(200_000),
            involuntary_switches: 0,
        };
        assert_eq!(
            assess(&noise(&before, &after, 1.0, 2), 1.0, &t, &zero),
            Verdict::Pressure
        );
        let after = Probe {
            steal_ticks: 0,
            pressure_us: None,
            involuntary_switches: 500,
        };
        assert_eq!(
            assess(&noise(&before, &after, 1.0, 2), 1.0, &t, &zero),
            Verdict::ContextSwitches
        );
        let after = Probe {
            steal_ticks: 0,
            pressure_us: Some(1_000),
            involuntary_switches: 3,
        };
        assert_eq!(
            assess(&noise(&before, &after, 1.0, 2), 1.0, &t, &zero),
            Verdict::Clean
        );
        // One switch in a 2 ms iteration is 500/s, but too few to mean anything.
        let after = Probe {
            steal_ticks: 0,
            pressure_us: Some(0),
            involuntary_switches: 1,
        };
        assert_eq!(
            assess(&noise(&before, &after, 0.002, 2), 0.002, &t, &zero),
            Verdict::Clean
        );
    }

    #[test]
    fn the_workloads_own_level_is_not_contamination() {
        let t = Thresholds::default();
        // A 2-thread scan on 2 cores: ~22% pressure and ~250 switches/s of its own.
        let own = Noise {
            steal_fraction: 0.0,
            pressure_fraction: Some(0.22),
            involuntary_switches: 70,
        };
        let base = Baseline::from_warmups(&[(own, 0.28), (own, 0.29), (own, 0.30)]);
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
        assert_eq!(Baseline::from_warmups(&[]), Baseline::default());
    }
}
