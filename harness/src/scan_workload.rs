//! The real workload: one complete scan of a repository through the
//! scanner library, with fresh scanner state each run (options, sinks,
//! caches; the compiled rule set is immutable and shared).
//!
//! [`ScanWorkload::load`] finds a stratum's corpus (never generated here:
//! `cargo xtask corpora` does that) and checks its manifest against this
//! build's spec; [`ScanWorkload::repo`] takes a real repository declared in
//! the workloads file, which has no ground truth: instead its blob set is
//! listed once when the session opens and its digest is part of what both
//! sides of a compare must agree on. [`Workload::prepare`] reads every file
//! of the repository once so the page cache is warm and equal for all
//! iterations; the measured [`Workload::run`] is `git::scan` plus building
//! the report, and the unmeasured [`Workload::check`] refuses partial scans
//! (for a real repository: scans that skip other objects than the listing
//! did, so a partial clone's missing blobs are not damage) and holds a
//! stratum's findings against its manifest's ground truth.

use crate::measure::{Delivery, MeasureError, Workload};
use crate::truth;
use corpora::StratumSpec;
use corpora::build::load_manifest;
use corpora::manifest::{ExpectedFinding, Manifest, ScanSelection};
use harness_model::protocol::CorpusInfo;
use harness_model::results::StageSample;
use harness_model::workload::{RepoSelection, RepoWorkload};
use harness_model::{Stratum, WorkloadId};
use scanner::detect::suppress::Suppressions;
use scanner::detect::{Engine, FindingsSinkFactory, Report, ScanOptions, build_report};
use scanner::git::{self, Options, Outcome, Selection, Status};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One stratum's corpus, scanned with a shared rule set.
pub struct ScanWorkload {
    id: WorkloadId,
    repo: PathBuf,
    /// A stratum's ground truth; `None` for a real repository.
    manifest: Option<Manifest>,
    /// What both sides of a compare must agree they scan.
    corpus: CorpusInfo,
    /// A real repository's objects a scan cannot read (a partial clone's
    /// missing blobs), sorted, as the listing at open found them: a scan
    /// that skips exactly these is complete for this repository. Empty for
    /// a stratum, whose every skip is damage.
    known_skips: Vec<gix::ObjectId>,
    options: Options,
    engine: Arc<Engine>,
}

impl std::fmt::Debug for ScanWorkload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanWorkload")
            .field("id", &self.id)
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
        let name = stratum.to_string();
        let manifest_path = dir.join("manifest.json");
        let repo = dir.join("repo.git");
        if !manifest_path.exists() || !repo.exists() {
            return Err(MeasureError::CorpusMissing {
                stratum: name,
                path: dir,
            });
        }
        let manifest = load_manifest(&manifest_path).map_err(|e| MeasureError::CorpusCorrupt {
            stratum: name.clone(),
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
        let corpus = CorpusInfo {
            stratum: stratum.into(),
            head: manifest.head.clone(),
            spec_key: manifest.spec_key.clone(),
            selection: manifest.selection.describe(),
        };
        Ok(ScanWorkload {
            id: stratum.into(),
            repo,
            manifest: Some(manifest),
            corpus,
            options,
            engine,
            known_skips: Vec::new(),
        })
    }

    /// Counts the scanner's per-stage allocations with `alloc` (the
    /// binary's counting allocator), or not at all.
    pub fn count_allocations(&mut self, alloc: Option<fn() -> scanner::git::AllocSnapshot>) {
        self.options.alloc_counter = alloc;
    }

    /// A real repository (`w` from the workloads file), scanned with
    /// `threads` unless it names its own count.
    pub fn repo(
        w: &RepoWorkload,
        threads: usize,
        engine: Arc<Engine>,
    ) -> Result<ScanWorkload, MeasureError> {
        let mut opts = Options::new(&w.path);
        opts.selection = match &w.selection {
            RepoSelection::All => Selection::All,
            RepoSelection::Range(r) => Selection::Range(r.clone()),
            RepoSelection::Refs(refs) => Selection::Refs(refs.clone()),
        };
        opts.threads = w.threads.unwrap_or(threads);
        let name = w.id.to_string();
        let head = crate::environment::git(&w.path, &["rev-parse", "HEAD"]).ok_or_else(|| {
            MeasureError::CorpusCorrupt {
                stratum: name.clone(),
                path: w.path.clone(),
                reason: "git cannot read its HEAD".into(),
            }
        })?;
        let (blobs, known_skips) = blob_set(&opts).map_err(|source| MeasureError::Scan {
            stratum: name.clone(),
            source,
        })?;
        Ok(ScanWorkload {
            id: w.id.clone(),
            repo: w.path.clone(),
            manifest: None,
            corpus: CorpusInfo {
                stratum: w.id.clone(),
                head,
                spec_key: format!("blobs:{blobs}"),
                selection: w.selection.describe(),
            },
            options: opts,
            engine,
            known_skips,
        })
    }
}

impl ScanWorkload {
    /// Scans with one thread and fixed table hashing from now on, so two
    /// runs of the same build execute the same instructions (what a
    /// callgrind profile needs to be comparable across builds).
    pub fn make_deterministic(&mut self) {
        self.options.threads = 1;
        self.options.table_hashing = git::TableHashing::Fixed;
    }
}

/// Collects blob ids (one sink per worker).
struct OidSink(Vec<gix::ObjectId>);

impl scanner::sink::BlobSink for OidSink {
    type Error = std::convert::Infallible;
    fn blob(&mut self, ctx: &scanner::sink::BlobContext<'_>, _: &[u8]) -> Result<(), Self::Error> {
        self.0.push(*ctx.oid);
        Ok(())
    }
}

struct OidSinks;

impl scanner::sink::SinkFactory for OidSinks {
    type Sink = OidSink;
    fn make(&self, _worker: usize) -> OidSink {
        OidSink(Vec::new())
    }
}

/// SHA-256 over the sorted blob ids one scan delivers (the blob set, with
/// the number of objects it skipped), and the skipped ids, sorted.
fn blob_set(opts: &Options) -> Result<(String, Vec<gix::ObjectId>), git::Error> {
    use sha2::Digest;
    let (outcome, sinks) = git::scan(opts, &OidSinks)?;
    let mut oids: Vec<gix::ObjectId> = sinks.into_iter().flat_map(|s| s.0).collect();
    oids.sort_unstable();
    let mut h = sha2::Sha256::new();
    for oid in &oids {
        h.update(oid.as_bytes());
    }
    let skips = sorted_skips(&outcome);
    let mut key = format!("{} {}", oids.len(), hex::encode(h.finalize()));
    if !skips.is_empty() {
        key.push_str(&format!(" skipped {}", skips.len()));
    }
    Ok((key, skips))
}

fn sorted_skips(outcome: &Outcome) -> Vec<gix::ObjectId> {
    let mut skips: Vec<gix::ObjectId> = outcome.skipped.iter().map(|s| s.oid).collect();
    skips.sort_unstable();
    skips
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

    fn id(&self) -> &WorkloadId {
        &self.id
    }

    fn corpus(&self) -> CorpusInfo {
        self.corpus.clone()
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
                stratum: self.id.to_string(),
                source,
            })?;
        let report = build_report(&self.engine, sinks, &Suppressions::default());
        Ok((outcome, report))
    }

    fn check(&mut self, (outcome, report): (Outcome, Report)) -> Result<Delivery, MeasureError> {
        if outcome.status == Status::Partial && sorted_skips(&outcome) != self.known_skips {
            return Err(MeasureError::Partial {
                stratum: self.id.to_string(),
                skipped: outcome.skipped.len(),
            });
        }
        let found = truth::found(&report);
        let truth_diff = self
            .manifest
            .as_ref()
            .map(|m| truth::check(m, &found, false))
            .filter(|d| !d.is_exact())
            .map(|d| d.to_string());
        let stages = git::Stage::all()
            .into_iter()
            .map(|stage| {
                let f = outcome.stages.flow(stage);
                StageSample {
                    stage: stage.to_string(),
                    wall_ns: f.wall_ns,
                    items_in: f.items_in,
                    items_out: f.items_out,
                    bytes_in: f.bytes_in,
                    bytes_out: f.bytes_out,
                }
            })
            .collect();
        Ok(Delivery {
            bytes: outcome.counts.bytes_delivered,
            blobs: outcome.counts.blobs_delivered,
            findings: report.findings.len() as u64,
            findings_digest: digest(&found),
            truth_diff,
            stages,
        })
    }
}
