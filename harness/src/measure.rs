//! The measurement loop: pinned, warm, repeated runs of a [`Workload`].
//!
//! A [`Session`] is the open, pinned, warm state one process measures with:
//! counters open, the workloads prepared (for the scanner: rules compiled,
//! corpora loaded and their pages cached; see [`crate::scan_workload`]).
//! [`Session::measure`] is one measured run: around the workload's
//! [`Workload::run`] it reads cycles (perf-event or TSC), wall and CPU
//! time, allocations and peak heap (through the binary's counting
//! allocator), peak RSS and sampled peak `RssAnon`/`RssFile`,
//! and contamination ([`NoiseProbe`]); afterwards, unmeasured,
//! [`Workload::check`] says what the run delivered and how its findings
//! differ from the ground truth, which the [`TruthPolicy`] enforces or
//! reports. [`measure_stratum`] drives warm-ups and measured iterations,
//! re-running contaminated ones up to `max_reruns` per stratum;
//! `crate::scan_session::run` does that for `harness run`, and `harness serve` calls
//! [`Session::measure`] once per request so an A/B compare can interleave
//! two builds without process start-up between them.
//!
//! Invariants: a warm-up is judged against no baseline and then joins the
//! stratum's; an iteration counts when it is clean, or when the re-run
//! budget is spent (then it is kept, marked by its verdict); only the
//! workload's `run` is inside the measured region.

use crate::contamination::{self, Probe};
use crate::counters::{CounterSource, Counters};
use crate::environment::Environment;
use crate::rss_sampler::RssSampler;
use crate::rusage::{self, Usage};
use harness_analysis::contamination::{assess, baseline};
use harness_analysis::series::summarize_stratum;
use harness_analysis::stats::Bootstrap;
use harness_model::WorkloadId;
use harness_model::contamination::{Baseline, Noise, Thresholds, Verdict};
use harness_model::protocol::{CorpusInfo, Sample};
use harness_model::results::{Iteration, StageSample, StratumRun};
use scanner::git::{self, AllocSnapshot};
use std::path::PathBuf;
use std::time::Instant;

/// Why a run could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("the {stratum} corpus is missing at {path}: run `cargo xtask corpora` first")]
    CorpusMissing { stratum: String, path: PathBuf },
    #[error("the {stratum} corpus at {path} is unusable: {reason}")]
    CorpusCorrupt {
        stratum: String,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "the {stratum} corpus at {path} was generated from another spec: run `cargo xtask corpora` to rebuild it"
    )]
    CorpusStale { stratum: String, path: PathBuf },
    #[error("cannot pin: {0} (pass --unpinned to measure without pinning)")]
    Pin(#[from] crate::affinity::PinError),
    #[error("counters: {0}")]
    Counters(String),
    #[error("rules: {0}")]
    Rules(#[from] scanner::detect::RulesError),
    #[error("scanning the {stratum} corpus: {source}")]
    Scan { stratum: String, source: git::Error },
    #[error("the {stratum} scan was partial ({skipped} objects skipped): the corpus is damaged")]
    Partial { stratum: String, skipped: usize },
    #[error(
        "the {stratum} scan's findings differ from the ground truth in iteration {iteration}: {diff}"
    )]
    Truth {
        stratum: String,
        iteration: usize,
        diff: String,
    },
    #[error("reading counters: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Samples(#[from] harness_analysis::stats::SampleError),
}

/// Progress notifications for a caller's progress bar.
#[derive(Clone, Debug)]
pub enum Event {
    Stratum {
        stratum: WorkloadId,
        iterations: usize,
    },
    Iteration {
        stratum: WorkloadId,
        warmup: bool,
        wall_ns: u64,
        verdict: Verdict,
    },
}

/// Reads the binary's counting allocator, if it installed one.
#[derive(Clone, Copy, Debug)]
pub struct AllocReader {
    /// Allocations and requested bytes so far (monotonic).
    pub totals: fn() -> AllocSnapshot,
    /// Makes the live-bytes high-water mark the bytes live now.
    pub reset_peak: fn(),
    /// The live-bytes high-water mark since the last reset.
    pub peak: fn() -> u64,
}

harness_model::closed_enum! {
    /// How an iteration's findings are held against the corpus's ground truth.
    pub enum TruthPolicy ("truth policy") {
        /// A difference fails the iteration (`harness run`: a benchmark that
        /// stopped finding secrets is not a benchmark).
        Enforce = "enforce",
        /// A difference is reported in the sample (`harness serve`: an A/B
        /// compare decides, because a change may alter findings on purpose).
        Report = "report",
    }
}

/// What one run of a workload delivered, as its unmeasured check found it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Bytes decoded and scanned (the cycles/byte divisor).
    pub bytes: u64,
    pub blobs: u64,
    pub findings: u64,
    /// Equal digests mean equal findings.
    pub findings_digest: String,
    /// How the findings differ from the ground truth; `None` when exact.
    pub truth_diff: Option<String>,
    pub stages: Vec<StageSample>,
}

/// Something a [`Session`] measures: one stratum's scan, or a fake in tests.
pub trait Workload {
    /// What a measured run hands to [`Workload::check`].
    type Output;

    /// What it is: a stratum or a named repository.
    fn id(&self) -> &WorkloadId;

    /// What the workload's input is, so two processes can check they measure
    /// the same thing.
    fn corpus(&self) -> CorpusInfo;

    /// Once, when the session opens, before anything is measured.
    fn prepare(&mut self) -> Result<(), MeasureError>;

    /// One complete run with fresh state: the measured region.
    fn run(&mut self, index: usize) -> Result<Self::Output, MeasureError>;

    /// After the counters stopped: what the run delivered.
    fn check(&mut self, output: Self::Output) -> Result<Delivery, MeasureError>;
}

/// Contamination around one iteration: started before the measured region,
/// stopped after it.
pub trait NoiseProbe {
    fn start(&mut self);
    fn stop(&mut self, wall_secs: f64) -> Noise;
}

/// The live system's steal, pressure and switches on the measuring cores.
#[derive(Clone, Debug)]
pub struct LiveNoise {
    cores: Vec<usize>,
    before: Probe,
}

impl LiveNoise {
    pub fn new(cores: Vec<usize>) -> LiveNoise {
        LiveNoise {
            cores,
            before: Probe::default(),
        }
    }
}

impl NoiseProbe for LiveNoise {
    fn start(&mut self) {
        self.before = Probe::read(&self.cores);
    }

    fn stop(&mut self, wall_secs: f64) -> Noise {
        let after = Probe::read(&self.cores);
        contamination::noise(&self.before, &after, wall_secs, self.cores.len().max(1))
    }
}

/// Everything but the workloads a [`Session`] measures with.
pub struct Instruments {
    pub counters: Counters,
    pub alloc: Option<AllocReader>,
    /// Samples peak `RssAnon`/`RssFile` during each run, where `/proc` has them.
    pub rss: Option<RssSampler>,
    pub noise: Box<dyn NoiseProbe + Send>,
    pub thresholds: Thresholds,
    pub environment: Environment,
    /// Calibration only: burn this share of each iteration's CPU time more,
    /// inside the measured region (see [`burn`]).
    pub inject: Option<f64>,
}

/// Spins on this thread until the process has used `1 + share` times the
/// CPU time it had used since `start` when called: a slowdown of known
/// size inside the measured region, which the gate's calibration uses to
/// measure its power. It allocates nothing, so allocation counts stay.
pub fn burn(start: &Usage, share: f64) {
    let spent = Usage::now().cpu_ns_since(start);
    let target = spent + (spent as f64 * share.max(0.0)) as u64;
    let mut x = 0u64;
    while Usage::now().cpu_ns_since(start) < target {
        for i in 0..2_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
    }
    std::hint::black_box(x);
}

impl std::fmt::Debug for Instruments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instruments")
            .field("counters", &self.counters.source())
            .field("thresholds", &self.thresholds)
            .finish_non_exhaustive()
    }
}

/// A workload and the warm-ups it has seen.
#[derive(Debug)]
struct Slot<W> {
    workload: W,
    /// Warm-up observations so far and the noise baseline they set.
    warmups: Vec<(Noise, f64)>,
    baseline: Baseline,
}

/// An open measurement session over workloads `W`.
#[derive(Debug)]
pub struct Session<W> {
    slots: Vec<Slot<W>>,
    instruments: Instruments,
}

impl<W: Workload> Session<W> {
    /// A session over `workloads` (one per stratum), each prepared now.
    pub fn new(workloads: Vec<W>, instruments: Instruments) -> Result<Session<W>, MeasureError> {
        let mut slots: Vec<Slot<W>> = Vec::with_capacity(workloads.len());
        for mut workload in workloads {
            if slots.iter().any(|s| s.workload.id() == workload.id()) {
                return Err(MeasureError::Config(format!(
                    "stratum {} is selected twice",
                    workload.id()
                )));
            }
            workload.prepare()?;
            slots.push(Slot {
                workload,
                warmups: Vec::new(),
                baseline: Baseline::default(),
            });
        }
        Ok(Session { slots, instruments })
    }

    pub fn environment(&self) -> &Environment {
        &self.instruments.environment
    }

    /// Calibration only: every iteration burns `share` of its CPU time more.
    pub fn inject_slowdown(&mut self, share: f64) {
        self.instruments.inject = Some(share);
    }

    pub fn counter_source(&self) -> CounterSource {
        self.instruments.counters.source()
    }

    /// The TSC rate, when cycles are TSC reference cycles.
    pub fn tsc_hz(&self) -> Option<f64> {
        self.instruments.counters.tsc_hz()
    }

    /// The workloads' strata, in the configured order.
    pub fn strata(&self) -> Vec<WorkloadId> {
        self.slots.iter().map(|s| s.workload.id().clone()).collect()
    }

    /// What each workload measures, in the configured order.
    pub fn corpora(&self) -> Vec<CorpusInfo> {
        self.slots.iter().map(|s| s.workload.corpus()).collect()
    }

    /// What `stratum`'s workload measures, if the session loaded it.
    pub fn corpus(&self, stratum: &WorkloadId) -> Option<CorpusInfo> {
        self.slots
            .iter()
            .find(|s| s.workload.id() == stratum)
            .map(|s| s.workload.corpus())
    }

    /// The noise baseline `stratum`'s warm-ups have set so far.
    pub fn baseline(&self, stratum: &WorkloadId) -> Baseline {
        self.slots
            .iter()
            .find(|s| s.workload.id() == stratum)
            .map_or_else(Baseline::default, |s| s.baseline)
    }

    /// One measured run of `stratum`; `index` names it in errors. A
    /// warm-up is judged against no baseline and then joins the stratum's.
    pub fn measure(
        &mut self,
        stratum: &WorkloadId,
        warmup: bool,
        index: usize,
        policy: TruthPolicy,
    ) -> Result<Sample, MeasureError> {
        let Session { slots, instruments } = self;
        let Some(slot) = slots.iter_mut().find(|s| s.workload.id() == stratum) else {
            return Err(MeasureError::Config(format!(
                "stratum {stratum} was not loaded in this session"
            )));
        };
        let alloc = instruments.alloc;
        instruments.noise.start();
        if let Some(rss) = &instruments.rss {
            rss.start();
        }
        let usage0 = Usage::now();
        let peak_ok = rusage::reset_peak_rss();
        if let Some(a) = alloc {
            (a.reset_peak)();
        }
        let alloc0 = alloc.map(|a| (a.totals)());
        instruments.counters.start()?;
        let t0 = Instant::now();
        let output = slot.workload.run(index)?;
        if let Some(share) = instruments.inject {
            burn(&usage0, share);
        }
        let wall = t0.elapsed();
        let reading = instruments.counters.stop()?;
        let alloc1 = alloc.map(|a| (a.totals)());
        let peak_heap = alloc.map(|a| (a.peak)());
        let usage1 = Usage::now();
        let peak = if peak_ok { rusage::peak_rss() } else { None };
        let rss = instruments.rss.as_ref().and_then(RssSampler::stop);
        let wall_secs = wall.as_secs_f64();
        let noise = instruments.noise.stop(wall_secs);
        let delivery = slot.workload.check(output)?;
        if let (TruthPolicy::Enforce, Some(diff)) = (policy, &delivery.truth_diff) {
            return Err(MeasureError::Truth {
                stratum: stratum.to_string(),
                iteration: index,
                diff: diff.clone(),
            });
        }
        let judged_against = if warmup {
            Baseline::default()
        } else {
            slot.baseline
        };
        let verdict = assess(&noise, wall_secs, &instruments.thresholds, &judged_against);
        if warmup {
            slot.warmups.push((noise, wall_secs));
            slot.baseline = baseline(&slot.warmups);
        }
        let (allocations, allocated_bytes) = match (alloc0, alloc1) {
            (Some(a), Some(b)) => (
                Some(b.count.saturating_sub(a.count)),
                Some(b.bytes.saturating_sub(a.bytes)),
            ),
            _ => (None, None),
        };
        Ok(Sample {
            iteration: Iteration {
                wall_ns: wall.as_nanos() as u64,
                cpu_ns: usage1.cpu_ns_since(&usage0),
                cycles: reading.cycles,
                instructions: reading.instructions,
                allocations,
                allocated_bytes,
                peak_rss_bytes: peak,
                peak_heap_bytes: peak_heap,
                rss_anon_peak_bytes: rss.map(|r| r.anon),
                rss_file_peak_bytes: rss.map(|r| r.file),
                noise,
                verdict,
                counted: verdict == Verdict::Clean,
                stages: delivery.stages,
            },
            bytes: delivery.bytes,
            blobs: delivery.blobs,
            findings: delivery.findings,
            findings_digest: delivery.findings_digest,
            truth_diff: delivery.truth_diff,
        })
    }
}

/// How many iterations [`measure_stratum`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repetitions {
    pub warmup: usize,
    /// Counted iterations wanted.
    pub iterations: usize,
    /// Contaminated iterations measured again at most this many times.
    pub max_reruns: usize,
}

/// Warm-ups, then measured iterations of `stratum` until `reps.iterations`
/// count, each under the ground truth ([`TruthPolicy::Enforce`]), then
/// the stratum's summaries.
pub fn measure_stratum<W: Workload>(
    session: &mut Session<W>,
    stratum: &WorkloadId,
    reps: Repetitions,
    bootstrap: Bootstrap,
    progress: &mut dyn FnMut(Event),
) -> Result<StratumRun, MeasureError> {
    progress(Event::Stratum {
        stratum: stratum.clone(),
        iterations: reps.warmup + reps.iterations,
    });
    for w in 0..reps.warmup {
        let m = session.measure(stratum, true, w, TruthPolicy::Enforce)?;
        progress(Event::Iteration {
            stratum: stratum.clone(),
            warmup: true,
            wall_ns: m.iteration.wall_ns,
            verdict: m.iteration.verdict,
        });
    }
    let mut iterations = Vec::new();
    let mut reruns = 0;
    let (mut bytes, mut blobs, mut findings) = (0, 0, 0);
    while iterations.iter().filter(|i: &&Iteration| i.counted).count() < reps.iterations {
        let mut m = session.measure(stratum, false, iterations.len(), TruthPolicy::Enforce)?;
        if m.iteration.verdict != Verdict::Clean {
            if reruns < reps.max_reruns {
                reruns += 1;
            } else {
                // The re-run budget is spent: keep it, marked by its verdict.
                m.iteration.counted = true;
            }
        }
        (bytes, blobs, findings) = (m.bytes, m.blobs, m.findings);
        progress(Event::Iteration {
            stratum: stratum.clone(),
            warmup: false,
            wall_ns: m.iteration.wall_ns,
            verdict: m.iteration.verdict,
        });
        iterations.push(m.iteration);
    }
    let (metrics, stages) = summarize_stratum(
        &iterations,
        bytes,
        session.counter_source(),
        session.tsc_hz(),
        bootstrap,
    )?;
    let corpus = session
        .corpora()
        .into_iter()
        .find(|c| &c.stratum == stratum);
    let (corpus_head, corpus_key, selection) = corpus
        .map(|c| (c.head, c.spec_key, c.selection))
        .unwrap_or_default();
    Ok(StratumRun {
        stratum: stratum.clone(),
        corpus_head,
        corpus_key,
        selection,
        bytes,
        blobs,
        findings,
        reruns,
        noise_baseline: session.baseline(stratum),
        iterations,
        metrics,
        stages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment;
    use harness_model::Stratum;
    use std::collections::VecDeque;

    /// A workload that delivers fixed findings, optionally off the ground
    /// truth from some run on, and counts its runs.
    #[derive(Debug)]
    struct Fake {
        id: WorkloadId,
        runs: usize,
        prepared: bool,
        wrong_from: Option<usize>,
        partial_at: Option<usize>,
    }

    impl Fake {
        fn new(stratum: Stratum) -> Fake {
            Fake {
                id: stratum.into(),
                runs: 0,
                prepared: false,
                wrong_from: None,
                partial_at: None,
            }
        }
    }

    impl Workload for Fake {
        type Output = usize;

        fn id(&self) -> &WorkloadId {
            &self.id
        }

        fn corpus(&self) -> CorpusInfo {
            CorpusInfo {
                stratum: self.id.clone(),
                head: "head".into(),
                spec_key: "key".into(),
                selection: "--all".into(),
            }
        }

        fn prepare(&mut self) -> Result<(), MeasureError> {
            self.prepared = true;
            Ok(())
        }

        fn run(&mut self, _index: usize) -> Result<usize, MeasureError> {
            self.runs += 1;
            std::hint::black_box((0..1000u64).sum::<u64>());
            Ok(self.runs)
        }

        fn check(&mut self, run: usize) -> Result<Delivery, MeasureError> {
            if self.partial_at == Some(run) {
                return Err(MeasureError::Partial {
                    stratum: self.id.to_string(),
                    skipped: 1,
                });
            }
            let wrong = self.wrong_from.is_some_and(|k| run >= k);
            Ok(Delivery {
                bytes: 1000,
                blobs: 10,
                findings: 3,
                findings_digest: "d".into(),
                truth_diff: wrong.then(|| "1 missing".to_string()),
                stages: vec![StageSample {
                    stage: "exec".into(),
                    wall_ns: 500,
                    items_in: 10,
                    items_out: 10,
                    bytes_in: 1000,
                    bytes_out: 1000,
                }],
            })
        }
    }

    /// Scripted noise: one entry per iteration, clean once the script ends.
    struct Script(VecDeque<Noise>);

    impl NoiseProbe for Script {
        fn start(&mut self) {}
        fn stop(&mut self, _wall_secs: f64) -> Noise {
            self.0.pop_front().unwrap_or_default()
        }
    }

    fn pressure(p: f64) -> Noise {
        Noise {
            steal_fraction: 0.0,
            pressure_fraction: Some(p),
            involuntary_switches: 0,
        }
    }

    fn session(fakes: Vec<Fake>, script: Vec<Noise>) -> Session<Fake> {
        let (counters, report) = Counters::open(Some(CounterSource::Monotonic)).unwrap();
        Session::new(
            fakes,
            Instruments {
                counters,
                alloc: None,
                rss: None,
                noise: Box::new(Script(script.into())),
                thresholds: Thresholds::default(),
                environment: environment::capture(Vec::new(), report),
                inject: None,
            },
        )
        .unwrap()
    }

    const REPS: Repetitions = Repetitions {
        warmup: 3,
        iterations: 4,
        max_reruns: 2,
    };

    fn measure(s: &mut Session<Fake>, reps: Repetitions) -> Result<StratumRun, MeasureError> {
        measure_stratum(
            s,
            &Stratum::Small.into(),
            reps,
            Bootstrap::default(),
            &mut |_| {},
        )
    }

    #[test]
    fn workloads_are_prepared_once_and_strata_are_unique() {
        let s = session(
            vec![Fake::new(Stratum::Small), Fake::new(Stratum::Large)],
            vec![],
        );
        assert!(s.slots.iter().all(|s| s.workload.prepared));
        assert_eq!(
            s.strata(),
            vec![
                WorkloadId::from(Stratum::Small),
                WorkloadId::from(Stratum::Large)
            ]
        );
        let (counters, report) = Counters::open(Some(CounterSource::Monotonic)).unwrap();
        let err = Session::new(
            vec![Fake::new(Stratum::Small), Fake::new(Stratum::Small)],
            Instruments {
                counters,
                alloc: None,
                rss: None,
                noise: Box::new(Script(VecDeque::new())),
                thresholds: Thresholds::default(),
                environment: environment::capture(Vec::new(), report),
                inject: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("small is selected twice"), "{err}");
    }

    #[test]
    fn the_warm_ups_set_the_baseline_the_workloads_own_level_is_clean() {
        // A workload with 22% pressure of its own: warm-ups see it, so the
        // measured iterations at that level are clean; a neighbour doubling
        // it is caught and re-run.
        let mut script = vec![pressure(0.21), pressure(0.22), pressure(0.23)];
        script.extend([pressure(0.22), pressure(0.45), pressure(0.22)]);
        script.extend([pressure(0.22), pressure(0.22)]);
        let mut s = session(vec![Fake::new(Stratum::Small)], script);
        let run = measure(&mut s, REPS).unwrap();
        assert!((run.noise_baseline.pressure_fraction - 0.22).abs() < 1e-12);
        let verdicts: Vec<Verdict> = run.iterations.iter().map(|i| i.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Clean,
                Verdict::Pressure,
                Verdict::Clean,
                Verdict::Clean,
                Verdict::Clean
            ]
        );
        assert_eq!(run.reruns, 1);
        assert_eq!(run.iterations.iter().filter(|i| i.counted).count(), 4);
        assert!(!run.iterations[1].counted);
        // Summaries cover the counted iterations only.
        assert!(run.metrics.iter().all(|m| m.summary.n == 4));
        assert_eq!(run.stages.len(), 1);
        assert_eq!(s.slots[0].workload.runs, 3 + 5);
    }

    #[test]
    fn a_spent_rerun_budget_keeps_contaminated_iterations_marked() {
        let steal = Noise {
            steal_fraction: 0.5,
            pressure_fraction: None,
            involuntary_switches: 0,
        };
        // Clean warm-ups, then steal on every measured iteration.
        let mut script = vec![Noise::default(); 3];
        script.extend(vec![steal; 10]);
        let mut s = session(vec![Fake::new(Stratum::Small)], script);
        let run = measure(&mut s, REPS).unwrap();
        assert_eq!(run.reruns, 2);
        assert_eq!(run.iterations.len(), 6);
        assert!(run.iterations.iter().all(|i| i.verdict == Verdict::Steal));
        let counted: Vec<bool> = run.iterations.iter().map(|i| i.counted).collect();
        assert_eq!(counted, [false, false, true, true, true, true]);
    }

    #[test]
    fn the_truth_policy_fails_or_reports_a_difference() {
        let mut fake = Fake::new(Stratum::Small);
        fake.wrong_from = Some(5);
        let mut s = session(vec![fake], vec![]);
        let err = measure(&mut s, REPS).unwrap_err().to_string();
        assert!(
            err.contains("small scan's findings differ from the ground truth in iteration 1")
                && err.contains("1 missing"),
            "{err}"
        );
        // `serve` reports it in the sample and measures on.
        let sample = s
            .measure(&Stratum::Small.into(), false, 9, TruthPolicy::Report)
            .unwrap();
        assert_eq!(sample.truth_diff.as_deref(), Some("1 missing"));
        assert_eq!((sample.bytes, sample.findings), (1000, 3));
        assert_eq!(sample.iteration.stages[0].stage, "exec");
    }

    #[test]
    fn partial_runs_and_unknown_strata_are_errors() {
        let mut fake = Fake::new(Stratum::Small);
        fake.partial_at = Some(2);
        let mut s = session(vec![fake], vec![]);
        let err = measure(&mut s, REPS).unwrap_err().to_string();
        assert!(err.contains("small scan was partial"), "{err}");
        let err = s
            .measure(&Stratum::Large.into(), false, 0, TruthPolicy::Report)
            .unwrap_err()
            .to_string();
        assert!(err.contains("stratum large was not loaded"), "{err}");
    }
}
