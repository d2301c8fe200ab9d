//! The measurement loop: pinned, warm, repeated full scans of each stratum.
//!
//! For each stratum: load the corpus (never generated here: `cargo xtask
//! corpora` does that), read every file of its repository once so the page
//! cache is warm and equal for all iterations, then run `warmup` discarded
//! iterations and `iterations` measured ones. Each iteration is a complete
//! scan through the scanner library with fresh scanner state (options,
//! sinks, caches; the compiled rule set is immutable and shared) and
//! identical inputs. Around it the harness reads cycles (perf-event or TSC),
//! wall and CPU time, allocations (through the binary's counting allocator),
//! peak RSS, and contamination; a contaminated iteration is re-run, up to
//! `max_reruns` times per stratum. Every iteration's findings must equal the
//! manifest's ground truth, or the run fails.
//!
//! [`Session`] is the open, pinned, warm state one process measures with;
//! [`run`] drives it for `harness run`, and `harness serve` drives it one
//! iteration per request so an A/B compare can interleave two builds
//! without process start-up between them.

use crate::affinity;
use crate::contamination::{self, Baseline, Noise, Probe, Thresholds, Verdict};
use crate::counters::{CounterSource, Counters};
use crate::environment::Environment;
use crate::results::{
    Iteration, Metric, MetricSeries, RunConfig, RunFile, SchemaVersion, StageClock, StageSample,
    StageSeries, StratumRun, rfc3339,
};
use crate::rusage::{self, Usage};
use crate::stats::{Bootstrap, Samples, summarize};
use crate::truth;
use corpora::manifest::{Manifest, ScanSelection};
use corpora::{Stratum, build::load_manifest};
use scanner::detect::suppress::Suppressions;
use scanner::detect::{Engine, FindingsSinkFactory, ScanOptions, build_report, load_engine};
use scanner::git::{self, AllocSnapshot, Options, Selection, Status};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Where to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pinning {
    /// Pin to the first `threads` available cores (resolved when the run
    /// starts, so it follows the configured thread count).
    FirstCores,
    /// Pin to these cores; refuse to run if they cannot all be granted.
    Cores(Vec<usize>),
    /// Run unpinned (only on explicit request: results are noisier).
    Unpinned,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub strata: Vec<Stratum>,
    pub iterations: usize,
    pub warmup: usize,
    pub threads: usize,
    pub pinning: Pinning,
    /// Force a counter source (tests of the fallback path); `None`: best available.
    pub counters: Option<CounterSource>,
    pub max_reruns: usize,
    pub thresholds: Thresholds,
    pub bootstrap: Bootstrap,
    pub corpora_root: PathBuf,
    /// Measure the small test variants of the strata (the test suite's
    /// end-to-end check of the harness); results say so in `corpus_key`.
    pub test_size: bool,
}

impl Config {
    /// The defaults: all strata, 3 warmups, 15 measured iterations, 2
    /// threads pinned to the first two available cores.
    pub fn new(corpora_root: PathBuf) -> Config {
        let threads = 2;
        Config {
            strata: Stratum::all().to_vec(),
            iterations: 15,
            warmup: 3,
            threads,
            pinning: Pinning::FirstCores,
            counters: None,
            max_reruns: 5,
            thresholds: Thresholds::default(),
            bootstrap: Bootstrap::default(),
            corpora_root,
            test_size: false,
        }
    }
}

/// Why a run could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("the {stratum} corpus is missing at {path}: run `cargo xtask corpora` first")]
    CorpusMissing {
        stratum: &'static str,
        path: PathBuf,
    },
    #[error("the {stratum} corpus at {path} is unusable: {reason}")]
    CorpusCorrupt {
        stratum: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "the {stratum} corpus at {path} was generated from another spec: run `cargo xtask corpora` to rebuild it"
    )]
    CorpusStale {
        stratum: &'static str,
        path: PathBuf,
    },
    #[error("cannot pin: {0} (pass --unpinned to measure without pinning)")]
    Pin(#[from] affinity::PinError),
    #[error("counters: {0}")]
    Counters(String),
    #[error("rules: {0}")]
    Rules(#[from] scanner::detect::RulesError),
    #[error("scanning the {stratum} corpus: {source}")]
    Scan {
        stratum: &'static str,
        source: git::Error,
    },
    #[error("the {stratum} scan was partial ({skipped} objects skipped): the corpus is damaged")]
    Partial {
        stratum: &'static str,
        skipped: usize,
    },
    #[error(
        "the {stratum} scan's findings differ from the ground truth in iteration {iteration}: {diff}"
    )]
    Truth {
        stratum: &'static str,
        iteration: usize,
        diff: String,
    },
    #[error("reading counters: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Samples(#[from] crate::stats::SampleError),
}

/// Progress notifications for a caller's progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Stratum {
        stratum: Stratum,
        iterations: usize,
    },
    Iteration {
        stratum: Stratum,
        warmup: bool,
        wall_ns: u64,
        verdict: Verdict,
    },
}

/// Reads the binary's allocation counter, if it installed one.
pub type AllocReader = fn() -> AllocSnapshot;

/// How an iteration's findings are held against the corpus's ground truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruthPolicy {
    /// A difference fails the iteration (`harness run`: a benchmark that
    /// stopped finding secrets is not a benchmark).
    Enforce,
    /// A difference is reported in the sample (`harness serve`: an A/B
    /// compare decides, because a change may alter findings on purpose).
    Report,
}

impl TruthPolicy {
    pub fn all() -> [TruthPolicy; 2] {
        [TruthPolicy::Enforce, TruthPolicy::Report]
    }
}

struct Corpus {
    stratum: Stratum,
    repo: PathBuf,
    manifest: Manifest,
    /// Warm-up observations so far and the noise baseline they set.
    warmups: Vec<(Noise, f64)>,
    baseline: Baseline,
}

fn load_corpus(
    stratum: Stratum,
    root: &Path,
    test_size: bool,
    trust_manifest: bool,
) -> Result<Corpus, MeasureError> {
    let spec = if test_size {
        stratum.test_spec()
    } else {
        stratum.spec()
    };
    let dir = root.join(&spec.name);
    let name = stratum.name();
    let manifest_path = dir.join("manifest.json");
    let repo = dir.join("repo.git");
    if !manifest_path.exists() || !repo.exists() {
        return Err(MeasureError::CorpusMissing {
            stratum: name,
            path: dir,
        });
    }
    let manifest = load_manifest(&manifest_path).map_err(|e| MeasureError::CorpusCorrupt {
        stratum: name,
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    if !trust_manifest && manifest.spec_key != spec.cache_key() {
        return Err(MeasureError::CorpusStale {
            stratum: name,
            path: dir,
        });
    }
    Ok(Corpus {
        stratum,
        repo,
        manifest,
        warmups: Vec::new(),
        baseline: Baseline::default(),
    })
}

/// Reads every file under `dir` once (page cache warm-up).
fn warm_page_cache(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                total += std::io::copy(
                    &mut std::fs::File::open(entry.path())?,
                    &mut std::io::sink(),
                )?;
            }
        }
    }
    Ok(total)
}

/// One measured scan: the iteration's record plus what it delivered.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub iteration: Iteration,
    pub bytes: u64,
    pub blobs: u64,
    pub findings: u64,
    /// SHA-256 over the findings in ground-truth form, sorted: equal digests
    /// mean equal findings (rule, blob, commit, path, position, secret hash).
    pub findings_digest: String,
    /// How the findings differ from the ground truth; `None` when exact.
    pub truth_diff: Option<String>,
}

fn options(c: &Corpus, threads: usize) -> Options {
    let mut opts = Options::new(&c.repo);
    opts.selection = match &c.manifest.selection {
        ScanSelection::All => Selection::All,
        ScanSelection::Range { base, tip } => Selection::Range(format!("{base}..{tip}")),
    };
    opts.threads = threads;
    if let Some(b) = c.manifest.dedupe_budget_bytes {
        opts.dedupe_budget = usize::try_from(b).unwrap_or(usize::MAX);
    }
    opts
}

fn digest(found: &std::collections::BTreeSet<corpora::manifest::ExpectedFinding>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for f in found {
        h.update(f.to_string().as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// What a measurement session needs to open: the strata and where and how
/// to run them.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub strata: Vec<Stratum>,
    pub threads: usize,
    pub pinning: Pinning,
    /// Force a counter source (tests of the fallback path); `None`: best available.
    pub counters: Option<CounterSource>,
    pub thresholds: Thresholds,
    pub corpora_root: PathBuf,
    pub test_size: bool,
    /// Accept corpora whose manifest names another generator spec than this
    /// build's: an A/B compare runs both revisions on the corpora one of
    /// them generated.
    pub trust_manifest: bool,
}

/// An open measurement session: pinned, counters open, rules compiled,
/// corpora loaded and their pages cached. Each [`Session::measure`] is one
/// complete scan with fresh scanner state; the compiled rule set is
/// immutable and shared.
pub struct Session {
    engine: Engine,
    threads: usize,
    counters: Counters,
    alloc: Option<AllocReader>,
    cores: Vec<usize>,
    thresholds: Thresholds,
    corpora: Vec<Corpus>,
    environment: Environment,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("strata", &self.strata())
            .field("threads", &self.threads)
            .field("cores", &self.cores)
            .field("counters", &self.counters.source())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Checks everything about the inputs before anything is measured.
    pub fn open(
        config: &SessionConfig,
        alloc: Option<AllocReader>,
    ) -> Result<Session, MeasureError> {
        if config.threads == 0 {
            return Err(MeasureError::Config("--threads must be at least 1".into()));
        }
        if config.strata.is_empty() {
            return Err(MeasureError::Config("no strata selected".into()));
        }
        let pinned = match &config.pinning {
            Pinning::FirstCores => {
                let available = affinity::available();
                if available.len() < config.threads {
                    return Err(MeasureError::Config(format!(
                        "--threads {} needs {} cores to pin to, but only {available:?} are available (pass --pin or --unpinned)",
                        config.threads, config.threads
                    )));
                }
                affinity::pin(&available[..config.threads])?
            }
            Pinning::Cores(cores) => affinity::pin(cores)?,
            Pinning::Unpinned => Vec::new(),
        };
        let corpora: Vec<Corpus> = config
            .strata
            .iter()
            .map(|&s| {
                load_corpus(
                    s,
                    &config.corpora_root,
                    config.test_size,
                    config.trust_manifest,
                )
            })
            .collect::<Result<_, _>>()?;
        let (counters, report) = Counters::open(config.counters).map_err(MeasureError::Counters)?;
        let engine = load_engine(None)?;
        let environment = Environment::capture(pinned.clone(), report);
        let cores = if pinned.is_empty() {
            affinity::granted()
        } else {
            pinned
        };
        for c in &corpora {
            warm_page_cache(&c.repo)?;
        }
        Ok(Session {
            engine,
            threads: config.threads,
            counters,
            alloc,
            cores,
            thresholds: config.thresholds,
            corpora,
            environment,
        })
    }

    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    pub fn counter_source(&self) -> CounterSource {
        self.counters.source()
    }

    /// The TSC rate, when cycles are TSC reference cycles.
    pub fn tsc_hz(&self) -> Option<f64> {
        self.counters.tsc_hz()
    }

    /// The loaded corpora's strata, in the configured order.
    pub fn strata(&self) -> Vec<Stratum> {
        self.corpora.iter().map(|c| c.stratum).collect()
    }

    /// The manifest of `stratum`'s corpus, if the session loaded it.
    pub fn manifest(&self, stratum: Stratum) -> Option<&Manifest> {
        self.corpora
            .iter()
            .find(|c| c.stratum == stratum)
            .map(|c| &c.manifest)
    }

    /// The noise baseline `stratum`'s warm-ups have set so far.
    pub fn baseline(&self, stratum: Stratum) -> Baseline {
        self.corpora
            .iter()
            .find(|c| c.stratum == stratum)
            .map_or_else(Baseline::default, |c| c.baseline)
    }

    /// One full scan of `stratum`, measured; `index` names it in errors. A
    /// warm-up is judged against no baseline and then joins the stratum's.
    pub fn measure(
        &mut self,
        stratum: Stratum,
        warmup: bool,
        index: usize,
        policy: TruthPolicy,
    ) -> Result<Sample, MeasureError> {
        let Session {
            engine,
            threads,
            counters,
            alloc,
            cores,
            thresholds,
            corpora,
            ..
        } = self;
        let (threads, alloc) = (*threads, *alloc);
        let name = stratum.name();
        let Some(c) = corpora.iter_mut().find(|c| c.stratum == stratum) else {
            return Err(MeasureError::Config(format!(
                "stratum {name} was not loaded in this session"
            )));
        };
        let opts = options(c, threads);
        let factory = FindingsSinkFactory {
            engine,
            opts: ScanOptions {
                show_secrets: false,
                scan_binary: false,
            },
            progress: None,
        };
        let probe0 = Probe::read(cores);
        let usage0 = Usage::now();
        let peak_ok = rusage::reset_peak_rss();
        let alloc0 = alloc.map(|f| f());
        counters.start()?;
        let t0 = Instant::now();
        let (outcome, sinks) = git::scan(&opts, &factory).map_err(|source| MeasureError::Scan {
            stratum: name,
            source,
        })?;
        let report = build_report(engine, sinks, &Suppressions::default());
        let wall = t0.elapsed();
        let reading = counters.stop()?;
        let alloc1 = alloc.map(|f| f());
        let usage1 = Usage::now();
        let peak = if peak_ok { rusage::peak_rss() } else { None };
        let probe1 = Probe::read(cores);
        if outcome.status == Status::Partial {
            return Err(MeasureError::Partial {
                stratum: name,
                skipped: outcome.skipped.len(),
            });
        }
        let found = truth::found(&report);
        let diff = truth::check(&c.manifest, &found, false);
        let truth_diff = (!diff.is_exact()).then(|| diff.to_string());
        if let (TruthPolicy::Enforce, Some(diff)) = (policy, &truth_diff) {
            return Err(MeasureError::Truth {
                stratum: name,
                iteration: index,
                diff: diff.clone(),
            });
        }
        let wall_secs = wall.as_secs_f64();
        let noise = contamination::noise(&probe0, &probe1, wall_secs, cores.len().max(1));
        let baseline = if warmup {
            Baseline::default()
        } else {
            c.baseline
        };
        let verdict = contamination::assess(&noise, wall_secs, thresholds, &baseline);
        if warmup {
            c.warmups.push((noise, wall_secs));
            c.baseline = Baseline::from_warmups(&c.warmups);
        }
        let stages = outcome
            .stages
            .iter()
            .into_iter()
            .map(|(stage, m)| StageSample {
                stage: stage.to_string(),
                wall_ns: m.wall_ns,
                items_in: m.items_in,
                items_out: m.items_out,
                bytes_in: m.bytes_in,
                bytes_out: m.bytes_out,
            })
            .collect();
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
                noise,
                verdict,
                counted: verdict == Verdict::Clean,
                stages,
            },
            bytes: outcome.counts.bytes_delivered,
            blobs: outcome.counts.blobs_delivered,
            findings: report.findings.len() as u64,
            findings_digest: digest(&found),
            truth_diff,
        })
    }
}

fn series(
    metric: Metric,
    source: CounterSource,
    values: Vec<f64>,
    b: Bootstrap,
) -> Result<MetricSeries, MeasureError> {
    let samples = Samples::new(values)?;
    let summary = summarize(&samples, b);
    let cycle_metric = matches!(metric, Metric::Cycles | Metric::CyclesPerByte);
    Ok(MetricSeries {
        metric,
        unit: metric.unit(source),
        source: cycle_metric.then_some(source),
        samples: samples.values().to_vec(),
        summary,
    })
}

/// Summaries of every metric with data, over the counted iterations.
fn summarize_stratum(
    iters: &[Iteration],
    bytes: u64,
    source: CounterSource,
    tsc_hz: Option<f64>,
    b: Bootstrap,
) -> Result<(Vec<MetricSeries>, Vec<StageSeries>), MeasureError> {
    let counted: Vec<&Iteration> = iters.iter().filter(|i| i.counted).collect();
    let mut metrics = Vec::new();
    for metric in Metric::all() {
        let values: Option<Vec<f64>> = counted.iter().map(|i| metric.value(i, bytes)).collect();
        if let Some(values) = values {
            metrics.push(series(metric, source, values, b)?);
        }
    }
    let clock = StageClock::new(tsc_hz);
    let mut stages = Vec::new();
    if let Some(first) = counted.first() {
        for (k, s) in first.stages.iter().enumerate() {
            let wall: Vec<f64> = counted
                .iter()
                .map(|i| i.stages.get(k).map_or(0.0, |x| x.wall_ns as f64))
                .collect();
            let cpb: Vec<f64> = counted
                .iter()
                .map(|i| clock.per_byte(i.stages.get(k).map_or(0, |x| x.wall_ns), bytes))
                .collect();
            stages.push(StageSeries {
                stage: s.stage.clone(),
                bytes,
                wall_ns: summarize(&Samples::new(wall)?, b),
                cycles_per_byte: Some(summarize(&Samples::new(cpb)?, b)),
                cycles_source: clock.source,
            });
        }
    }
    Ok((metrics, stages))
}

/// Runs the whole measurement and returns the results file's content.
pub fn run(
    config: &Config,
    alloc: Option<AllocReader>,
    progress: &mut dyn FnMut(Event),
) -> Result<RunFile, MeasureError> {
    if config.iterations < 2 {
        return Err(MeasureError::Config(format!(
            "--iterations {} is too few: statistics need at least 2 (10 or more for a real run)",
            config.iterations
        )));
    }
    let mut session = Session::open(
        &SessionConfig {
            strata: config.strata.clone(),
            threads: config.threads,
            pinning: config.pinning.clone(),
            counters: config.counters,
            thresholds: config.thresholds,
            corpora_root: config.corpora_root.clone(),
            test_size: config.test_size,
            trust_manifest: false,
        },
        alloc,
    )?;
    let mut strata = Vec::new();
    for stratum in session.strata() {
        progress(Event::Stratum {
            stratum,
            iterations: config.warmup + config.iterations,
        });
        for w in 0..config.warmup {
            let m = session.measure(stratum, true, w, TruthPolicy::Enforce)?;
            progress(Event::Iteration {
                stratum,
                warmup: true,
                wall_ns: m.iteration.wall_ns,
                verdict: m.iteration.verdict,
            });
        }
        let mut iterations = Vec::new();
        let mut reruns = 0;
        let (mut bytes, mut blobs, mut findings) = (0, 0, 0);
        while iterations.iter().filter(|i: &&Iteration| i.counted).count() < config.iterations {
            let mut m = session.measure(stratum, false, iterations.len(), TruthPolicy::Enforce)?;
            if m.iteration.verdict != Verdict::Clean {
                if reruns < config.max_reruns {
                    reruns += 1;
                } else {
                    // The re-run budget is spent: keep it, marked by its verdict.
                    m.iteration.counted = true;
                }
            }
            (bytes, blobs, findings) = (m.bytes, m.blobs, m.findings);
            progress(Event::Iteration {
                stratum,
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
            config.bootstrap,
        )?;
        let (corpus_head, corpus_key, selection) = session
            .manifest(stratum)
            .map(|m| (m.head.clone(), m.spec_key.clone(), m.selection.describe()))
            .unwrap_or_default();
        strata.push(StratumRun {
            stratum,
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
        });
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(RunFile {
        schema: SchemaVersion::current(),
        created: rfc3339(now),
        environment: session.environment().clone(),
        config: RunConfig {
            iterations: config.iterations,
            warmup: config.warmup,
            threads: config.threads,
            max_reruns: config.max_reruns,
            thresholds: config.thresholds,
            bootstrap_resamples: config.bootstrap.resamples,
            bootstrap_seed: config.bootstrap.seed,
        },
        strata,
        micro: Vec::new(),
    })
}
