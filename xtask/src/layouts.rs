//! Layout variants of a revision's release harness: the same code in other
//! link orders, so that a compare samples code layout instead of fixing it
//! (the gate's `[replication] layouts`, docs/compare.md "Replication").
//!
//! One `cargo rustc` of the harness binary with `scripts/layout-link.sh`
//! as its linker: the wrapper links as rustc asked (the plain binary), then
//! relinks the same objects once per seed with lld's `--shuffle-sections`
//! (rustc puts every function in its own section, and links with its
//! bundled lld). The plain binary and the variants are cached by commit
//! beside each other in `target/bench-compare/bin/<commit>/`, as
//! `harness` and `harness.layout-<seed>`.
//!
//! Invariant: a variant holds exactly the plain binary's code; only the
//! order of its functions differs.

use crate::harness_build::cargo;
use crate::revisions::{Side, build_harness};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The shuffle seeds of the variants after the plain build: `1..layouts`
/// for a compare; calibration's layout no-op uses `offset + 1..=offset + layouts`.
pub fn seeds(layouts: usize, offset: u64) -> Vec<u64> {
    let start = if offset == 0 { 1 } else { offset + 1 };
    let end = if offset == 0 {
        layouts as u64
    } else {
        offset + layouts as u64 + 1
    };
    (start..end).collect()
}

/// A side's plain harness (cached by commit, built as
/// [`build_harness`] does when there are no seeds) and its variants, one
/// per seed.
pub fn harness_with_layouts(
    side: &Side,
    dir: &Path,
    target: &Path,
    cache: &Path,
    seeds: &[u64],
) -> anyhow::Result<(PathBuf, Vec<PathBuf>)> {
    if seeds.is_empty() {
        return Ok((build_harness(side, dir, target, cache)?, Vec::new()));
    }
    let folder = cache.join(side.short());
    let bin = folder.join("harness");
    let variants: Vec<PathBuf> = seeds
        .iter()
        .map(|s| folder.join(format!("harness.layout-{s}")))
        .collect();
    if !side.dirty && bin.exists() && variants.iter().all(|v| v.exists()) {
        eprintln!(
            "xtask: {} {} harness and {} layout variants cached",
            side.label,
            side.rev,
            variants.len()
        );
        return Ok((bin, variants));
    }
    let root = crate::harness_build::workspace_root();
    let linker = root.join("scripts").join("layout-link.sh");
    if !linker.is_file() {
        bail!("the layout linker {} is missing", linker.display());
    }
    let staging = folder.join("layouts.partial");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    eprintln!(
        "xtask: building the {} harness ({} = {}) with {} layout variants",
        side.label,
        side.rev,
        side.short(),
        seeds.len()
    );
    let started = Instant::now();
    let seed_list: Vec<String> = seeds.iter().map(ToString::to_string).collect();
    // `cargo rustc` passes the linker to the harness binary only: the
    // libraries, build scripts and proc macros build as usual. A changed
    // linker flag makes cargo rebuild (and so relink) the binary.
    let status = Command::new(cargo())
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("SCANNER_LAYOUT_SEEDS", seed_list.join(" "))
        .env("SCANNER_LAYOUT_OUT", &staging)
        .args([
            "rustc",
            "--release",
            "--locked",
            "--quiet",
            "-p",
            "harness",
            "--bin",
            "harness",
            "--",
            "-C",
        ])
        .arg(format!("linker={}", linker.display()))
        // A flag that differs per seed list, so that a binary built for
        // other seeds is never taken as fresh.
        .arg("--cfg")
        .arg(format!("scanner_layouts=\"{}\"", seed_list.join("_")))
        .args(["--check-cfg", "cfg(scanner_layouts, values(any()))"])
        .status()
        .context("running cargo rustc for the layout variants")?;
    if !status.success() {
        bail!(
            "building the {} harness at {} with layout variants failed ({status})",
            side.label,
            side.rev
        );
    }
    for (seed, v) in seeds.iter().zip(&variants) {
        let made = staging.join(format!("harness.layout-{seed}"));
        if !made.is_file() {
            bail!(
                "the layout linker did not write {} (was the binary relinked?)",
                made.display()
            );
        }
        std::fs::rename(&made, v).with_context(|| format!("caching {}", v.display()))?;
    }
    let _ = std::fs::remove_dir_all(&staging);
    if side.dirty || !bin.exists() {
        let built = target.join("release").join("harness");
        let tmp = bin.with_extension("partial");
        std::fs::copy(&built, &tmp).with_context(|| format!("copying {}", built.display()))?;
        std::fs::rename(&tmp, &bin).with_context(|| format!("caching {}", bin.display()))?;
    }
    eprintln!(
        "xtask: {} harness and {} layout variants built in {:.0} s",
        side.label,
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
    Ok((bin, variants))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_of_a_compare_and_of_the_no_op() {
        assert_eq!(seeds(1, 0), Vec::<u64>::new());
        assert_eq!(seeds(4, 0), vec![1, 2, 3]);
        assert_eq!(seeds(3, 100), vec![101, 102, 103]);
    }
}
