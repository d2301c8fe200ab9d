//! Stage microbenchmarks: runs the two suites of `scanner/benches` and
//! folds their outputs into the model's typed [`MicroResult`]s.
//!
//! - criterion (`--bench stages`): wall time per iteration, from each
//!   benchmark's `sample.json` (`times[i] / iters[i]`, summarised by median
//!   and MAD), plus time per unit of work and throughput from the
//!   `throughput` of its `benchmark.json`. Advisory on a noisy machine.
//! - gungraun (`--bench stages_ir`): instructions (Ir) and estimated cycles
//!   under callgrind, from each benchmark's `summary.json` (schema version
//!   7). Deterministic: they gate at 2% without statistics.
//!
//! Parsing ([`parse_criterion`], [`parse_gungraun`]) is pure and tested on
//! outputs captured from real runs; [`run_suite`] runs `cargo bench` in a
//! given workspace (so it can measure another revision's worktree).

use harness_analysis::stats::{Samples, mad, median};
pub use harness_model::micro::{
    Instrument, MicroFigure, MicroMetric, MicroResult, MicroStage, Work,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// Why the suites could not be run or their output read.
#[derive(Debug, thiserror::Error)]
pub enum MicroError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("{tool} not found: {hint}")]
    MissingTool {
        tool: &'static str,
        hint: &'static str,
    },
    #[error("`{command}` in {workspace} failed ({status})")]
    Failed {
        command: String,
        workspace: PathBuf,
        status: std::process::ExitStatus,
    },
    #[error("no {instrument} results under {dir} from this run")]
    NoResults {
        instrument: &'static str,
        dir: PathBuf,
    },
}

fn parse_err(path: &Path, reason: impl Into<String>) -> MicroError {
    MicroError::Parse {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn split_id(id: &str, path: &Path) -> Result<MicroStage, MicroError> {
    let (stage, case) = id
        .split_once('/')
        .ok_or_else(|| parse_err(path, format!("benchmark id {id:?} is not <stage>/<case>")))?;
    if case.is_empty() {
        return Err(parse_err(path, format!("benchmark id {id:?} has no case")));
    }
    MicroStage::from_name(stage).ok_or_else(|| {
        parse_err(
            path,
            format!("benchmark id {id:?}: unknown stage {stage:?}"),
        )
    })
}

#[derive(Deserialize)]
struct CriterionBenchmark {
    full_id: String,
    throughput: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct CriterionSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// One criterion benchmark from the texts of its `benchmark.json` and
/// `sample.json` (`dir` names them in errors).
pub fn parse_criterion(
    benchmark: &str,
    sample: &str,
    dir: &Path,
) -> Result<MicroResult, MicroError> {
    let bpath = dir.join("benchmark.json");
    let spath = dir.join("sample.json");
    let b: CriterionBenchmark =
        serde_json::from_str(benchmark).map_err(|e| parse_err(&bpath, e.to_string()))?;
    let s: CriterionSample =
        serde_json::from_str(sample).map_err(|e| parse_err(&spath, e.to_string()))?;
    let stage = split_id(&b.full_id, &bpath)?;
    if s.iters.len() != s.times.len() {
        return Err(parse_err(
            &spath,
            format!(
                "{} iteration counts but {} times",
                s.iters.len(),
                s.times.len()
            ),
        ));
    }
    let mut per_iter = Vec::with_capacity(s.times.len());
    for (i, (&n, &t)) in s.iters.iter().zip(&s.times).enumerate() {
        if !n.is_finite() || n <= 0.0 || !t.is_finite() || t < 0.0 {
            return Err(parse_err(
                &spath,
                format!("sample {i}: {t} ns over {n} iterations"),
            ));
        }
        per_iter.push(t / n);
    }
    let samples = Samples::new(per_iter).map_err(|e| parse_err(&spath, e.to_string()))?;
    let work = match &b.throughput {
        None => None,
        Some(t) => {
            let (kind, amount) = t
                .iter()
                .next()
                .ok_or_else(|| parse_err(&bpath, "empty throughput"))?;
            let amount = amount.as_u64().filter(|&a| a > 0).ok_or_else(|| {
                parse_err(
                    &bpath,
                    format!("throughput {kind}: {amount} is not a positive integer"),
                )
            })?;
            let unit = match kind.as_str() {
                "Bytes" | "BytesDecimal" => "bytes",
                "Elements" | "ElementsAndBytes" => stage.element_unit(),
                other => {
                    return Err(parse_err(
                        &bpath,
                        format!("unknown throughput kind {other:?}"),
                    ));
                }
            };
            Some(Work {
                amount,
                unit: unit.to_string(),
            })
        }
    };
    let n = samples.len();
    let (med, dev) = (median(&samples), mad(&samples));
    let mut figures = vec![MicroFigure {
        metric: MicroMetric::TimePerIteration,
        unit: MicroMetric::TimePerIteration.unit(""),
        value: med,
        mad: Some(dev),
        samples: Some(n),
    }];
    if let Some(w) = &work {
        let a = w.amount as f64;
        figures.push(MicroFigure {
            metric: MicroMetric::TimePerUnit,
            unit: MicroMetric::TimePerUnit.unit(&w.unit),
            value: med / a,
            mad: Some(dev / a),
            samples: Some(n),
        });
        if med > 0.0 {
            figures.push(MicroFigure {
                metric: MicroMetric::Throughput,
                unit: MicroMetric::Throughput.unit(&w.unit),
                value: a * 1e9 / med,
                mad: None,
                samples: Some(n),
            });
        }
    }
    Ok(MicroResult {
        id: b.full_id,
        stage,
        instrument: Instrument::Criterion,
        work,
        figures,
    })
}

/// One gungraun benchmark from the text of its `summary.json`.
pub fn parse_gungraun(text: &str, path: &Path) -> Result<MicroResult, MicroError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| parse_err(path, e.to_string()))?;
    let version = v.get("version").and_then(|x| x.as_str());
    if version != Some("7") {
        return Err(parse_err(
            path,
            format!("gungraun summary version {version:?}, this harness reads version \"7\""),
        ));
    }
    let function = v
        .get("function_name")
        .and_then(|x| x.as_str())
        .ok_or_else(|| parse_err(path, "no function_name"))?;
    let case = v
        .get("id")
        .and_then(|x| x.as_str())
        .ok_or_else(|| parse_err(path, "no benchmark id (every bench needs #[bench::<case>])"))?;
    let id = format!("{function}/{case}");
    let stage = split_id(&id, path)?;
    let total = callgrind_total(&v).ok_or_else(|| parse_err(path, "no callgrind totals"))?;
    let metric = |name: &str| -> Result<f64, MicroError> {
        total
            .get(name)
            .and_then(new_value)
            .ok_or_else(|| parse_err(path, format!("no callgrind {name} in the totals")))
    };
    let figures = vec![
        MicroFigure {
            metric: MicroMetric::Instructions,
            unit: MicroMetric::Instructions.unit(""),
            value: metric("Ir")?,
            mad: None,
            samples: None,
        },
        MicroFigure {
            metric: MicroMetric::EstimatedCycles,
            unit: MicroMetric::EstimatedCycles.unit(""),
            value: metric("EstimatedCycles")?,
            mad: None,
            samples: None,
        },
    ];
    Ok(MicroResult {
        id,
        stage,
        instrument: Instrument::Gungraun,
        work: None,
        figures,
    })
}

/// The callgrind totals of a summary: `data.total.metrics` of the profile
/// whose tool is `Callgrind` (`{"Ir": {"values": {"new": …}}, …}`).
fn callgrind_total(v: &serde_json::Value) -> Option<&serde_json::Map<String, serde_json::Value>> {
    let profiles = v.get("profiles")?.as_array()?;
    let callgrind = profiles
        .iter()
        .find(|p| p.get("tool").and_then(|t| t.as_str()) == Some("Callgrind"))?;
    callgrind
        .get("data")?
        .get("total")?
        .get("metrics")?
        .as_object()
}

/// This run's value of one metric (`{"values": {"new": 123, "old": …}}`).
fn new_value(m: &serde_json::Value) -> Option<f64> {
    m.get("values")?.get("new")?.as_f64()
}

/// Gives gungraun results the work of the criterion result with the same
/// id (both suites build the same inputs) and adds the per-unit figure.
pub fn attach_work(gungraun: &mut [MicroResult], criterion: &[MicroResult]) {
    for g in gungraun.iter_mut() {
        let Some(w) = criterion
            .iter()
            .find(|c| c.id == g.id)
            .and_then(|c| c.work.clone())
        else {
            continue;
        };
        if let Some(cycles) = g.figure(MicroMetric::EstimatedCycles).map(|f| f.value) {
            let metric = MicroMetric::EstimatedCyclesPerUnit;
            g.figures.retain(|f| f.metric != metric);
            g.figures.push(MicroFigure {
                metric,
                unit: metric.unit(&w.unit),
                value: cycles / w.amount as f64,
                mad: None,
                samples: None,
            });
        }
        g.work = Some(w);
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> MicroError + '_ {
    move |source| MicroError::Io {
        path: path.to_owned(),
        source,
    }
}

fn modified_since(path: &Path, since: Option<SystemTime>) -> Result<bool, MicroError> {
    let Some(since) = since else {
        return Ok(true);
    };
    let m = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(io_err(path))?;
    Ok(m >= since)
}

/// Files named `name` under `dir`, recursively, sorted.
fn find_files(dir: &Path, name: &str, out: &mut Vec<PathBuf>) -> Result<(), MicroError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for e in rd {
        let e = e.map_err(io_err(dir))?;
        let p = e.path();
        if e.file_type().map_err(io_err(&p))?.is_dir() {
            find_files(&p, name, out)?;
        } else if p.file_name().is_some_and(|n| n == name) {
            out.push(p);
        }
    }
    out.sort();
    Ok(())
}

fn read(path: &Path) -> Result<String, MicroError> {
    std::fs::read_to_string(path).map_err(io_err(path))
}

/// Criterion results under `root` (`target/criterion`): every
/// `<id>/new/` whose samples were written at or after `since`.
pub fn criterion_results(
    root: &Path,
    since: Option<SystemTime>,
) -> Result<Vec<MicroResult>, MicroError> {
    let mut files = Vec::new();
    find_files(root, "benchmark.json", &mut files)?;
    let mut out = Vec::new();
    for b in files {
        let Some(dir) = b.parent().filter(|d| d.ends_with("new")) else {
            continue;
        };
        let sample = dir.join("sample.json");
        if !modified_since(&sample, since)? {
            continue;
        }
        out.push(parse_criterion(&read(&b)?, &read(&sample)?, dir)?);
    }
    sort(&mut out);
    Ok(out)
}

/// Gungraun results under `root` (`target/gungraun`): every
/// `summary.json` written at or after `since`.
pub fn gungraun_results(
    root: &Path,
    since: Option<SystemTime>,
) -> Result<Vec<MicroResult>, MicroError> {
    let mut files = Vec::new();
    find_files(root, "summary.json", &mut files)?;
    let mut out = Vec::new();
    for f in files {
        if modified_since(&f, since)? {
            out.push(parse_gungraun(&read(&f)?, &f)?);
        }
    }
    sort(&mut out);
    Ok(out)
}

pub fn sort(results: &mut [MicroResult]) {
    results.sort_by(|a, b| (a.stage, &a.id, a.instrument).cmp(&(b.stage, &b.id, b.instrument)));
}

/// The cargo target directory of `workspace`: `$CARGO_TARGET_DIR` or
/// `<workspace>/target`.
pub fn target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from)
}

/// Whether `tool` is an executable file in a `$PATH` directory.
fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p)
            .any(|d| std::fs::metadata(d.join(tool)).is_ok_and(|m| m.is_file()))
    })
}

/// Checks that what `instrument`'s suite needs is installed.
pub fn check_tools(instrument: Instrument) -> Result<(), MicroError> {
    let cargo = std::env::var_os("CARGO").is_some() || on_path("cargo");
    if !cargo {
        return Err(MicroError::MissingTool {
            tool: "cargo",
            hint: "install the Rust toolchain (rustup)",
        });
    }
    match instrument {
        Instrument::Criterion => Ok(()),
        Instrument::Gungraun => {
            if !on_path("valgrind") {
                return Err(MicroError::MissingTool {
                    tool: "valgrind",
                    hint: "run scripts/setup.sh (installs it with apt-get)",
                });
            }
            if std::env::var_os("GUNGRAUN_RUNNER").is_none() && !on_path("gungraun-runner") {
                return Err(MicroError::MissingTool {
                    tool: "gungraun-runner",
                    hint: "run scripts/setup.sh (cargo install gungraun-runner --version 0.20.0 --locked)",
                });
            }
            Ok(())
        }
    }
}

/// Extra arguments after `--` for a suite; `quick` shortens criterion's
/// warm-up and measurement (gungraun runs each benchmark once anyway).
pub fn suite_args(instrument: Instrument, quick: bool) -> Vec<String> {
    let args: &[&str] = match (instrument, quick) {
        (Instrument::Criterion, false) => &["--noplot"],
        (Instrument::Criterion, true) => &[
            "--noplot",
            "--warm-up-time",
            "0.2",
            "--measurement-time",
            "0.5",
            "--sample-size",
            "10",
        ],
        (Instrument::Gungraun, _) => &["--save-summary=json"],
    };
    args.iter().map(|s| s.to_string()).collect()
}

/// Runs one suite with `cargo bench -p scanner --bench <target>` in
/// `workspace` and reads the results it wrote. The suite's own output goes
/// to stderr.
pub fn run_suite(
    workspace: &Path,
    instrument: Instrument,
    quick: bool,
) -> Result<Vec<MicroResult>, MicroError> {
    check_tools(instrument)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = suite_args(instrument, quick);
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace)
        .args([
            "bench",
            "--locked",
            "-p",
            "scanner",
            "--bench",
            instrument.bench_target(),
            "--",
        ])
        .args(&args)
        .stdout(Stdio::from(std::io::stderr()));
    let command = format!(
        "cargo bench --locked -p scanner --bench {} -- {}",
        instrument.bench_target(),
        args.join(" ")
    );
    // File times have at most a second of resolution on some filesystems.
    let since = SystemTime::now() - std::time::Duration::from_secs(1);
    let status = cmd.status().map_err(|source| MicroError::Io {
        path: PathBuf::from(&cargo),
        source,
    })?;
    if !status.success() {
        return Err(MicroError::Failed {
            command,
            workspace: workspace.to_owned(),
            status,
        });
    }
    let target = target_dir(workspace);
    let (dir, results) = match instrument {
        Instrument::Criterion => {
            let dir = target.join("criterion");
            let r = criterion_results(&dir, Some(since))?;
            (dir, r)
        }
        Instrument::Gungraun => {
            let dir = target.join("gungraun");
            let r = gungraun_results(&dir, Some(since))?;
            (dir, r)
        }
    };
    if results.is_empty() {
        return Err(MicroError::NoResults {
            instrument: instrument.as_str(),
            dir,
        });
    }
    Ok(results)
}

/// Runs the suites of `instruments` in order; gungraun results get the
/// work (and per-unit cycles) of this call's criterion results.
pub fn run(
    workspace: &Path,
    instruments: &[Instrument],
    quick: bool,
) -> Result<Vec<MicroResult>, MicroError> {
    let mut all = Vec::new();
    let mut criterion = Vec::new();
    for &i in instruments {
        let mut r = run_suite(workspace, i, quick)?;
        match i {
            Instrument::Criterion => criterion = r.clone(),
            Instrument::Gungraun => attach_work(&mut r, &criterion),
        }
        all.extend(r);
    }
    sort(&mut all);
    Ok(all)
}

/// A results file holding only micro results: no strata, the default
/// configuration, the environment with the measured workspace's revision.
pub fn micro_only_run(
    workspace: &Path,
    micro: Vec<MicroResult>,
) -> Result<harness_model::results::RunFile, String> {
    use harness_model::results::{RunConfig, RunFile, current_schema};
    let (_, report) = crate::counters::Counters::open(None)?;
    let mut environment = crate::environment::capture(Vec::new(), report);
    (environment.git_sha, environment.git_dirty) = crate::environment::git_state(workspace);
    let defaults = crate::scan_session::Config::new(corpora::default_root());
    Ok(RunFile {
        schema: current_schema(),
        created: crate::clock::now_rfc3339(),
        environment,
        config: RunConfig {
            iterations: 0,
            warmup: 0,
            threads: defaults.threads,
            max_reruns: 0,
            thresholds: defaults.thresholds,
            bootstrap_resamples: defaults.bootstrap.resamples,
            bootstrap_seed: defaults.bootstrap.seed,
        },
        strata: Vec::new(),
        micro,
        exact: Vec::new(),
    })
}
