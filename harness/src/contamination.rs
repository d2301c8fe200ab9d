//! Noise from outside the measured process, read from the live system: CPU
//! steal (hypervisor), CPU pressure (other tasks wanting our cores),
//! involuntary context switches.
//!
//! [`Probe::read`] snapshots the counters before and after an iteration and
//! [`noise`] turns the difference into the model's [`Noise`]; judging it
//! against thresholds and the workload's own baseline is the analysis
//! layer's (`harness_analysis::contamination`, see `docs/methodology.md`).
//! Parsers take the file contents as strings so they are tested without a
//! live `/proc`.

pub use harness_model::contamination::Noise;

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

#[cfg(test)]
mod tests {
    use super::*;
    use harness_analysis::contamination::assess;
    use harness_model::contamination::{Baseline, Thresholds, Verdict};

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
}
