//! The real workload: one complete scan of a stratum's corpus through the
//! scanner library, with fresh scanner state each run (options, sinks,
//! caches; the compiled rule set is immutable and shared).
//!
//! [`ScanWorkload::load`] finds the corpus (never generated here: `cargo
//! xtask corpora` does that) and checks its manifest against this build's
//! spec; [`Workload::prepare`] reads every file of its repository once so
//! the page cache is warm and equal for all iterations; the measured
//! [`Workload::run`] is `git::scan` plus building the report, and the
//! unmeasured [`Workload::check`] refuses partial scans and holds the
//! findings against the manifest's ground truth.

use crate::measure::{Delivery, MeasureError, Workload};
use crate::truth;
use corpora::StratumSpec;
use corpora::build::load_manifest;
use corpora::manifest::{ExpectedFinding, Manifest, ScanSelection};
use harness_model::Stratum;
use harness_model::protocol::CorpusInfo;
use harness_model::results::StageSample;
use scanner::detect::suppress::Suppressions;
use scanner::detect::{Engine, FindingsSinkFactory, Report, ScanOptions, build_report};
use scanner::git::{self, Options, Outcome, Selection, Status};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One stratum's corpus, scanned with a shared rule set.
pub struct ScanWorkload {
    stratum: Stratum,
    repo: PathBuf,
    manifest: Manifest,
    options: Options,
    engine: Arc<Engine>,
}

impl std::fmt::Debug for ScanWorkload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanWorkload")
            .field("stratum", &self.stratum)
            .field("repo", &self.repo)
            .finish_non_exhaustive()
    }
}

impl ScanWorkload {
    /// Loads `stratum`'s corpus under `root` (its test-sized variant with
    /// `test_size`); with `trust_manifest`, a manifest generated from
    /// another revision's spec is accepted (an A/B compare measures both
    /// revisions on the corpora one of them generated).
    pub fn load(
        stratum: Stratum,
        root: &Path,
        test_size: bool,
        trust_manifest: bool,
        threads: usize,
        engine: Arc<Engine>,
    ) -> Result<ScanWorkload, MeasureError> {
        let spec = if test_size {
            stratum.test_spec()
        } else {
            stratum.spec()
        };
        let dir = root.join(&spec.name);
        let name = stratum.as_str();
        let manifest_path = dir.join("manifest.json");
        let repo = dir.join("repo.git");
        if !manifest_path.exists() || !repo.exists() {
            return Err(MeasureError::CorpusMissing {
                stratum: name,
                path: dir,
            });
        }
        let manifest = load_manifest(&manifest_path).map_err(|e| MeasureError::CorpusCorrupt {
            stratum: name,
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        if !trust_manifest && manifest.spec_key != spec.cache_key() {
            return Err(MeasureError::CorpusStale {
                stratum: name,
                path: dir,
            });
        }
        let options = options(&repo, &manifest, threads);
        Ok(ScanWorkload {
            stratum,
            repo,
            manifest,
            options,
            engine,
        })
    }
}

fn options(repo: &Path, manifest: &Manifest, threads: usize) -> Options {
    let mut opts = Options::new(repo);
    opts.selection = match &manifest.selection {
        ScanSelection::All => Selection::All,
        ScanSelection::Range { base, tip } => Selection::Range(format!("{base}..{tip}")),
    };
    opts.threads = threads;
    if let Some(b) = manifest.dedupe_budget_bytes {
        opts.dedupe_budget = usize::try_from(b).unwrap_or(usize::MAX);
    }
    opts
}

/// Reads every file under `dir` once (page cache warm-up).
fn warm_page_cache(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                total += std::io::copy(
                    &mut std::fs::File::open(entry.path())?,
                    &mut std::io::sink(),
                )?;
            }
        }
    }
    Ok(total)
}

/// SHA-256 over the findings in ground-truth form, sorted: equal digests
/// mean equal findings (rule, blob, commit, path, position, secret hash).
fn digest(found: &BTreeSet<ExpectedFinding>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for f in found {
        h.update(f.to_string().as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

impl Workload for ScanWorkload {
    type Output = (Outcome, Report);

    fn stratum(&self) -> Stratum {
        self.stratum
    }

    fn corpus(&self) -> CorpusInfo {
        CorpusInfo {
            stratum: self.stratum,
            head: self.manifest.head.clone(),
            spec_key: self.manifest.spec_key.clone(),
            selection: self.manifest.selection.describe(),
        }
    }

    fn prepare(&mut self) -> Result<(), MeasureError> {
        warm_page_cache(&self.repo)?;
        Ok(())
    }

    fn run(&mut self, _index: usize) -> Result<(Outcome, Report), MeasureError> {
        let factory = FindingsSinkFactory {
            engine: &self.engine,
            opts: ScanOptions {
                show_secrets: false,
                scan_binary: false,
            },
            progress: None,
        };
        let (outcome, sinks) =
            git::scan(&self.options, &factory).map_err(|source| MeasureError::Scan {
                stratum: self.stratum.as_str(),
                source,
            })?;
        let report = build_report(&self.engine, sinks, &Suppressions::default());
        Ok((outcome, report))
    }

    fn check(&mut self, (outcome, report): (Outcome, Report)) -> Result<Delivery, MeasureError> {
        if outcome.status == Status::Partial {
            return Err(MeasureError::Partial {
                stratum: self.stratum.as_str(),
                skipped: outcome.skipped.len(),
            });
        }
        let found = truth::found(&report);
        let diff = truth::check(&self.manifest, &found, false);
        let stages = outcome
            .stages
            .iter()
            .into_iter()
            .map(|(stage, m)| StageSample {
                stage: stage.to_string(),
                wall_ns: m.wall_ns,
                items_in: m.items_in,
                items_out: m.items_out,
                bytes_in: m.bytes_in,
                bytes_out: m.bytes_out,
            })
            .collect();
        Ok(Delivery {
            bytes: outcome.counts.bytes_delivered,
            blobs: outcome.counts.blobs_delivered,
            findings: report.findings.len() as u64,
            findings_digest: digest(&found),
            truth_diff: (!diff.is_exact()).then(|| diff.to_string()),
            stages,
        })
    }
}
