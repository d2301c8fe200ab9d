//! The exact end-to-end figures of a compare (the gate's `[exact]`): one
//! scan of each named stratum per side under callgrind, made by each side's
//! own `harness profile --no-sampled` (one scanner thread, fixed hashing,
//! counters zeroed on entering the scan and dumped on leaving it), cached
//! by commit in `results/profiles/`, and handed to the driver as
//! [`ExactPair`]s. Both sides run at once, before any timed round.
//! `bench` records this checkout's own figures in its results file
//! ([`own_exact`]), so main's history has a noise-free series.

use crate::profile_task::profile_side;
use crate::revisions::Side;
use harness::cli::{CorporaArgs, ProfileArgs, StrataList};
use harness_model::Stratum;
use harness_model::compare::ExactPair;
use harness_model::exact::{ExactFigures, ExactRun, ExactSource, ExactStage};
use harness_model::profile::read_profile;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One side's figures per stratum; `None` when its harness cannot profile.
fn side_figures(
    side: &Side,
    bin: &Path,
    corpora: &CorporaArgs,
    root: &Path,
) -> anyhow::Result<Option<Vec<(Stratum, ExactFigures)>>> {
    let profile = ProfileArgs {
        no_sampled: true,
        ..ProfileArgs::default()
    };
    let Some(dirs) = profile_side(side, bin, corpora, &profile, root)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (id, dir) in dirs {
        let Some(stratum) = id.stratum() else {
            continue;
        };
        let file = read_profile(&dir.join("profile.json"))?;
        let Some(exact) = file.exact else {
            anyhow::bail!("{}: no exact profile in it", dir.display());
        };
        let column = |event: &str| exact.event_index(event).and_then(|i| exact.totals.get(i));
        let Some(&instructions) = column("Ir") else {
            anyhow::bail!("{}: the exact profile has no Ir", dir.display());
        };
        out.push((
            stratum,
            ExactFigures {
                instructions,
                estimated_cycles: column("Est").copied(),
                stages: exact
                    .stages
                    .iter()
                    .map(|s| ExactStage {
                        stage: s.stage,
                        instructions: s.count,
                    })
                    .collect(),
            },
        ));
    }
    Ok(Some(out))
}

/// `corpora` narrowed to `strata` (no repository workloads: they have no
/// exact figures).
fn only_strata(corpora: &CorporaArgs, strata: &[Stratum]) -> CorporaArgs {
    let mut corpora = corpora.clone();
    corpora.strata = StrataList(strata.to_vec());
    corpora.workloads = None;
    corpora
}

/// The exact figures of this checkout's harness `bin` on `strata`, for a
/// results file; empty when `strata` is.
pub fn own_exact(
    side: &Side,
    bin: &Path,
    strata: &[Stratum],
    corpora: &CorporaArgs,
    root: &Path,
) -> anyhow::Result<Vec<ExactRun>> {
    if strata.is_empty() {
        return Ok(Vec::new());
    }
    let started = Instant::now();
    let Some(figures) = side_figures(side, bin, &only_strata(corpora, strata), root)? else {
        anyhow::bail!("{}: this harness cannot profile", bin.display());
    };
    eprintln!(
        "xtask: exact end-to-end figures of {} strata of {} in {:.0} s",
        figures.len(),
        side.commit.get(..10).unwrap_or(&side.commit),
        started.elapsed().as_secs_f64()
    );
    Ok(figures
        .into_iter()
        .map(|(stratum, figures)| ExactRun {
            stratum,
            source: ExactSource::Callgrind,
            figures,
        })
        .collect())
}

/// Both sides' exact figures on `strata` (those of the compare the gate's
/// `[exact]` names), made in parallel; empty when either side's harness
/// has no `profile` command.
pub fn exact_pairs(
    strata: &[Stratum],
    sides: [(&Side, &PathBuf); 2],
    corpora: &CorporaArgs,
    root: &Path,
) -> anyhow::Result<Vec<ExactPair>> {
    if strata.is_empty() {
        return Ok(Vec::new());
    }
    let corpora = only_strata(corpora, strata);
    let started = Instant::now();
    let [(bs, bb), (hs, hb)] = sides;
    let (base, head) = std::thread::scope(|scope| {
        let base = scope.spawn(|| side_figures(bs, bb, &corpora, root));
        let head = side_figures(hs, hb, &corpora, root);
        (base.join(), head)
    });
    let base = base.map_err(|_| anyhow::anyhow!("the base side's exact run panicked"))??;
    let head = head?;
    let (Some(base), Some(head)) = (base, head) else {
        eprintln!("bench-compare: a side cannot profile: no exact end-to-end figures");
        return Ok(Vec::new());
    };
    eprintln!(
        "bench-compare: exact end-to-end figures of {} strata in {:.0} s",
        strata.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(base
        .into_iter()
        .filter_map(|(stratum, b)| {
            let (_, h) = head.iter().find(|(s, _)| *s == stratum)?;
            Some(ExactPair {
                stratum,
                source: ExactSource::Callgrind,
                base: b,
                head: h.clone(),
            })
        })
        .collect())
}
