//! Opening and running measurement sessions over the scanner's workloads:
//! [`SessionConfig`] and `Session::<ScanWorkload>::open` (pin, open the
//! counters, compile the rules, load and warm every stratum's corpus and
//! repository before anything is measured), and [`run`], the whole of
//! `harness run` ([`Config`]) as a results file. The loop itself is
//! generic over any workload and lives in [`crate::measure`].

use crate::affinity;
use crate::clock;
use crate::counters::{CounterSource, Counters};
use crate::environment;
use crate::measure::{
    AllocReader, Event, Instruments, LiveNoise, MeasureError, Repetitions, Session, measure_stratum,
};
use crate::rss_sampler::{self, RssSampler};
use crate::scan_workload::ScanWorkload;
use harness_analysis::stats::Bootstrap;
use harness_model::Stratum;
use harness_model::contamination::Thresholds;
use harness_model::results::{RunConfig, RunFile, current_schema};
use harness_model::workload::RepoWorkload;
use scanner::detect::load_engine;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// Real repositories from the workloads file, measured after the strata.
    pub repos: Vec<RepoWorkload>,
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
            repos: Vec::new(),
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

/// What a measurement session needs to open: the strata and where and how
/// to run them.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub strata: Vec<Stratum>,
    /// Real repositories from the workloads file.
    pub repos: Vec<RepoWorkload>,
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

impl Session<ScanWorkload> {
    /// Pins, opens the counters, compiles the rules and loads and warms
    /// every stratum's corpus: everything about the inputs is checked
    /// before anything is measured.
    pub fn open(
        config: &SessionConfig,
        alloc: Option<AllocReader>,
    ) -> Result<Session<ScanWorkload>, MeasureError> {
        if config.threads == 0 {
            return Err(MeasureError::Config("--threads must be at least 1".into()));
        }
        if config.strata.is_empty() && config.repos.is_empty() {
            return Err(MeasureError::Config(
                "no strata or workloads selected".into(),
            ));
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
        let engine = Arc::new(load_engine(None)?);
        let mut workloads: Vec<ScanWorkload> = config
            .strata
            .iter()
            .map(|&s| {
                ScanWorkload::load(
                    s,
                    &config.corpora_root,
                    config.test_size,
                    config.trust_manifest,
                    config.threads,
                    Arc::clone(&engine),
                )
            })
            .collect::<Result<_, _>>()?;
        for r in &config.repos {
            workloads.push(ScanWorkload::repo(r, config.threads, Arc::clone(&engine))?);
        }
        // The scanner's stage figures count allocations through the same
        // reader as the iteration's.
        for w in &mut workloads {
            w.count_allocations(alloc.map(|a| a.totals));
        }
        let (counters, report) = Counters::open(config.counters).map_err(MeasureError::Counters)?;
        let environment = environment::capture(pinned.clone(), report);
        let cores = if pinned.is_empty() {
            affinity::granted()
        } else {
            pinned
        };
        Session::new(
            workloads,
            Instruments {
                counters,
                alloc,
                rss: RssSampler::new(rss_sampler::DEFAULT_PERIOD),
                noise: Box::new(LiveNoise::new(cores)),
                thresholds: config.thresholds,
                environment,
                inject: None,
            },
        )
    }
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
            repos: config.repos.clone(),
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
    let reps = Repetitions {
        warmup: config.warmup,
        iterations: config.iterations,
        max_reruns: config.max_reruns,
    };
    let mut strata = Vec::new();
    for stratum in session.strata() {
        strata.push(measure_stratum(
            &mut session,
            &stratum,
            reps,
            config.bootstrap,
            progress,
        )?);
    }
    Ok(RunFile {
        schema: current_schema(),
        created: clock::now_rfc3339(),
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
        exact: Vec::new(),
    })
}
