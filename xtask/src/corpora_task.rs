//! `cargo xtask corpora`: builds the three strata under `target/corpora/`
//! (cached by spec key) and prints their measured shape.

use anyhow::Context;
use corpora::{Built, Stratum, StratumSpec, build, default_root};
use harness::cli::StrataList;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Comma-separated strata to build (small, medium, large).
    #[arg(long, default_value = "small,medium,large")]
    strata: StrataList,
    /// Where corpora go (default: $SCANNER_CORPORA_DIR or target/corpora).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Build the small test variants instead of the benchmark sizes.
    #[arg(long)]
    test_size: bool,
}

/// Builds (or reuses) the corpora of `strata` under `root`, in parallel:
/// git's work runs in child processes, so this uses both cores.
pub fn build_all(strata: &[Stratum], root: &Path, test_size: bool) -> anyhow::Result<Vec<Built>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = strata
            .iter()
            .map(|&s| {
                let spec = if test_size { s.test_spec() } else { s.spec() };
                scope.spawn(move || {
                    build(&spec, root).with_context(|| format!("building the {} corpus", spec.name))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("corpus builder panicked")))
            })
            .collect()
    })
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = args.root.clone().unwrap_or_else(default_root);
    let started = Instant::now();
    let built = build_all(&args.strata.0, &root, args.test_size)?;
    println!(
        "{:<12} {:>8} {:>7} {:>9} {:>9} {:>6} {:>10} {:>8} {:>6} {:>8} {:>8}",
        "stratum",
        "commits",
        "merges",
        "intros",
        "blobs",
        "dup%",
        "blob MiB",
        "tree",
        "packs",
        "secrets",
        "gen s"
    );
    for b in built {
        let s = &b.manifest.stats;
        println!(
            "{:<12} {:>8} {:>7} {:>9} {:>9} {:>5.1}% {:>10.1} {:>8} {:>6} {:>8} {:>8}",
            b.manifest.stratum,
            s.commits,
            s.merges,
            s.introductions,
            s.unique_blobs,
            s.duplicate_ratio * 100.0,
            s.blob_bytes as f64 / (1 << 20) as f64,
            s.head_tree_entries,
            s.packs,
            b.manifest.secrets.len(),
            if b.cached {
                "cached".to_string()
            } else {
                format!("{:.1}", s.generation_seconds)
            },
        );
    }
    println!(
        "corpora in {} ({:.1} s)",
        root.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
