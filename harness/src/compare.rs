//! The A/B driver as a library: [`drive`] takes a typed [`CompareJob`] and
//! returns a [`CompareOutcome`]. `harness compare` builds the job from its
//! flags; `cargo xtask bench-compare` builds the two binaries and the same
//! job, and calls [`drive`] directly.
//!
//! It runs the rounds in several independent process pairs (the gate's
//! `[replication]`): each pair is two fresh resident `harness serve`
//! processes pinned to the same cores, with their own environment size
//! (stack offset), heap offset and hash seed, and a layout variant of each
//! side's binary (variant `k mod layouts`); in each pair it runs warm-up
//! and measured ABBA rounds per stratum ([`crate::interleave`]), an equal
//! share of the rounds. While a gated metric is inconclusive (up to the
//! gate's cap, [`more_rounds`]) it adds a process pair that runs the
//! inconclusive strata's extra rounds, and finally writes
//! `compare.json`, the raw `input.json`, and every rendered output
//! (`comment.md`, `report.html`) through the report layer's fan-out.
//!
//! Invariants: both sides must describe one machine (unless forced) and
//! one set of corpora; each side's findings may not vary between
//! iterations ([`side_findings`]); the statistics see only the rounds, as
//! a [`CompareInput`] the analysis layer turns into the file.

use crate::cli::{CompareOptions, PlacementArgs};
use crate::clock;
use crate::interleave::{Progress, Servers, StratumRounds};
use crate::serve::{Client, ClientError, Hello};
use crate::{affinity, environment};
use harness_analysis::compare::{CompareError, analyze, more_rounds, pair_micro};
use harness_analysis::rng::SplitMix64;
use harness_model::calibration::{CalibrationSummary, read_calibration};
use harness_model::compare::{
    CompareFile, CompareInput, ExactPair, Findings, MethodInput, ProcessPair, Revision, Round,
    Side, StratumPairs, write_compare,
};
use harness_model::environment::Environment;
use harness_model::gate::{Gate, GateError};
use harness_model::protocol::Sample;
use harness_model::results::read_run;
use harness_model::{DocumentError, WorkloadId};
use harness_report::{Output, Reports};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Contaminated rounds measured again per stratum before they are kept.
pub const MAX_RERUNS: usize = 5;

/// Environment variable carrying a process pair's heap offset (bytes) to
/// `harness serve`, which allocates and keeps that much first.
pub const HEAP_OFFSET_ENV: &str = "HARNESS_HEAP_OFFSET";

/// Environment variable whose length (a run of `x`) moves a process pair's
/// initial stack.
pub const ENV_PAD_ENV: &str = "HARNESS_ENV_PAD";

/// One side of a compare: its harness binary, what revision it is, and
/// (optionally) its `harness micro --out` file of gungraun results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideJob {
    pub bin: PathBuf,
    pub revision: Revision,
    pub micro: Option<PathBuf>,
    /// Relinked variants of `bin` (other link orders); process pair `k`
    /// runs `[bin, layouts...][k mod (1 + layouts.len())]`.
    #[serde(default)]
    pub layouts: Vec<PathBuf>,
    /// Calibration only: `harness serve --inject-slowdown` for this side.
    #[serde(default)]
    pub inject: Option<f64>,
}

impl SideJob {
    fn variants(&self) -> Vec<&Path> {
        std::iter::once(self.bin.as_path())
            .chain(self.layouts.iter().map(PathBuf::as_path))
            .collect()
    }
}

/// Everything a compare needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareJob {
    pub base: SideJob,
    pub head: SideJob,
    pub options: CompareOptions,
    /// Output folder.
    pub out: PathBuf,
    /// Exact end-to-end figures both sides' builds produced (xtask makes
    /// them under callgrind before the rounds).
    #[serde(default)]
    pub exact: Vec<ExactPair>,
    /// Folder of `calibration.json` files; the one matching this machine's
    /// fingerprint is quoted in the outputs.
    #[serde(default)]
    pub calibrations: Option<PathBuf>,
    /// Overrides the gate's `[replication] processes` (calibration runs).
    #[serde(default)]
    pub processes: Option<usize>,
}

/// What a finished compare decided and wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareOutcome {
    pub file: CompareFile,
    /// Every file written into the output folder.
    pub written: Vec<PathBuf>,
    /// The PR comment's summary line.
    pub summary: String,
    pub seconds: f64,
}

/// Why a compare could not finish (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error("{0}")]
    Config(String),
    #[error("{} binary {}: {source}", side.as_str(), path.display())]
    Binary {
        side: Side,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Server(#[from] ClientError),
    #[error("the two sides' environments differ ({0}); pass --force to compare anyway")]
    Environments(String),
    #[error("the two sides loaded different corpora: base {base}, head {head}")]
    Corpora { base: String, head: String },
    #[error(
        "the {} side's findings on {stratum} changed between iterations: the scanner is not deterministic",
        side.as_str()
    )]
    Nondeterministic { side: Side, stratum: WorkloadId },
    #[error("reading micro results: {0}")]
    Micro(DocumentError),
    #[error(transparent)]
    Analysis(#[from] CompareError),
    #[error("writing the outputs: {0}")]
    Write(String),
    #[error("{path}: not a compare's input.json: {reason}")]
    Input { path: PathBuf, reason: String },
}

/// Both servers' greetings must describe one machine and one set of
/// corpora; returns the environment differences that `force` let through.
fn check_sides(base: &Hello, head: &Hello, force: bool) -> Result<Vec<String>, DriveError> {
    let mismatches = base.environment.mismatches(&head.environment);
    if !mismatches.is_empty() && !force {
        return Err(DriveError::Environments(mismatches.join("; ")));
    }
    if base.corpora != head.corpora {
        return Err(DriveError::Corpora {
            base: format!("{:?}", base.corpora),
            head: format!("{:?}", head.corpora),
        });
    }
    Ok(mismatches)
}

/// The cores both sides are pinned to (empty: unpinned).
fn cores(placement: &PlacementArgs) -> Result<Vec<usize>, DriveError> {
    if placement.unpinned {
        return Ok(Vec::new());
    }
    if let Some(list) = &placement.pin {
        return Ok(list.0.clone());
    }
    let available = affinity::available();
    if available.len() < placement.threads {
        return Err(DriveError::Config(format!(
            "--threads {} needs {} cores to pin both sides to, only {available:?} are available (pass --pin or --unpinned)",
            placement.threads, placement.threads
        )));
    }
    Ok(available[..placement.threads].to_vec())
}

/// The `harness serve` command line of both sides. This is the one argv
/// the driver writes: it crosses into another revision's binary, whose
/// only stable interface is its flags.
fn server_args(job: &CompareJob, cores: &[usize], repos: &[String]) -> Vec<String> {
    let mut v = vec![
        "--strata".to_string(),
        job.options.corpora.strata.to_string(),
        "--threads".into(),
        job.options.placement.threads.to_string(),
    ];
    if job.options.placement.unpinned {
        v.push("--unpinned".into());
    } else {
        let list: Vec<String> = cores.iter().map(ToString::to_string).collect();
        v.extend(["--pin".to_string(), list.join(",")]);
    }
    v.extend([
        "--trust-corpora".into(),
        "--corpora".into(),
        job.options.corpora.root().display().to_string(),
    ]);
    if job.options.corpora.test_size {
        v.push("--test-size".into());
    }
    // Only the workloads this machine has; an older revision without
    // `--workloads` then still serves the strata.
    if !repos.is_empty() {
        v.extend([
            "--workloads".into(),
            repos.join(","),
            "--workloads-file".into(),
            job.options.corpora.workloads_file().display().to_string(),
        ]);
    }
    v
}

fn absolute(side: Side, p: &Path) -> Result<PathBuf, DriveError> {
    std::fs::canonicalize(p).map_err(|source| DriveError::Binary {
        side,
        path: p.to_owned(),
        source,
    })
}

/// One process pair's randomization, drawn from the compare's generator.
fn draw_pair(rng: &mut SplitMix64, index: usize, layouts: usize) -> ProcessPair {
    ProcessPair {
        index,
        layout: index % layouts.max(1),
        // Up to 4 KiB of environment: the initial stack moves by as much,
        // across a page, as varying `$PWD` or `$USER` lengths would.
        env_pad: rng.index(4096),
        // Up to 64 KiB, 16-byte steps: below the allocator's mmap
        // threshold, so it shifts the heap rather than mapping apart.
        heap_offset: 16 * rng.index(4096),
        setup_seconds: 0.0,
    }
}

/// The calibration in `dir` whose machine fingerprint is `env`'s, newest
/// first; none when there is no folder or no match.
pub fn calibration_for(dir: &Path, env: &Environment) -> Option<CalibrationSummary> {
    let machine = env.machine();
    let mut found: Vec<CalibrationSummary> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| read_calibration(&p).ok())
        .map(|f| f.summary)
        .filter(|s| s.machine == machine)
        .collect();
    found.sort_by(|a, b| b.created.cmp(&a.created));
    found.into_iter().next()
}

/// What the rounds so far need from the next process pair: per stratum,
/// how many rounds.
type PairPlan = Vec<(usize, usize)>;

struct ProcessPairs<'a> {
    job: &'a CompareJob,
    sargs: Vec<String>,
    dir: PathBuf,
    rng: SplitMix64,
    layouts: usize,
    processes: Vec<ProcessPair>,
    warmup: usize,
    hello: Option<(Hello, Vec<String>)>,
}

impl ProcessPairs<'_> {
    /// Spawns a fresh process pair, warms it on every stratum it will
    /// measure and runs its share of rounds (`plan`).
    fn run(
        &mut self,
        all: &mut [StratumRounds],
        plan: &PairPlan,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), DriveError> {
        let index = self.processes.len();
        let mut pair = draw_pair(&mut self.rng, index, self.layouts);
        let started = Instant::now();
        let env = vec![
            (ENV_PAD_ENV.to_string(), "x".repeat(pair.env_pad)),
            (HEAP_OFFSET_ENV.to_string(), pair.heap_offset.to_string()),
        ];
        let spawn = |side: Side, job: &SideJob| -> Result<Client, DriveError> {
            let bin = absolute(side, job.variants()[pair.layout])?;
            let mut args = self.sargs.clone();
            if let Some(share) = job.inject {
                args.extend(["--inject-slowdown".to_string(), share.to_string()]);
            }
            Ok(Client::spawn(side.as_str(), &bin, &self.dir, &args, &env)?)
        };
        let mut servers = Servers {
            base: spawn(Side::Base, &self.job.base)?,
            head: spawn(Side::Head, &self.job.head)?,
        };
        let base_hello = servers.base.hello()?;
        let head_hello = servers.head.hello()?;
        let forced = check_sides(&base_hello, &head_hello, self.job.options.gate.force)?;
        if self.hello.is_none() {
            eprintln!(
                "compare: both sides ready, {}, counters {}",
                if self.job.options.placement.unpinned {
                    "unpinned".to_string()
                } else {
                    format!("pinned to cores {:?}", base_hello.environment.pinned_cores)
                },
                base_hello.counter_source
            );
            self.hello = Some((base_hello, forced));
        }
        for &(k, _) in plan {
            all[k].process = index;
            all[k].warm(&mut servers, self.warmup, progress)?;
        }
        pair.setup_seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "compare: process pair {} (layout {}, env pad {}, heap offset {}) ready in {:.1} s",
            index + 1,
            pair.layout,
            pair.env_pad,
            pair.heap_offset,
            pair.setup_seconds
        );
        for &(k, n) in plan {
            all[k].extend(&mut servers, n, progress)?;
        }
        servers.base.finish()?;
        servers.head.finish()?;
        self.processes.push(pair);
        Ok(())
    }
}

/// Runs the compare `job` describes, writes its outputs and returns the
/// outcome (whose `file.exit_code` is the gate's exit code).
pub fn drive(job: &CompareJob) -> Result<CompareOutcome, DriveError> {
    let started = Instant::now();
    let gate = Gate::read(&job.options.gate.gate)?;
    let (repos, skipped) = job
        .options
        .corpora
        .repos()
        .map_err(|e| DriveError::Config(e.to_string()))?;
    for s in &skipped {
        eprintln!("compare: workload {} skipped: {}", s.name, s.reason);
    }
    let workloads: Vec<WorkloadId> = job
        .options
        .corpora
        .strata
        .0
        .iter()
        .map(|&s| WorkloadId::from(s))
        .chain(repos.iter().map(|r| r.id.clone()))
        .collect();
    let cores = cores(&job.options.placement)?;
    let dir = std::env::current_dir()
        .map_err(|e| DriveError::Config(format!("reading the current folder: {e}")))?;
    let present: Vec<String> = repos.iter().map(|r| r.id.to_string()).collect();
    let processes = job.processes.unwrap_or(gate.replication.processes).max(1);
    let layouts = gate
        .replication
        .layouts
        .min(job.base.variants().len())
        .min(job.head.variants().len());
    // The generator's seed is the clock's: the randomization differs from
    // compare to compare, as between-process variance is meant to, and
    // each pair's draw is recorded in the file.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut pairs = ProcessPairs {
        job,
        sargs: server_args(job, &cores, &present),
        dir,
        rng: SplitMix64::new(seed),
        layouts,
        processes: Vec::new(),
        warmup: gate.rounds.warmup,
        hello: None,
    };

    let mut all: Vec<StratumRounds> = workloads
        .iter()
        .map(|w| StratumRounds::new(w.clone(), MAX_RERUNS))
        .collect();
    let mut progress = |p: Progress| match p {
        Progress::Warmup { .. } => {}
        Progress::Round {
            stratum,
            index,
            ratio,
            rerun,
        } => {
            if rerun || (index + 1) % 10 == 0 {
                eprintln!(
                    "compare: {:>6} round {:>4}  head/base wall {:.4}{}",
                    stratum,
                    index + 1,
                    ratio,
                    if rerun { "  (contaminated: again)" } else { "" }
                );
            }
        }
    };
    // Each stratum's initial rounds, split evenly over the process pairs
    // (the first pairs take the remainder).
    let initial: Vec<usize> = all
        .iter()
        .map(|r| {
            let caps = gate.rounds.caps(&r.stratum);
            // `--rounds` replaces the unscaled initial count; the stratum's
            // scale still applies.
            job.options.gate.rounds.map_or(caps.initial, |n| {
                n * (caps.initial / gate.rounds.initial.max(1)).max(1)
            })
        })
        .collect();
    for p in 0..processes {
        let plan: PairPlan = initial
            .iter()
            .enumerate()
            .map(|(k, &n)| (k, n / processes + usize::from(p < n % processes)))
            .filter(|&(_, n)| n > 0)
            .collect();
        pairs.run(&mut all, &plan, &mut progress)?;
    }
    let micro = match (&job.base.micro, &job.head.micro) {
        (Some(b), Some(h)) => {
            let read = |p: &Path| read_run(p).map(|r| r.micro).map_err(DriveError::Micro);
            let pairing = pair_micro(&read(b)?, &read(h)?);
            for (side, id) in &pairing.unpaired {
                eprintln!("compare: micro {id} only on the {side} side: not compared");
            }
            pairing.pairs
        }
        _ => Vec::new(),
    };
    let Some((base_hello, forced)) = pairs.hello.clone() else {
        return Err(DriveError::Config("no process pair ran".into()));
    };
    let calibration = job
        .calibrations
        .as_deref()
        .and_then(|d| calibration_for(d, &base_hello.environment));
    let mut extensions = 0;
    let (input, file) = loop {
        let input = CompareInput {
            created: clock::now_rfc3339(),
            base: job.base.revision.clone(),
            head: job.head.revision.clone(),
            environment: base_hello.environment.clone(),
            method: MethodInput {
                warmup_rounds: gate.rounds.warmup,
                threads: job.options.placement.threads,
                extensions,
                allow_findings_change: job.options.gate.allow_findings_change,
            },
            findings: findings(&all)?,
            strata: rounds_of(&all),
            micro: micro.clone(),
            processes: pairs.processes.clone(),
            exact: job.exact.clone(),
            calibration: calibration.clone(),
        };
        let file = analyze(&input, &gate)?;
        let more = more_rounds(&file, &gate);
        if more.is_empty() {
            break (input, file);
        }
        extensions += 1;
        // More process pairs, not only more rounds: where the interval is
        // wide because pairs differ, only new pairs narrow it.
        let mut plan = PairPlan::new();
        for (stratum, n) in more {
            if let Some(k) = all.iter().position(|r| r.stratum == stratum) {
                eprintln!(
                    "compare: {stratum} is inconclusive after {} rounds in {} process pairs: {n} more in a new pair",
                    all[k].rounds.len(),
                    pairs.processes.len()
                );
                plan.push((k, n));
            }
        }
        pairs.run(&mut all, &plan, &mut progress)?;
    };
    if !forced.is_empty() {
        eprintln!(
            "compare: warning: environments differ (forced): {}",
            forced.join("; ")
        );
    }
    let (written, summary) = write_outputs(&job.out, &input, &file)?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "compare: {} in {seconds:.0} s; outputs in {}",
        file.outcome.label(),
        job.out.display()
    );
    Ok(CompareOutcome {
        file,
        written,
        summary,
        seconds,
    })
}

/// Both sides' findings over every round so far.
fn findings(all: &[StratumRounds]) -> Result<Findings, DriveError> {
    let samples = |side: Side| {
        all.iter().flat_map(move |r| {
            r.rounds.iter().map(move |p| {
                (
                    r.stratum.clone(),
                    match side {
                        Side::Base => &p.base,
                        Side::Head => &p.head,
                    },
                )
            })
        })
    };
    let base = side_findings(Side::Base, samples(Side::Base))?;
    let head = side_findings(Side::Head, samples(Side::Head))?;
    for (side, f) in [(Side::Base, &base), (Side::Head, &head)] {
        for (stratum, diff) in &f.truth_diffs {
            eprintln!(
                "compare: the {side} side's findings on {stratum} differ from the ground truth: {diff}"
            );
        }
    }
    Ok(Findings {
        base_digest: base.digest,
        head_digest: head.digest,
        base_count: base.count,
        head_count: head.count,
    })
}

/// The rounds so far, as the analysis takes them.
fn rounds_of(all: &[StratumRounds]) -> Vec<StratumPairs> {
    all.iter()
        .map(|r| StratumPairs {
            stratum: r.stratum.clone(),
            bytes: r.rounds.first().map_or(0, |p| p.base.bytes),
            rounds: r
                .rounds
                .iter()
                .map(|p| Round {
                    index: p.index,
                    process: p.process,
                    base_first: p.base_first,
                    base: p.base.iteration.clone(),
                    head: p.head.iteration.clone(),
                })
                .collect(),
        })
        .collect()
}

/// One side's findings over all its samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideFindings {
    /// SHA-256 over every stratum's findings digest, in stratum order.
    pub digest: String,
    pub count: u64,
    /// Strata whose findings differ from the ground truth, and how.
    pub truth_diffs: Vec<(WorkloadId, String)>,
}

/// One side's findings over every round: they must not vary within a
/// side. The digest covers every stratum's findings, in stratum order.
pub fn side_findings<'a>(
    side: Side,
    samples: impl Iterator<Item = (WorkloadId, &'a Sample)>,
) -> Result<SideFindings, DriveError> {
    let mut seen: Vec<(WorkloadId, &str, u64)> = Vec::new();
    let mut truth_diffs = Vec::new();
    for (stratum, s) in samples {
        match seen.iter().find(|(st, _, _)| *st == stratum) {
            Some((_, d, _)) if *d != s.findings_digest => {
                return Err(DriveError::Nondeterministic { side, stratum });
            }
            Some(_) => {}
            None => {
                if let Some(diff) = &s.truth_diff {
                    truth_diffs.push((stratum.clone(), diff.clone()));
                }
                seen.push((stratum, &s.findings_digest, s.findings));
            }
        }
    }
    let mut hasher = Sha256::new();
    for (stratum, digest, _) in &seen {
        hasher.update(stratum.as_str().as_bytes());
        hasher.update(b" ");
        hasher.update(digest.as_bytes());
        hasher.update(b"\n");
    }
    Ok(SideFindings {
        digest: hex::encode(hasher.finalize()),
        count: seen.iter().map(|(_, _, n)| n).sum(),
        truth_diffs,
    })
}

/// `harness rejudge`: the analysis of a compare's recorded rounds (`input`,
/// its `input.json`) run again under `gate`, and every output written into
/// `out`; no process runs. What the same rounds say under another gate or
/// a newer analysis (with one caveat the caller must state: a compare
/// stops adding rounds once its verdict stands, so rounds a different
/// verdict would have asked for are not there). Returns the new file and
/// the comment's summary line.
pub fn rejudge(input: &Path, gate: &Gate, out: &Path) -> Result<(CompareFile, String), DriveError> {
    let bad = |reason: String| DriveError::Input {
        path: input.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(input).map_err(|e| bad(e.to_string()))?;
    let recorded: CompareInput = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let file = analyze(&recorded, gate)?;
    let (_, summary) = write_outputs(out, &recorded, &file)?;
    Ok((file, summary))
}

/// compare.json, the raw input (input.json, from which the same analysis
/// can be run again), and every rendered output; returns the files written
/// and the comment's summary line.
fn write_outputs(
    out: &Path,
    input: &CompareInput,
    file: &CompareFile,
) -> Result<(Vec<PathBuf>, String), DriveError> {
    let write = |e: String| DriveError::Write(e);
    std::fs::create_dir_all(out).map_err(|e| write(format!("{}: {e}", out.display())))?;
    let raw = serde_json::to_string(input).map_err(|e| write(format!("the rounds: {e}")))?;
    let input_path = out.join("input.json");
    std::fs::write(&input_path, raw)
        .map_err(|e| write(format!("{}: {e}", input_path.display())))?;
    let compare_path = out.join("compare.json");
    write_compare(file, &compare_path).map_err(|e| write(e.to_string()))?;
    let rendered = Reports::of(&[Output::Comment, Output::Html])
        .write_compare(file, out)
        .map_err(|e| write(e.to_string()))?;
    let summary = rendered
        .iter()
        .find(|(_, r)| r.output == Output::Comment)
        .and_then(|(_, r)| r.text.lines().next())
        .map(|l| {
            l.strip_prefix(harness_report::comment::MARKER)
                .unwrap_or(l)
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let mut written = vec![input_path, compare_path];
    written.extend(rendered.into_iter().map(|(p, _)| p));
    Ok((written, summary))
}

/// The working tree's revision as a compare side (`git` state of `dir`).
pub fn working_tree_revision(rev: &str, dir: &Path) -> Revision {
    let (sha, dirty) = environment::git_state(dir);
    Revision {
        rev: rev.to_string(),
        commit: sha.unwrap_or_default(),
        dirty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::Stratum;
    use harness_model::contamination::{Noise, Verdict};
    use harness_model::results::Iteration;

    fn sample(digest: &str, findings: u64, truth_diff: Option<&str>) -> Sample {
        Sample {
            iteration: Iteration {
                wall_ns: 1,
                cpu_ns: 1,
                cycles: 1,
                instructions: None,
                allocations: None,
                allocated_bytes: None,
                peak_rss_bytes: None,
                peak_heap_bytes: None,
                rss_anon_peak_bytes: None,
                rss_file_peak_bytes: None,
                noise: Noise::default(),
                verdict: Verdict::Clean,
                counted: true,
                stages: Vec::new(),
            },
            bytes: 10,
            blobs: 1,
            findings,
            findings_digest: digest.into(),
            truth_diff: truth_diff.map(Into::into),
        }
    }

    #[test]
    fn findings_digest_covers_every_stratum_once() {
        let a = sample("aa", 3, None);
        let b = sample("bb", 4, Some("1 missing"));
        let f = side_findings(
            Side::Base,
            [
                (Stratum::Small.into(), &a),
                (Stratum::Medium.into(), &b),
                (Stratum::Small.into(), &a),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(f.count, 7);
        assert_eq!(
            f.truth_diffs,
            vec![(Stratum::Medium.into(), "1 missing".to_string())]
        );
        // Order of strata matters, repetition does not.
        let g = side_findings(
            Side::Base,
            [(Stratum::Small.into(), &a), (Stratum::Medium.into(), &b)].into_iter(),
        )
        .unwrap();
        assert_eq!(f.digest, g.digest);
        let h = side_findings(
            Side::Base,
            [(Stratum::Medium.into(), &b), (Stratum::Small.into(), &a)].into_iter(),
        )
        .unwrap();
        assert_ne!(f.digest, h.digest);
    }

    #[test]
    fn findings_that_vary_within_a_side_are_an_error() {
        let a = sample("aa", 3, None);
        let b = sample("ab", 3, None);
        let err = side_findings(
            Side::Head,
            [(Stratum::Large.into(), &a), (Stratum::Large.into(), &b)].into_iter(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("head side's findings on large changed"),
            "{err}"
        );
    }

    #[test]
    fn the_serve_command_line_carries_the_placement() {
        let mut job = CompareJob {
            base: SideJob {
                bin: "a".into(),
                revision: working_tree_revision("base", Path::new("/nonexistent")),
                micro: None,
                layouts: Vec::new(),
                inject: None,
            },
            head: SideJob {
                bin: "b".into(),
                revision: working_tree_revision("head", Path::new("/nonexistent")),
                micro: None,
                layouts: Vec::new(),
                inject: None,
            },
            options: CompareOptions {
                corpora: crate::cli::CorporaArgs::default(),
                placement: PlacementArgs::default(),
                gate: crate::cli::GateArgs {
                    gate: "perf-gate.toml".into(),
                    rounds: None,
                    allow_findings_change: false,
                    force: false,
                },
            },
            out: "out".into(),
            exact: Vec::new(),
            calibrations: None,
            processes: None,
        };
        job.options.corpora.corpora = Some("/c".into());
        let args = server_args(&job, &[0, 1], &[]);
        assert_eq!(
            args,
            [
                "--strata",
                "small,medium,large",
                "--threads",
                "2",
                "--pin",
                "0,1",
                "--trust-corpora",
                "--corpora",
                "/c"
            ]
        );
        job.options.placement.unpinned = true;
        job.options.corpora.test_size = true;
        let args = server_args(&job, &[], &["rg".to_string()]);
        assert!(args.contains(&"--unpinned".to_string()));
        assert!(args.contains(&"--test-size".to_string()));
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--workloads" && w[1] == "rg")
        );
    }
}
