//! `cargo xtask profile`: profiles of a revision's release harness per
//! workload, and `--compare BASE HEAD`, the per-function diff of two.
//!
//! Each side's harness comes from the build cache shared with
//! `bench-compare` ([`crate::revisions`]): built once per commit. The side's
//! own binary makes its profiles (`harness profile`), since the scanner it
//! links is the one being profiled; profiles land in
//! `results/profiles/<commit>-<workload>/` and are reused for the same
//! commit and settings. The diff runs here ([`harness::profile::diff`]) into
//! `results/profiles/compare-<base>-<head>/`. [`profile_side`] is what
//! `bench-compare` calls after measuring.

use crate::corpora_task::build_all;
use crate::harness_build::workspace_root;
use crate::revisions::{BuildCache, Side, Worktrees, resolve, working_tree};
use anyhow::{Context, bail};
use harness::cli::{CorporaArgs, ProfileArgs};
use harness_model::WorkloadId;
use harness_model::compare::Revision;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    corpora: CorporaArgs,
    #[command(flatten)]
    profile: ProfileArgs,
    /// The revision to profile (default: the working tree as it is).
    #[arg(long, conflicts_with = "compare")]
    rev: Option<String>,
    /// Profile two revisions and diff them.
    #[arg(long, num_args = 2, value_names = ["BASE", "HEAD"])]
    compare: Option<Vec<String>>,
    /// Parent folder of the profiles (default: results/profiles).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the worktrees (for debugging a build).
    #[arg(long)]
    keep_worktrees: bool,
}

/// A side as the documents record it.
pub fn revision(side: &Side) -> Revision {
    Revision {
        rev: side.rev.clone(),
        commit: side.commit.clone(),
        dirty: side.dirty,
    }
}

/// Profiles every workload `corpora` selects with `side`'s binary `bin`
/// into `root` (cached per commit and settings inside the binary), and
/// returns each workload's folder; `None` when that revision's harness
/// has no `profile` command (older than profiling).
pub fn profile_side(
    side: &Side,
    bin: &Path,
    corpora: &CorporaArgs,
    profile: &ProfileArgs,
    root: &Path,
) -> anyhow::Result<Option<Vec<(WorkloadId, PathBuf)>>> {
    let help = Command::new(bin)
        .args(["profile", "--help"])
        .output()
        .context("asking the harness for `profile`")?;
    if !help.status.success() {
        eprintln!(
            "xtask: the {} revision {} has no `harness profile`; not profiled",
            side.label, side.rev
        );
        return Ok(None);
    }
    let rev = revision(side);
    let label = harness::profile::label(&rev, corpora.test_size);
    let mut cmd = Command::new(bin);
    cmd.arg("profile")
        .args(corpora.to_args())
        .args(profile.to_args())
        .arg("--out")
        .arg(root)
        .args([
            "--label",
            &label,
            "--rev",
            &side.rev,
            "--commit",
            &side.commit,
        ]);
    if side.dirty {
        cmd.arg("--dirty");
    }
    eprintln!(
        "xtask: profiling the {} side ({})",
        side.label,
        side.short()
    );
    let status = cmd.status().context("running harness profile")?;
    if !status.success() {
        bail!("profiling the {} side failed ({status})", side.label);
    }
    let dirs = corpora
        .profile_targets()?
        .iter()
        .map(|t| {
            let id = t.id();
            let dir = harness::profile::folder(root, &label, &id);
            (id, dir)
        })
        .collect();
    Ok(Some(dirs))
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let out_root = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("results").join("profiles"));
    let corpora_root = args.corpora.root();
    build_all(
        &args.corpora.strata.0,
        &corpora_root,
        args.corpora.test_size,
    )?;
    let mut corpora = args.corpora.clone();
    corpora.corpora = Some(corpora_root);
    let sides = match &args.compare {
        Some(revs) => {
            let [base, head] = revs.as_slice() else {
                bail!("--compare takes BASE and HEAD");
            };
            vec![resolve(&root, "base", base)?, resolve(&root, "head", head)?]
        }
        None => vec![match &args.rev {
            Some(rev) => resolve(&root, "profiled", rev)?,
            None => working_tree(&root, "profiled")?,
        }],
    };
    let cache = BuildCache::new();
    let mut worktrees = Worktrees {
        root: root.clone(),
        paths: Vec::new(),
        keep: args.keep_worktrees,
    };
    let mut bins = Vec::new();
    for side in &sides {
        bins.push(cache.harness(side, &mut worktrees)?);
    }
    // Profiling runs the cached binaries; the worktrees were for building.
    drop(worktrees);
    let mut folders = Vec::new();
    for (side, bin) in sides.iter().zip(&bins) {
        let Some(dirs) = profile_side(side, bin, &corpora, &args.profile, &out_root)? else {
            bail!("the {} revision cannot be profiled", side.rev);
        };
        for (_, dir) in &dirs {
            println!("profile: {}", dir.display());
        }
        folders.push(dirs);
    }
    let [base, head] = folders.as_slice() else {
        return Ok(());
    };
    let out = out_root.join(format!("compare-{}-{}", sides[0].short(), sides[1].short()));
    for ((id, b), (_, h)) in base.iter().zip(head) {
        let (d, _) = harness::profile::diff(b, h, &out)?;
        print!("{}", harness_report::profile::diff_markdown(&d, 10));
        println!(
            "\nprofile diff: {}",
            out.join(format!("profile-diff-{id}.json")).display()
        );
    }
    Ok(())
}
