//! The flags the `harness` binary and `cargo xtask` share, declared once:
//! one flattened argument struct per concern ([`CorporaArgs`] what to
//! measure, [`PlacementArgs`] where, [`GateArgs`] how a compare decides),
//! composed by `run`, `serve` and `compare` with clap's `flatten`. Each is
//! also a serde document, so xtask hands the release binary a typed job
//! file ([`RunArgs`] for `harness run --job`) instead of an argv it would
//! have to re-serialize, and calls the compare driver as a library with a
//! `CompareJob` built from the same structs.

use crate::affinity;
use crate::counters::CounterSource;
use crate::scan_session::{Config, Pinning, SessionConfig};
use harness_model::Stratum;
use harness_model::contamination::Thresholds;
use harness_model::workload::{RepoWorkload, Skipped, WorkloadError, WorkloadsFile};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A `--strata` list (`small,medium`): parsed once, by
/// [`Stratum::parse_list`], wherever the flag appears.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StrataList(pub Vec<Stratum>);

impl std::str::FromStr for StrataList {
    type Err = String;
    /// `none` selects no stratum (measure only `--workloads`).
    fn from_str(s: &str) -> Result<StrataList, String> {
        if s.trim() == "none" {
            return Ok(StrataList(Vec::new()));
        }
        Stratum::parse_list(s).map(StrataList)
    }
}

impl std::fmt::Display for StrataList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&Stratum::join(&self.0))
    }
}

impl Default for StrataList {
    fn default() -> StrataList {
        StrataList(Stratum::all().to_vec())
    }
}

/// A `--pin` core list (`0,1`, `0-3`), parsed by [`affinity::parse_cores`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CoreList(pub Vec<usize>);

impl std::str::FromStr for CoreList {
    type Err = String;
    fn from_str(s: &str) -> Result<CoreList, String> {
        affinity::parse_cores(s).map(CoreList)
    }
}

/// A `--workloads` list (`ripgrep,git`): names from the workloads file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NameList(pub Vec<String>);

impl std::str::FromStr for NameList {
    type Err = String;
    fn from_str(s: &str) -> Result<NameList, String> {
        let names: Vec<String> = s
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        if names.is_empty() {
            return Err("no workloads given".into());
        }
        Ok(NameList(names))
    }
}

impl std::fmt::Display for NameList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

/// The committed workloads file.
pub fn default_workloads_file() -> PathBuf {
    crate::environment::source_dir()
        .join("harness")
        .join("workloads.toml")
}

/// What to measure: which strata, from which corpora folder, and which
/// real repositories from the workloads file.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct CorporaArgs {
    /// Comma-separated strata: small, medium, large (`none`: only the
    /// `--workloads`).
    #[arg(long, default_value = "small,medium,large")]
    pub strata: StrataList,
    /// Comma-separated real-repository workloads (names in the workloads
    /// file), measured after the strata.
    #[arg(long)]
    pub workloads: Option<NameList>,
    /// The workloads file (default: harness/workloads.toml).
    #[arg(long, value_name = "FILE")]
    pub workloads_file: Option<PathBuf>,
    /// Corpora folder (default: $SCANNER_CORPORA_DIR or target/corpora).
    #[arg(long)]
    pub corpora: Option<PathBuf>,
    /// Measure the small test variants of the strata (checks the harness
    /// itself; `cargo xtask corpora --test-size` builds them).
    #[arg(long)]
    pub test_size: bool,
}

impl CorporaArgs {
    pub fn root(&self) -> PathBuf {
        self.corpora.clone().unwrap_or_else(corpora::default_root)
    }

    /// The workloads file these flags name.
    pub fn workloads_file(&self) -> PathBuf {
        self.workloads_file
            .clone()
            .unwrap_or_else(default_workloads_file)
    }

    /// The `--workloads` repositories, resolved against the environment;
    /// optional ones this machine lacks are returned as skipped.
    pub fn repos(&self) -> Result<(Vec<RepoWorkload>, Vec<Skipped>), WorkloadError> {
        let Some(names) = &self.workloads else {
            return Ok((Vec::new(), Vec::new()));
        };
        WorkloadsFile::read(&self.workloads_file())?.resolve(&names.0, |v| std::env::var(v).ok())
    }
}

/// Where to run: worker threads and the cores they are pinned to.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct PlacementArgs {
    /// Scanner worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Cores to pin to, e.g. `0,1` or `0-3` (default: the first THREADS cores).
    #[arg(long, value_name = "CORES", conflicts_with = "unpinned")]
    pub pin: Option<CoreList>,
    /// Measure without pinning (noisier; recorded in the results).
    #[arg(long)]
    pub unpinned: bool,
}

impl Default for PlacementArgs {
    fn default() -> PlacementArgs {
        PlacementArgs {
            threads: 2,
            pin: None,
            unpinned: false,
        }
    }
}

impl PlacementArgs {
    pub fn pinning(&self) -> Pinning {
        match (self.unpinned, &self.pin) {
            (true, _) => Pinning::Unpinned,
            (false, Some(cores)) => Pinning::Cores(cores.0.clone()),
            (false, None) => Pinning::FirstCores,
        }
    }
}

/// `--counters`: `auto` or a forced source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterChoice {
    Auto,
    Forced(CounterSource),
}

impl std::str::FromStr for CounterChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<CounterChoice, String> {
        match s {
            "auto" => Ok(CounterChoice::Auto),
            other => other
                .parse::<CounterSource>()
                .map(CounterChoice::Forced)
                .map_err(|e| format!("{e} or auto")),
        }
    }
}

impl CounterChoice {
    pub fn forced(self) -> Option<CounterSource> {
        match self {
            CounterChoice::Auto => None,
            CounterChoice::Forced(s) => Some(s),
        }
    }
}

/// Where and how to measure: shared by `run` and `serve`.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct SessionArgs {
    #[command(flatten)]
    pub corpora: CorporaArgs,
    #[command(flatten)]
    pub placement: PlacementArgs,
    /// Counter source: auto, perf_event, tsc or monotonic.
    #[arg(long, default_value = "auto")]
    pub counters: CounterChoice,
}

impl Default for SessionArgs {
    fn default() -> SessionArgs {
        SessionArgs {
            corpora: CorporaArgs::default(),
            placement: PlacementArgs::default(),
            counters: CounterChoice::Auto,
        }
    }
}

impl SessionArgs {
    /// The session these flags open; `trust_manifest` for `serve`.
    pub fn session_config(
        &self,
        trust_manifest: bool,
    ) -> Result<(SessionConfig, Vec<Skipped>), WorkloadError> {
        let (repos, skipped) = self.corpora.repos()?;
        let config = SessionConfig {
            strata: self.corpora.strata.0.clone(),
            repos,
            threads: self.placement.threads,
            pinning: self.placement.pinning(),
            counters: self.counters.forced(),
            thresholds: Thresholds::default(),
            corpora_root: self.corpora.root(),
            test_size: self.corpora.test_size,
            trust_manifest,
        };
        Ok((config, skipped))
    }
}

/// `harness run`: the session plus how many iterations, and where to write.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct RunArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    /// Measured iterations per stratum (at least 10 for a real run).
    #[arg(long, default_value_t = 15)]
    pub iterations: usize,
    /// Discarded warm-up iterations per stratum.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Contaminated iterations re-run at most this many times per stratum.
    #[arg(long, default_value_t = 5)]
    pub max_reruns: usize,
    /// Results file (default: results/runs/<timestamp>-<sha>.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl Default for RunArgs {
    fn default() -> RunArgs {
        RunArgs {
            session: SessionArgs::default(),
            iterations: 15,
            warmup: 3,
            max_reruns: 5,
            out: None,
            quiet: false,
        }
    }
}

impl RunArgs {
    /// The run these flags describe, and the optional workloads skipped.
    pub fn config(&self) -> Result<(Config, Vec<Skipped>), WorkloadError> {
        let s = &self.session;
        let mut config = Config::new(s.corpora.root());
        config.strata = s.corpora.strata.0.clone();
        let (repos, skipped) = s.corpora.repos()?;
        config.repos = repos;
        config.iterations = self.iterations;
        config.warmup = self.warmup;
        config.threads = s.placement.threads;
        config.max_reruns = self.max_reruns;
        config.test_size = s.corpora.test_size;
        config.pinning = s.placement.pinning();
        config.counters = s.counters.forced();
        Ok((config, skipped))
    }

    /// Reads a job file written by xtask (`harness run --job FILE`).
    pub fn read_job(path: &std::path::Path) -> Result<RunArgs, JobError> {
        let text = std::fs::read_to_string(path).map_err(|source| JobError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| JobError::Parse {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Writes this as a job file for `harness run --job`.
    pub fn write_job(&self, path: &std::path::Path) -> Result<(), JobError> {
        let io = |source| JobError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| JobError::Parse {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(io)
    }
}

/// Why a job file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a harness job file: {reason}")]
    Parse { path: PathBuf, reason: String },
}

/// How an A/B compare decides: shared by `harness compare` and
/// `cargo xtask bench-compare`.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct GateArgs {
    /// The gate's configuration (thresholds, metrics, rounds).
    #[arg(long, default_value = "perf-gate.toml")]
    pub gate: PathBuf,
    /// Override the gate's initial number of rounds.
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Accept different findings on the two sides.
    #[arg(long)]
    pub allow_findings_change: bool,
    /// Compare even when the two sides' environments differ.
    #[arg(long)]
    pub force: bool,
}

/// Everything a compare's two sides share: what to measure, where, and how
/// the gate decides (`harness compare` and `cargo xtask bench-compare`).
#[derive(Clone, Debug, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct CompareOptions {
    #[command(flatten)]
    pub corpora: CorporaArgs,
    #[command(flatten)]
    pub placement: PlacementArgs,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn defaults_equal_an_empty_command_line() {
        let parsed = Probe::try_parse_from(["x"]).unwrap();
        assert_eq!(parsed.run, RunArgs::default());
    }

    #[test]
    fn flags_parse_once_and_name_bad_values() {
        let p = Probe::try_parse_from([
            "x",
            "--strata",
            "medium",
            "--pin",
            "0-1",
            "--counters",
            "tsc",
        ])
        .unwrap();
        assert_eq!(p.run.session.corpora.strata.0, vec![Stratum::Medium]);
        assert_eq!(p.run.session.placement.pin, Some(CoreList(vec![0, 1])));
        assert_eq!(
            p.run.session.counters,
            CounterChoice::Forced(CounterSource::Tsc)
        );
        let err = Probe::try_parse_from(["x", "--strata", "huge"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("huge"), "{err}");
        let err = Probe::try_parse_from(["x", "--counters", "pmu"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("pmu") && err.contains("auto"), "{err}");
    }

    #[test]
    fn a_job_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.json");
        let job = RunArgs {
            iterations: 3,
            out: Some(dir.path().join("out.json")),
            ..RunArgs::default()
        };
        job.write_job(&path).unwrap();
        assert_eq!(RunArgs::read_job(&path).unwrap(), job);
        std::fs::write(&path, "{").unwrap();
        let err = RunArgs::read_job(&path).unwrap_err().to_string();
        assert!(err.contains("not a harness job file"), "{err}");
    }
}

/// How to profile: `harness profile`'s and `cargo xtask profile`'s flags
/// beyond what to profile ([`CorporaArgs`]).
#[derive(Clone, Debug, PartialEq, clap::Args, Serialize, Deserialize)]
pub struct ProfileArgs {
    /// Sampled iterations (default: as many as fill --min-seconds).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// With no --iterations: sample at least this long (seconds).
    #[arg(long, default_value_t = 5.0)]
    pub min_seconds: f64,
    /// Unsampled warm-up iterations before sampling.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Samples per second of CPU time.
    #[arg(long, default_value_t = 997)]
    pub frequency: u32,
    /// Scanner threads of the sampled iterations (the callgrind scan uses one).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Skip the sampled profile.
    #[arg(long)]
    pub no_sampled: bool,
    /// Skip the exact (callgrind) profile.
    #[arg(long)]
    pub no_exact: bool,
    /// Run callgrind without its cache simulation (faster; no estimated cycles).
    #[arg(long)]
    pub no_cache_sim: bool,
}

impl Default for ProfileArgs {
    fn default() -> ProfileArgs {
        ProfileArgs {
            iterations: None,
            min_seconds: 5.0,
            warmup: 3,
            frequency: 997,
            threads: 2,
            no_sampled: false,
            no_exact: false,
            no_cache_sim: false,
        }
    }
}

impl ProfileArgs {
    /// What a cached profile must have been made with.
    pub fn config(&self, test_size: bool) -> harness_model::profile::ProfileConfig {
        harness_model::profile::ProfileConfig {
            test_size,
            sampled: !self.no_sampled,
            exact: !self.no_exact,
            cache_sim: !self.no_cache_sim,
            iterations: self.iterations.unwrap_or(0),
            frequency_hz: self.frequency,
        }
    }

    /// The flags again, for another revision's `harness profile`.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec![
            "--min-seconds".to_string(),
            self.min_seconds.to_string(),
            "--warmup".into(),
            self.warmup.to_string(),
            "--frequency".into(),
            self.frequency.to_string(),
            "--threads".into(),
            self.threads.to_string(),
        ];
        if let Some(n) = self.iterations {
            a.extend(["--iterations".to_string(), n.to_string()]);
        }
        for (on, flag) in [
            (self.no_sampled, "--no-sampled"),
            (self.no_exact, "--no-exact"),
            (self.no_cache_sim, "--no-cache-sim"),
        ] {
            if on {
                a.push(flag.into());
            }
        }
        a
    }
}

impl CorporaArgs {
    /// Every workload these flags select, as profiling targets.
    pub fn profile_targets(&self) -> Result<Vec<crate::profile::Target>, WorkloadError> {
        let mut targets: Vec<crate::profile::Target> = self
            .strata
            .0
            .iter()
            .map(|&stratum| crate::profile::Target::Stratum {
                stratum,
                corpora_root: self.root(),
                test_size: self.test_size,
            })
            .collect();
        let (repos, skipped) = self.repos()?;
        for s in skipped {
            eprintln!("harness: workload {} skipped: {}", s.name, s.reason);
        }
        targets.extend(
            repos
                .into_iter()
                .map(|workload| crate::profile::Target::Repo {
                    workload,
                    workloads_file: self.workloads_file(),
                }),
        );
        Ok(targets)
    }

    /// The corpora flags again (strata, folder, test size, workloads), for
    /// another revision's harness.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec![
            "--strata".to_string(),
            self.strata.to_string(),
            "--corpora".into(),
            self.root().to_string_lossy().into_owned(),
        ];
        if self.test_size {
            a.push("--test-size".into());
        }
        if let Some(w) = &self.workloads {
            a.extend(["--workloads".to_string(), w.to_string()]);
            a.extend([
                "--workloads-file".to_string(),
                self.workloads_file().to_string_lossy().into_owned(),
            ]);
        }
        a
    }
}
