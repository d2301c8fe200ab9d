//! Cycle counting with an explicit source for every figure.
//!
//! Hardware counters (perf-event: CPU cycles and instructions, user space,
//! inherited by the scanner's worker threads) are used when the kernel and the
//! machine allow it. VMs often expose no PMU; then cycles are *reference*
//! cycles from the time-stamp counter, calibrated once per run against the
//! monotonic clock, and instructions are unavailable. Where there is no TSC
//! (non-x86_64) the monotonic clock's nanoseconds stand in.
//!
//! The two main sources measure different things, so results always carry
//! their [`CounterSource`]: perf cycles are CPU cycles summed over all threads
//! of the scan; TSC cycles are elapsed wall time in reference cycles.

pub use harness_model::{CounterReport, CounterSource};
use std::time::{Duration, Instant};

/// Reads the time-stamp counter.
#[cfg(target_arch = "x86_64")]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86_64 and touches no memory.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

/// Frequency of the TSC, measured against the monotonic clock by spinning
/// for `spin`. Returns `None` where there is no TSC.
pub fn calibrate_tsc(spin: Duration) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        let t0 = Instant::now();
        let c0 = rdtsc();
        while t0.elapsed() < spin {
            std::hint::spin_loop();
        }
        let c1 = rdtsc();
        let dt = t0.elapsed().as_secs_f64();
        (dt > 0.0 && c1 > c0).then(|| (c1 - c0) as f64 / dt)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = spin;
        None
    }
}

/// One measured interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub cycles: u64,
    /// Retired instructions, only from hardware counters.
    pub instructions: Option<u64>,
    pub source: CounterSource,
}

/// Open counters for the calling process; start/stop around each iteration.
#[derive(Debug)]
pub struct Counters {
    source: CounterSource,
    cycles: Option<perf_event::Counter>,
    instructions: Option<perf_event::Counter>,
    tsc_hz: Option<f64>,
    start_tsc: u64,
    start_time: Option<Instant>,
}

fn open_hw(kind: perf_event::events::Hardware) -> std::io::Result<perf_event::Counter> {
    let mut b = perf_event::Builder::new().kind(kind);
    // Worker threads the scanner spawns after this point are counted too.
    b.inherit(true);
    b.build()
}

impl Counters {
    /// Opens the best source, or exactly `force` when given (a forced
    /// `perf_event` that cannot open is an error, never a silent fallback).
    pub fn open(force: Option<CounterSource>) -> Result<(Counters, CounterReport), String> {
        let tsc_hz = calibrate_tsc(Duration::from_millis(100));
        let fallback_reason;
        if matches!(force, None | Some(CounterSource::PerfEvent)) {
            match open_hw(perf_event::events::Hardware::CPU_CYCLES) {
                Ok(cycles) => {
                    let instructions = open_hw(perf_event::events::Hardware::INSTRUCTIONS).ok();
                    let report = CounterReport {
                        source: CounterSource::PerfEvent,
                        instructions: instructions.is_some(),
                        tsc_hz,
                        fallback_reason: None,
                    };
                    let c = Counters {
                        source: CounterSource::PerfEvent,
                        cycles: Some(cycles),
                        instructions,
                        tsc_hz,
                        start_tsc: 0,
                        start_time: None,
                    };
                    return Ok((c, report));
                }
                Err(e) if force == Some(CounterSource::PerfEvent) => {
                    return Err(format!("hardware cycle counter unavailable: {e}"));
                }
                Err(e) => fallback_reason = Some(format!("perf_event_open(cycles): {e}")),
            }
        } else {
            fallback_reason = Some(format!("forced {}", force.map_or("", |f| f.as_str())));
        }
        let source = match (force, tsc_hz) {
            (Some(CounterSource::Monotonic), _) | (_, None) => CounterSource::Monotonic,
            _ => CounterSource::Tsc,
        };
        if force == Some(CounterSource::Tsc) && source != CounterSource::Tsc {
            return Err("no time-stamp counter on this machine".into());
        }
        let report = CounterReport {
            source,
            instructions: false,
            tsc_hz,
            fallback_reason,
        };
        Ok((
            Counters {
                source,
                cycles: None,
                instructions: None,
                tsc_hz,
                start_tsc: 0,
                start_time: None,
            },
            report,
        ))
    }

    pub fn source(&self) -> CounterSource {
        self.source
    }

    pub fn start(&mut self) -> std::io::Result<()> {
        for c in [&mut self.cycles, &mut self.instructions]
            .into_iter()
            .flatten()
        {
            c.reset()?;
            c.enable()?;
        }
        self.start_time = Some(Instant::now());
        #[cfg(target_arch = "x86_64")]
        {
            self.start_tsc = rdtsc();
        }
        Ok(())
    }

    pub fn stop(&mut self) -> std::io::Result<Reading> {
        #[cfg(target_arch = "x86_64")]
        let end_tsc = rdtsc();
        let elapsed = self.start_time.map_or(Duration::ZERO, |t| t.elapsed());
        for c in [&mut self.cycles, &mut self.instructions]
            .into_iter()
            .flatten()
        {
            c.disable()?;
        }
        let cycles = match (self.source, &mut self.cycles) {
            (CounterSource::PerfEvent, Some(c)) => c.read()?,
            #[cfg(target_arch = "x86_64")]
            (CounterSource::Tsc, _) => end_tsc.saturating_sub(self.start_tsc),
            _ => elapsed.as_nanos() as u64,
        };
        let instructions = match &mut self.instructions {
            Some(c) => Some(c.read()?),
            None => None,
        };
        Ok(Reading {
            cycles,
            instructions,
            source: self.source,
        })
    }

    pub fn tsc_hz(&self) -> Option<f64> {
        self.tsc_hz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_tsc_counts_reference_cycles() {
        let Ok((mut c, report)) = Counters::open(Some(CounterSource::Tsc)) else {
            // No TSC (not x86_64): the monotonic path is tested below.
            return;
        };
        assert_eq!(report.source, CounterSource::Tsc);
        assert!(report.fallback_reason.is_some());
        let hz = report.tsc_hz.unwrap();
        assert!(hz > 1e8 && hz < 1e10, "{hz}");
        c.start().unwrap();
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(20) {
            std::hint::spin_loop();
        }
        let r = c.stop().unwrap();
        assert_eq!(r.source, CounterSource::Tsc);
        assert_eq!(r.instructions, None);
        // 20 ms of spinning is 20 ms of reference cycles, within scheduling noise.
        let secs = r.cycles as f64 / hz;
        assert!((0.019..0.5).contains(&secs), "{secs}");
    }

    #[test]
    fn forced_monotonic_counts_nanoseconds() {
        let (mut c, report) = Counters::open(Some(CounterSource::Monotonic)).unwrap();
        assert_eq!(report.source, CounterSource::Monotonic);
        c.start().unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let r = c.stop().unwrap();
        assert!(r.cycles >= 5_000_000);
    }

    #[test]
    fn default_open_reports_its_source() {
        let (_, report) = Counters::open(None).unwrap();
        // On a VM without a PMU this is the TSC with a reason; on bare metal perf.
        match report.source {
            CounterSource::PerfEvent => assert!(report.fallback_reason.is_none()),
            CounterSource::Tsc | CounterSource::Monotonic => {
                assert!(report.fallback_reason.is_some())
            }
        }
    }
}
