//! Revisions as builds: resolving a revision to a commit (or the working
//! tree), checking it out into a worktree that is removed again on drop
//! (also on error), and its release harness cached by commit under
//! `target/bench-compare/bin/` — shared by `bench-compare` and `profile`,
//! so a commit's harness is built once whichever task needs it first.
//!
//! Invariant: a commit's cached binary never changes; the working tree
//! with uncommitted changes builds in place and is never cached.

use crate::harness_build::{release_harness, target_dir, workspace_root};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

pub fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
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
pub struct Side {
    pub label: &'static str,
    pub rev: String,
    pub commit: String,
    /// The working tree with uncommitted changes: never cached.
    pub dirty: bool,
}

impl Side {
    pub fn short(&self) -> String {
        let mut s: String = self.commit.chars().take(10).collect();
        if self.dirty {
            s.push_str("-dirty");
        }
        s
    }
}

pub fn resolve(root: &Path, label: &'static str, rev: &str) -> anyhow::Result<Side> {
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
pub struct Worktrees {
    pub root: PathBuf,
    pub paths: Vec<PathBuf>,
    pub keep: bool,
}

impl Worktrees {
    pub fn add(&mut self, side: &Side, base: &Path) -> anyhow::Result<PathBuf> {
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
                eprintln!("xtask: kept worktree {}", p.display());
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

pub fn check_interrupt(flag: &AtomicBool) -> anyhow::Result<()> {
    if flag.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

/// The release harness of `side`: cached by commit under `cache`, built
/// in `dir` (a worktree, or the checkout itself for the working tree).
pub fn build_harness(
    side: &Side,
    dir: &Path,
    target: &Path,
    cache: &Path,
) -> anyhow::Result<PathBuf> {
    let bin = cache.join(side.short()).join("harness");
    if !side.dirty && bin.exists() {
        eprintln!(
            "xtask: {} {} harness cached ({})",
            side.label,
            side.rev,
            bin.display()
        );
        return Ok(bin);
    }
    eprintln!(
        "xtask: building the {} harness ({} = {})",
        side.label,
        side.rev,
        side.short()
    );
    let built = release_harness(
        dir,
        target,
        &format!("the {} harness at {}", side.label, side.rev),
    )?;
    std::fs::create_dir_all(bin.parent().unwrap_or(cache))
        .with_context(|| format!("creating {}", cache.display()))?;
    // Copy through a temporary name so an interrupted copy is never cached.
    let tmp = bin.with_extension("partial");
    std::fs::copy(&built, &tmp).with_context(|| format!("copying {}", built.display()))?;
    std::fs::rename(&tmp, &bin).with_context(|| format!("caching {}", bin.display()))?;
    Ok(bin)
}

/// The working tree as a side: HEAD's commit, dirty when tracked files
/// have uncommitted changes.
pub fn working_tree(root: &Path, label: &'static str) -> anyhow::Result<Side> {
    let commit = git(root, &["rev-parse", "HEAD"])?;
    let dirty = !git(root, &["status", "--porcelain", "--untracked-files=no"])?.is_empty();
    Ok(Side {
        label,
        rev: "working tree".into(),
        commit,
        dirty,
    })
}

/// Where revisions are built and cached: `target/bench-compare/` of this
/// checkout (`target` the shared cargo target, `bin` the cached binaries).
#[derive(Debug)]
pub struct BuildCache {
    pub root: PathBuf,
    pub work: PathBuf,
    pub target: PathBuf,
    pub bins: PathBuf,
}

impl BuildCache {
    pub fn new() -> BuildCache {
        let root = workspace_root();
        let work = root.join("target").join("bench-compare");
        BuildCache {
            target: work.join("target"),
            bins: work.join("bin"),
            root,
            work,
        }
    }

    /// Whether `side`'s binary is cached.
    pub fn is_cached(&self, side: &Side) -> bool {
        !side.dirty && self.bins.join(side.short()).join("harness").exists()
    }

    /// `side`'s release harness: cached, or built in a new worktree (the
    /// working tree in place), adding the worktree to `worktrees`.
    pub fn harness(&self, side: &Side, worktrees: &mut Worktrees) -> anyhow::Result<PathBuf> {
        let (dir, target) = if side.dirty {
            (self.root.clone(), target_dir(&self.root))
        } else if self.is_cached(side) {
            (self.root.clone(), self.target.clone())
        } else {
            (
                worktrees.add(side, &self.work.join("wt"))?,
                self.target.clone(),
            )
        };
        build_harness(side, &dir, &target, &self.bins)
    }
}
