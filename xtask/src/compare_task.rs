//! `cargo xtask bench-compare BASE [HEAD]`: builds two revisions and has
//! the harness measure them interleaved and paired.
//!
//! This task owns the git and cargo side: resolving the revisions, checking
//! each out into its own worktree under `target/bench-compare/`, building
//! each side's release harness (cached by commit: a commit's binary never
//! changes), building the corpora once with this checkout's generator,
//! and running each side's gungraun suite (cached by commit too, as
//! instruction counts are deterministic). It then hands both binaries to
//! this checkout's `harness compare`, which drives them as resident
//! `harness serve` processes, decides, and writes the outputs. Worktrees
//! are removed when the task ends, also on error or Ctrl-C.
//!
//! Exit codes are the harness's: 0 pass, 1 regression, 2 error, 3
//! inconclusive.

use crate::corpora_task::{build_all, parse_strata};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base revision (anything `git rev-parse` understands).
    base: String,
    /// The head revision; omitted, the working tree as it is now
    /// (uncommitted changes included).
    head: Option<String>,
    /// Comma-separated strata: small, medium, large.
    #[arg(long, default_value = "small,medium,large")]
    strata: String,
    /// Measure the small test variants of the strata (a quick end-to-end
    /// check of the compare itself, not a measurement).
    #[arg(long)]
    test_size: bool,
    /// The gate's configuration (thresholds, metrics, rounds).
    #[arg(long, default_value = "perf-gate.toml")]
    gate: PathBuf,
    /// Override the gate's initial number of rounds.
    #[arg(long)]
    rounds: Option<usize>,
    /// Skip the gungraun microbenchmarks.
    #[arg(long)]
    no_micro: bool,
    /// Accept different findings on the two sides.
    #[arg(long)]
    allow_findings_change: bool,
    /// Compare even when the two sides' environments differ.
    #[arg(long)]
    force: bool,
    /// Cores both sides are pinned to (default: the first two).
    #[arg(long)]
    pin: Option<String>,
    /// Output folder (default: results/compare/<base>-<head>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the worktrees (for debugging a build).
    #[arg(long)]
    keep_worktrees: bool,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One side of the compare: where its harness comes from.
#[derive(Debug)]
struct Side {
    label: &'static str,
    rev: String,
    commit: String,
    /// The working tree with uncommitted changes: never cached.
    dirty: bool,
}

impl Side {
    fn short(&self) -> String {
        let mut s: String = self.commit.chars().take(10).collect();
        if self.dirty {
            s.push_str("-dirty");
        }
        s
    }
}

fn resolve(root: &Path, label: &'static str, rev: &str) -> anyhow::Result<Side> {
    let commit = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .with_context(|| format!("{label} {rev:?} is not a commit in {}", root.display()))?;
    Ok(Side {
        label,
        rev: rev.to_string(),
        commit,
        dirty: false,
    })
}

/// Worktrees made by this task, removed on drop (error paths included).
#[derive(Debug, Default)]
struct Worktrees {
    root: PathBuf,
    paths: Vec<PathBuf>,
    keep: bool,
}

impl Worktrees {
    fn add(&mut self, side: &Side, base: &Path) -> anyhow::Result<PathBuf> {
        let path = base.join(format!("{}-{}", side.short(), std::process::id()));
        if path.exists() {
            let _ = std::fs::remove_dir_all(&path);
        }
        git(
            &self.root,
            &[
                "worktree",
                "add",
                "--detach",
                "--quiet",
                &path.to_string_lossy(),
                &side.commit,
            ],
        )
        .with_context(|| format!("checking out {} {} into a worktree", side.label, side.rev))?;
        self.paths.push(path.clone());
        Ok(path)
    }
}

impl Drop for Worktrees {
    fn drop(&mut self) {
        if self.keep {
            for p in &self.paths {
                eprintln!("bench-compare: kept worktree {}", p.display());
            }
            return;
        }
        for p in self.paths.drain(..) {
            let removed = git(
                &self.root,
                &["worktree", "remove", "--force", &p.to_string_lossy()],
            );
            if removed.is_err() {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
        let _ = git(&self.root, &["worktree", "prune"]);
    }
}

/// This checkout's target folder (where `cargo build` here puts things).
fn own_target(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn check_interrupt(flag: &AtomicBool) -> anyhow::Result<()> {
    if flag.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

/// The release harness of `side`: cached by commit under `cache`, built
/// in `dir` (a worktree, or the checkout itself for the working tree).
fn build_harness(side: &Side, dir: &Path, target: &Path, cache: &Path) -> anyhow::Result<PathBuf> {
    let bin = cache.join(side.short()).join("harness");
    if !side.dirty && bin.exists() {
        eprintln!(
            "bench-compare: {} {} harness cached ({})",
            side.label,
            side.rev,
            bin.display()
        );
        return Ok(bin);
    }
    eprintln!(
        "bench-compare: building the {} harness ({} = {})",
        side.label,
        side.rev,
        side.short()
    );
    let status = Command::new(cargo())
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .args(["build", "--release", "--locked", "--quiet", "-p", "harness"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!(
            "building the {} harness at {} failed ({status})",
            side.label,
            side.rev
        );
    }
    let built = target.join("release").join("harness");
    std::fs::create_dir_all(bin.parent().unwrap_or(cache))
        .with_context(|| format!("creating {}", cache.display()))?;
    // Copy through a temporary name so an interrupted copy is never cached.
    let tmp = bin.with_extension("partial");
    std::fs::copy(&built, &tmp).with_context(|| format!("copying {}", built.display()))?;
    std::fs::rename(&tmp, &bin).with_context(|| format!("caching {}", bin.display()))?;
    Ok(bin)
}

/// `side`'s gungraun results (cached by commit): `None` when its revision
/// has no `harness micro` (older than the microbenchmarks).
fn micro(
    side: &Side,
    harness: &Path,
    dir: &Path,
    target: &Path,
    cache: &Path,
    corpora_root: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    let out = cache.join(format!("{}.json", side.short()));
    if !side.dirty && out.exists() {
        eprintln!("bench-compare: {} micro results cached", side.label);
        return Ok(Some(out));
    }
    let help = Command::new(harness)
        .args(["micro", "--help"])
        .output()
        .context("asking the harness for `micro`")?;
    if !help.status.success() {
        eprintln!(
            "bench-compare: the {} revision has no `harness micro`; microbenchmarks skipped",
            side.label
        );
        return Ok(None);
    }
    eprintln!("bench-compare: running the {} gungraun suite", side.label);
    std::fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let tmp = out.with_extension("partial");
    let status = Command::new(harness)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        // Both sides read their benchmark inputs from the one corpora
        // folder, so the inputs (and their paths) are the same bytes.
        .env("SCANNER_CORPORA_DIR", corpora_root)
        .args(["micro", "--instrument", "gungraun", "--workspace"])
        .arg(dir)
        .arg("--out")
        .arg(&tmp)
        .status()
        .context("running harness micro")?;
    if !status.success() {
        bail!("the {} gungraun suite failed ({status})", side.label);
    }
    std::fs::rename(&tmp, &out).with_context(|| format!("caching {}", out.display()))?;
    Ok(Some(out))
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        // Ctrl-C reaches the children too (same process group) and ends
        // them; this process only notes it, so the worktrees get removed.
        let flag = Arc::clone(&interrupted);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let root = root();
    let strata = parse_strata(&args.strata)?;
    let gate = if args.gate.is_absolute() {
        args.gate.clone()
    } else {
        root.join(&args.gate)
    };
    if !gate.is_file() {
        bail!("the gate configuration {} does not exist", gate.display());
    }
    let base = resolve(&root, "base", &args.base)?;
    let head = match &args.head {
        Some(rev) => resolve(&root, "head", rev)?,
        None => {
            let commit = git(&root, &["rev-parse", "HEAD"])?;
            let dirty = !git(&root, &["status", "--porcelain", "--untracked-files=no"])?.is_empty();
            Side {
                label: "head",
                rev: "working tree".into(),
                commit,
                dirty,
            }
        }
    };
    let work = root.join("target").join("bench-compare");
    let target = work.join("target");
    let bins = work.join("bin");
    let micro_cache = work.join("micro");
    let mut worktrees = Worktrees {
        root: root.clone(),
        paths: Vec::new(),
        keep: args.keep_worktrees,
    };

    // Corpora first: one spec, this checkout's generator, used by both.
    let corpora_root = corpora::default_root();
    eprintln!(
        "bench-compare: corpora ({}) in {}",
        args.strata,
        corpora_root.display()
    );
    build_all(&strata, &corpora_root, args.test_size)?;
    check_interrupt(&interrupted)?;

    // Each side's build (and micro suite) in its own worktree, unless both
    // are cached; a dirty working tree builds in place.
    let mut sides = Vec::new();
    for side in [&base, &head] {
        let cached = |p: PathBuf| !side.dirty && p.exists();
        let need_build = !cached(bins.join(side.short()).join("harness"));
        let need_micro =
            !args.no_micro && !cached(micro_cache.join(format!("{}.json", side.short())));
        let (dir, side_target) = if side.dirty {
            (root.clone(), own_target(&root))
        } else if need_build || need_micro {
            (worktrees.add(side, &work.join("wt"))?, target.clone())
        } else {
            (root.clone(), target.clone())
        };
        let bin = build_harness(side, &dir, &side_target, &bins)?;
        check_interrupt(&interrupted)?;
        let micro_file = if args.no_micro {
            None
        } else {
            micro(side, &bin, &dir, &side_target, &micro_cache, &corpora_root)?
        };
        check_interrupt(&interrupted)?;
        sides.push((bin, micro_file));
    }
    // The worktrees were only needed for building; measuring runs the
    // cached binaries, so remove them before the long part.
    drop(worktrees);

    // The driver is this checkout's harness.
    eprintln!("bench-compare: building this checkout's harness (the driver)");
    let status = Command::new(cargo())
        .current_dir(&root)
        .args(["build", "--release", "--locked", "--quiet", "-p", "harness"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building this checkout's harness failed ({status})");
    }
    let driver = own_target(&root).join("release").join("harness");
    let out = args.out.clone().unwrap_or_else(|| {
        root.join("results")
            .join("compare")
            .join(format!("{}-{}", base.short(), head.short()))
    });
    let mut cmd = Command::new(&driver);
    cmd.current_dir(&root)
        .arg("compare")
        .arg("--base-bin")
        .arg(&sides[0].0)
        .arg("--head-bin")
        .arg(&sides[1].0)
        .args(["--base-rev", &base.rev, "--base-commit", &base.commit])
        .args(["--head-rev", &head.rev, "--head-commit", &head.commit])
        .args(["--strata", &args.strata])
        .arg("--corpora")
        .arg(&corpora_root)
        .arg("--gate")
        .arg(&gate)
        .arg("--out")
        .arg(&out);
    if head.dirty {
        cmd.arg("--head-dirty");
    }
    if args.test_size {
        cmd.arg("--test-size");
    }
    if let Some(r) = args.rounds {
        cmd.args(["--rounds", &r.to_string()]);
    }
    if let Some(p) = &args.pin {
        cmd.args(["--pin", p]);
    }
    if args.allow_findings_change {
        cmd.arg("--allow-findings-change");
    }
    if args.force {
        cmd.arg("--force");
    }
    if let (Some(b), Some(h)) = (&sides[0].1, &sides[1].1) {
        cmd.arg("--micro-base").arg(b).arg("--micro-head").arg(h);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running {}", driver.display()))?;
    check_interrupt(&interrupted)?;
    Ok(match status.code() {
        Some(c @ 0..=3) => ExitCode::from(c as u8),
        _ => {
            eprintln!("bench-compare: the harness ended with {status}");
            ExitCode::from(2)
        }
    })
}
