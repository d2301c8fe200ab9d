//! `cargo xtask fuzz`: runs the libFuzzer targets of `scanner/fuzz` (cargo
//! fuzz, on the nightly toolchain; the stable build never needs either) for
//! a fixed time each, from the committed seeds plus a working corpus under
//! `target/fuzz/`, and prints and writes what each run did.
//!
//! libFuzzer's last status line (`#N DONE cov: C ft: F corp: K`) gives the
//! executions, edge coverage and corpus size; a crash leaves its input in
//! `scanner/fuzz/artifacts/<target>/`, which the task lists and which fails
//! it. Each crash found becomes a regression test in the normal suite.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every fuzz target, as `scanner/fuzz/Cargo.toml` declares them.
const TARGETS: [&str; 9] = [
    "pack_decode",
    "delta_apply",
    "tree_diff",
    "loose_object",
    "rules_toml",
    "suppressions",
    "harness_documents",
    "commit_parse",
    "repo_indexes",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Targets to run (default: all).
    #[arg(long = "target", value_name = "TARGET")]
    targets: Vec<String>,
    /// Seconds per target.
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// libFuzzer worker processes per target.
    #[arg(long, default_value_t = 1)]
    jobs: u32,
}

/// What one target's run did.
#[derive(Debug, serde::Serialize)]
struct TargetRun {
    target: String,
    seconds: u64,
    executions: Option<u64>,
    coverage: Option<u64>,
    features: Option<u64>,
    corpus: Option<u64>,
    crashes: Vec<PathBuf>,
}

/// The numbers after `key` in libFuzzer's last `DONE` (or status) line.
fn stat(line: &str, key: &str) -> Option<u64> {
    let mut it = line.split_whitespace();
    while let Some(w) = it.next() {
        if w == key {
            // `corp: 97/12Kb` counts inputs before the slash.
            return it.next()?.split('/').next()?.parse().ok();
        }
    }
    None
}

fn run_target(
    fuzz_dir: &Path,
    work: &Path,
    target: &str,
    args: &Args,
) -> anyhow::Result<TargetRun> {
    let corpus = work.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let seeds = fuzz_dir.join("corpus").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    let before: Vec<PathBuf> = list(&artifacts);
    let mut cmd = Command::new("cargo");
    cmd.current_dir(fuzz_dir.parent().context("scanner/fuzz has a parent")?)
        .args(["+nightly", "fuzz", "run", "-O", target])
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", args.time))
        .arg("-print_final_stats=1");
    // In-process with one job, so its status lines reach stderr here (with
    // -jobs, libFuzzer writes them to fuzz-N.log files instead).
    if args.jobs > 1 {
        cmd.arg(format!("-jobs={}", args.jobs))
            .arg(format!("-workers={}", args.jobs));
    }
    let out = cmd
        .output()
        .context("running cargo +nightly fuzz (scripts/setup.sh --fuzz installs it)")?;
    let text = String::from_utf8_lossy(&out.stderr);
    let done = text
        .lines()
        .rev()
        .find(|l| l.starts_with('#') && l.contains("cov:"))
        .unwrap_or("");
    let executions = done
        .split_whitespace()
        .next()
        .and_then(|n| n.trim_start_matches('#').parse().ok());
    let crashes: Vec<PathBuf> = list(&artifacts)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    if !out.status.success() && crashes.is_empty() {
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        bail!(
            "fuzz target {target} failed to run:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(TargetRun {
        target: target.to_owned(),
        seconds: args.time,
        executions,
        coverage: stat(done, "cov:"),
        features: stat(done, "ft:"),
        corpus: stat(done, "corp:").or_else(|| stat(done, "corpus:")),
        crashes,
    })
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace")?
        .to_owned();
    let fuzz_dir = root.join("scanner").join("fuzz");
    let work = root.join("target").join("fuzz");
    let targets: Vec<&str> = if args.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        for t in &args.targets {
            if !TARGETS.contains(&t.as_str()) {
                bail!(
                    "unknown fuzz target '{t}' (targets: {})",
                    TARGETS.join(", ")
                );
            }
        }
        args.targets.iter().map(String::as_str).collect()
    };
    let mut runs = Vec::new();
    for t in targets {
        eprintln!("fuzz: {t} for {} s", args.time);
        let r = run_target(&fuzz_dir, &work, t, args)?;
        println!(
            "{:<18} {:>12} execs  cov {:>6}  ft {:>6}  corpus {:>5}  crashes {}",
            r.target,
            r.executions.map_or("?".into(), |n| n.to_string()),
            r.coverage.map_or("?".into(), |n| n.to_string()),
            r.features.map_or("?".into(), |n| n.to_string()),
            r.corpus.map_or("?".into(), |n| n.to_string()),
            r.crashes.len()
        );
        runs.push(r);
    }
    let summary = work.join("summary.json");
    std::fs::write(&summary, serde_json::to_string_pretty(&runs)?)
        .with_context(|| format!("writing {}", summary.display()))?;
    eprintln!("fuzz: summary in {}", summary.display());
    let crashed: Vec<_> = runs.iter().flat_map(|r| &r.crashes).collect();
    if !crashed.is_empty() {
        bail!("{} crash(es): {crashed:?}", crashed.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_final_status_line() {
        let line =
            "#123456\tDONE   cov: 812 ft: 2301 corp: 97/12Kb lim: 4096 exec/s: 2057 rss: 61Mb";
        assert_eq!(stat(line, "cov:"), Some(812));
        assert_eq!(stat(line, "ft:"), Some(2301));
        assert_eq!(stat(line, "corp:"), Some(97));
        assert_eq!(stat(line, "nope"), None);
    }

    #[test]
    fn every_target_is_declared_in_the_fuzz_crate() {
        let manifest = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../scanner/fuzz/Cargo.toml"),
        )
        .expect("the fuzz crate's manifest");
        for t in TARGETS {
            assert!(manifest.contains(&format!("name = \"{t}\"")), "{t}");
        }
    }
}
