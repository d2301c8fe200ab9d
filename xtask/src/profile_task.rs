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

/// A workload's diff and its differential flame graph's SVG.
pub type Diff = (harness_model::profile::ProfileDiffFile, Option<String>);

/// Profiles both sides (base, head) and diffs each workload into `out`;
/// `None` when either revision cannot be profiled.
pub fn profile_and_diff(
    sides: [(&Side, &Path); 2],
    corpora: &CorporaArgs,
    profile: &ProfileArgs,
    root: &Path,
    out: &Path,
) -> anyhow::Result<Option<Vec<Diff>>> {
    let [(bs, bb), (hs, hb)] = sides;
    let Some(base) = profile_side(bs, bb, corpora, profile, root)? else {
        return Ok(None);
    };
    let Some(head) = profile_side(hs, hb, corpora, profile, root)? else {
        return Ok(None);
    };
    let mut diffs = Vec::new();
    for ((_, b), (_, h)) in base.iter().zip(&head) {
        diffs.push(harness::profile::diff(b, h, out)?);
    }
    Ok(Some(diffs))
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
    let (Some(base), Some(head)) = (sides.first(), sides.get(1)) else {
        // One revision: its profiles are the result.
        let (Some(side), Some(bin)) = (sides.first(), bins.first()) else {
            bail!("nothing to profile");
        };
        let Some(dirs) = profile_side(side, bin, &corpora, &args.profile, &out_root)? else {
            bail!("the {} revision cannot be profiled", side.rev);
        };
        for (_, dir) in &dirs {
            println!("profile: {}", dir.display());
        }
        return Ok(());
    };
    let out = out_root.join(format!("compare-{}-{}", base.short(), head.short()));
    let [bb, hb] = bins.as_slice() else {
        bail!("both sides must be built");
    };
    let pairs = [(base, bb.as_path()), (head, hb.as_path())];
    let Some(diffs) = profile_and_diff(pairs, &corpora, &args.profile, &out_root, &out)? else {
        bail!("both revisions must have `harness profile` to be compared");
    };
    for (d, _) in &diffs {
        print!("{}", harness_report::profile::diff_markdown(d, 10));
        println!(
            "\nprofile diff: {}",
            out.join(format!("profile-diff-{}.json", d.workload))
                .display()
        );
    }
    Ok(())
}
