//! Profiling the scan: where, in the code, a workload spends its time.
//!
//! [`profile`] writes one build's profile of one workload into a folder:
//! the sampled side (warm iterations in this process under `pprof`'s
//! SIGPROF sampler, which needs no hardware PMU: `sampled.folded`,
//! `sampled.svg`, `sampled.pb` in pprof's protobuf format, each sample
//! attributed to a pipeline stage) and the exact side (one scan under
//! callgrind, run as `valgrind … harness profile-scan`: the raw
//! `callgrind.out`, parsed by `harness_analysis::callgrind`), with
//! `profile.json` and `profile.md` summarising both. [`diff`] compares two
//! such folders (`profile-diff-<workload>.{json,md,svg}`), and
//! [`attach_to_compare`] adds the diffs to a compare's `comment.md` and
//! `report.html`.
//!
//! Invariants: only the scan is counted on the exact side (callgrind zeroes
//! its counters on entering [`callgrind_scan`] and dumps on leaving it; the
//! rules' compilation and the corpus checks are outside), which runs with
//! one thread and fixed table hashing so the same build always executes the
//! same instructions; outputs hold symbols, file names and counts only,
//! never blob bytes or findings; a cached profile is reused only for the
//! same commit (never a dirty tree) and the same [`ProfileConfig`].

use crate::measure::{MeasureError, Workload};
use crate::scan_workload::ScanWorkload;
use harness_analysis::callgrind;
use harness_analysis::profile::{self as analysis, DiffSides, SamplerRun};
use harness_model::compare::{CompareFile, Revision};
use harness_model::profile::{
    FoldedStacks, ProfileConfig, ProfileDiffFile, ProfileFile, profile_schema, read_profile,
    write_profile, write_profile_diff,
};
use harness_model::workload::RepoWorkload;
use harness_model::{DocumentError, Stratum, WorkloadId};
use harness_report::charts::flame::{FlameError, differential_flame_graph, flame_graph};
use harness_report::profile::{WhereInput, add_where_section, diff_markdown, where_section};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

/// Rows kept in the tables of `profile.json` (sampled) and the Markdown.
pub const TOP_FUNCTIONS: usize = 40;

/// The function callgrind's counters are zeroed before and dumped after.
pub const CALLGRIND_SCOPE: &str = "harness::profile::callgrind_scan";

/// Why a profile could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProfileRunError {
    #[error(transparent)]
    Measure(#[from] MeasureError),
    #[error("the sampler: {0}")]
    Sampler(String),
    #[error("running {what}: {source}")]
    Spawn {
        what: String,
        source: std::io::Error,
    },
    #[error("{what} failed ({status}); its stderr ends: {tail}")]
    Failed {
        what: String,
        status: std::process::ExitStatus,
        tail: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Callgrind {
        path: PathBuf,
        source: callgrind::CallgrindError,
    },
    #[error(
        "{path}: callgrind wrote no part dumped by {CALLGRIND_SCOPE} (was it inlined or never called?)"
    )]
    NoScanPart { path: PathBuf },
    #[error(transparent)]
    Analysis(#[from] analysis::ProfileError),
    #[error(transparent)]
    Flame(#[from] FlameError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("{path}: {source}")]
    Folded {
        path: PathBuf,
        source: harness_model::profile::FoldedError,
    },
    #[error("{0}")]
    Report(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProfileRunError + '_ {
    move |source| ProfileRunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ProfileRunError> {
    std::fs::write(path, bytes).map_err(io(path))
}

/// Which workload, from where.
#[derive(Clone, Debug)]
pub enum Target {
    Stratum {
        stratum: Stratum,
        corpora_root: PathBuf,
        test_size: bool,
    },
    /// A repository from the workloads file (named again for `profile-scan`).
    Repo {
        workload: RepoWorkload,
        workloads_file: PathBuf,
    },
}

impl Target {
    pub fn id(&self) -> WorkloadId {
        match self {
            Target::Stratum { stratum, .. } => (*stratum).into(),
            Target::Repo { workload, .. } => workload.id.clone(),
        }
    }

    /// The workload, loaded (corpora from another revision's generator are
    /// accepted: a compare profiles both sides on the same corpora).
    pub fn load(&self, threads: usize) -> Result<ScanWorkload, MeasureError> {
        let engine = Arc::new(scanner::detect::load_engine(None)?);
        match self {
            Target::Stratum {
                stratum,
                corpora_root,
                test_size,
            } => ScanWorkload::load(*stratum, corpora_root, *test_size, true, threads, engine),
            Target::Repo { workload, .. } => ScanWorkload::repo(workload, threads, engine),
        }
    }
}

/// One profile to make.
#[derive(Clone, Debug)]
pub struct ProfileJob {
    pub target: Target,
    pub revision: Revision,
    pub config: ProfileConfig,
    /// Warm-ups of the sampled side (not sampled).
    pub warmup: usize,
    /// With `config.iterations == 0`: sample until this much wall time.
    pub min_seconds: f64,
    pub threads: usize,
    /// The profile's folder.
    pub out: PathBuf,
    /// This binary, which callgrind runs as `profile-scan`.
    pub harness: PathBuf,
}

/// A profile folder's name prefix for `revision`: its short commit,
/// `-dirty` for uncommitted changes, `-test` for the test-sized corpora.
pub fn label(revision: &Revision, test_size: bool) -> String {
    let mut s = short_rev(revision);
    if test_size {
        s.push_str("-test");
    }
    s
}

/// The folder of `workload`'s profile under `root` with `label`.
pub fn folder(root: &Path, label: &str, workload: &WorkloadId) -> PathBuf {
    root.join(format!("{label}-{workload}"))
}

/// The profile in `dir` when it was made from `revision`'s commit with
/// `config` (a dirty tree is never reused).
pub fn cached(dir: &Path, revision: &Revision, config: &ProfileConfig) -> Option<ProfileFile> {
    if revision.dirty || revision.commit.is_empty() {
        return None;
    }
    let file = read_profile(&dir.join("profile.json")).ok()?;
    (file.revision.commit == revision.commit && !file.revision.dirty && &file.config == config)
        .then_some(file)
}

/// Makes the profile `job` asks for, writing its folder.
pub fn profile(job: &ProfileJob) -> Result<ProfileFile, ProfileRunError> {
    std::fs::create_dir_all(&job.out).map_err(io(&job.out))?;
    let sampled = if job.config.sampled {
        Some(sample(job)?)
    } else {
        None
    };
    let exact = if job.config.exact {
        Some(exact(job)?)
    } else {
        None
    };
    let file = ProfileFile {
        schema: profile_schema(),
        created: crate::clock::now_rfc3339(),
        revision: job.revision.clone(),
        workload: job.target.id(),
        config: job.config.clone(),
        sampled,
        exact,
    };
    write_profile(&file, &job.out.join("profile.json"))?;
    let md = job.out.join("profile.md");
    write_file(
        &md,
        harness_report::profile::profile_markdown(&file, TOP_FUNCTIONS).as_bytes(),
    )?;
    Ok(file)
}

/// Warm iterations under the sampler: folded stacks, flame graph, pprof.
fn sample(job: &ProfileJob) -> Result<harness_model::profile::SampledProfile, ProfileRunError> {
    let mut workload = job.target.load(job.threads)?;
    workload.prepare()?;
    // Warm-ups are checked (a profile of a scan that misses secrets would
    // profile something else); the sampled iterations then only run.
    for i in 0..job.warmup.max(1) {
        let out = workload.run(i)?;
        let delivery = workload.check(out)?;
        if let Some(diff) = delivery.truth_diff {
            return Err(MeasureError::Truth {
                stratum: job.target.id().to_string(),
                iteration: i,
                diff,
            }
            .into());
        }
    }
    let sampler = |e: pprof::Error| ProfileRunError::Sampler(e.to_string());
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(i32::try_from(job.config.frequency_hz).unwrap_or(i32::MAX))
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()
        .map_err(sampler)?;
    let started = Instant::now();
    let mut iterations = 0;
    loop {
        std::hint::black_box(workload.run(iterations)?);
        iterations += 1;
        let enough = if job.config.iterations > 0 {
            iterations >= job.config.iterations
        } else {
            iterations >= 3 && started.elapsed().as_secs_f64() >= job.min_seconds
        };
        if enough {
            break;
        }
    }
    let report = guard.report().build().map_err(sampler)?;
    drop(guard);
    let mut folded = FoldedStacks::default();
    for (frames, &count) in &report.data {
        // pprof gives frames leaf first, each with its inlined functions
        // innermost first: flattened, that is the stack from the leaf.
        // Inlined functions carry only their short name in line tables:
        // their source file gives back the module path stages are told by.
        let leaf_first: Vec<String> = frames
            .frames
            .iter()
            .flat_map(|f| f.iter())
            .map(|sym| {
                let file = sym.filename.as_ref().map(|p| p.to_string_lossy());
                analysis::qualify(&sym.name(), file.as_deref())
            })
            .collect();
        folded.add_leaf_first(&leaf_first, u64::try_from(count).unwrap_or(0));
    }
    write_file(&job.out.join("sampled.folded"), folded.to_text().as_bytes())?;
    let title = format!("{} at {}", job.target.id(), short_rev(&job.revision));
    if folded.total() > 0 {
        let svg = flame_graph(&folded, &title)?;
        write_file(&job.out.join("sampled.svg"), svg.as_bytes())?;
    }
    let pb = {
        use pprof::protos::Message;
        report.pprof().map_err(sampler)?.encode_to_vec()
    };
    write_file(&job.out.join("sampled.pb"), &pb)?;
    Ok(analysis::sampled_profile(
        &folded,
        SamplerRun {
            frequency_hz: job.config.frequency_hz,
            warmup: job.warmup.max(1),
            iterations,
            threads: job.threads,
        },
        TOP_FUNCTIONS,
    ))
}

fn short_rev(r: &Revision) -> String {
    let mut s: String = r.commit.chars().take(10).collect();
    if s.is_empty() {
        s = r.rev.clone();
    }
    if r.dirty {
        s.push_str("-dirty");
    }
    s
}

/// The arguments `profile-scan` takes to find `target` again.
fn target_args(target: &Target) -> Vec<String> {
    match target {
        Target::Stratum {
            stratum,
            corpora_root,
            test_size,
        } => {
            let mut a = vec![
                "--strata".to_string(),
                stratum.to_string(),
                "--corpora".to_string(),
                corpora_root.to_string_lossy().into_owned(),
            ];
            if *test_size {
                a.push("--test-size".into());
            }
            a
        }
        Target::Repo {
            workload,
            workloads_file,
        } => vec![
            "--strata".into(),
            "none".into(),
            "--workloads".into(),
            workload.id.to_string(),
            "--workloads-file".into(),
            workloads_file.to_string_lossy().into_owned(),
        ],
    }
}

/// One scan under callgrind; the raw file is kept as `callgrind.out`.
fn exact(job: &ProfileJob) -> Result<harness_model::profile::ExactProfile, ProfileRunError> {
    let raw = job.out.join("callgrind.out");
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", raw.display()))
        .arg(format!("--zero-before={CALLGRIND_SCOPE}"))
        .arg(format!("--dump-after={CALLGRIND_SCOPE}"))
        .arg(format!(
            "--cache-sim={}",
            if job.config.cache_sim { "yes" } else { "no" }
        ))
        .arg(&job.harness)
        .arg("profile-scan")
        .args(target_args(&job.target));
    let what = "valgrind --tool=callgrind harness profile-scan".to_string();
    let out = cmd.output().map_err(|source| ProfileRunError::Spawn {
        what: what.clone(),
        source,
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err.lines().rev().take(8).collect::<Vec<_>>().join(" / ");
        return Err(ProfileRunError::Failed {
            what,
            status: out.status,
            tail,
        });
    }
    // The dump on leaving the scan is part 1 (`callgrind.out.1`); what
    // callgrind writes at exit (`callgrind.out`) is the teardown.
    let part = job.out.join("callgrind.out.1");
    let text = std::fs::read_to_string(&part)
        .map_err(|_| ProfileRunError::NoScanPart { path: part.clone() })?;
    let cg = callgrind::parse(&text).map_err(|source| ProfileRunError::Callgrind {
        path: part.clone(),
        source,
    })?;
    if !cg
        .trigger
        .as_deref()
        .is_some_and(|t| t.contains(CALLGRIND_SCOPE))
    {
        return Err(ProfileRunError::NoScanPart { path: part });
    }
    std::fs::rename(&part, &raw).map_err(io(&raw))?;
    Ok(analysis::exact_profile(&cg, "callgrind.out")?)
}

/// The scan callgrind counts: kept out of line so its symbol exists for
/// `--zero-before`/`--dump-after`.
#[inline(never)]
pub fn callgrind_scan(
    workload: &mut ScanWorkload,
) -> Result<<ScanWorkload as Workload>::Output, MeasureError> {
    workload.run(1)
}

/// `harness profile-scan`: what runs under callgrind. One warm-up scan,
/// then the counted one, both deterministic; the counted scan's findings
/// are checked after the dump.
pub fn profile_scan(target: &Target) -> Result<(), MeasureError> {
    let mut workload = target.load(1)?;
    workload.make_deterministic();
    workload.prepare()?;
    let warm = workload.run(0)?;
    workload.check(warm)?;
    let out = callgrind_scan(&mut workload)?;
    let delivery = workload.check(out)?;
    match delivery.truth_diff {
        Some(diff) => Err(MeasureError::Truth {
            stratum: target.id().to_string(),
            iteration: 1,
            diff,
        }),
        None => Ok(()),
    }
}

/// Rows of the movers tables written beside a diff.
pub const DIFF_ROWS: usize = 40;

/// The diff of two profile folders of `workload`, written into `out` as
/// `profile-diff-<workload>.{json,md}` and, when both sides were sampled,
/// the differential flame graph `profile-diff-<workload>.svg`.
pub fn diff(
    base_dir: &Path,
    head_dir: &Path,
    out: &Path,
) -> Result<(ProfileDiffFile, Option<String>), ProfileRunError> {
    let base = read_profile(&base_dir.join("profile.json"))?;
    let head = read_profile(&head_dir.join("profile.json"))?;
    let (Some(be), Some(he)) = (&base.exact, &head.exact) else {
        return Err(ProfileRunError::Report(format!(
            "{} and {} need exact (callgrind) profiles to be diffed",
            base_dir.display(),
            head_dir.display()
        )));
    };
    let sides = DiffSides {
        workload: &head.workload,
        base: &base.revision,
        head: &head.revision,
    };
    let mut d = analysis::diff(sides, be, he)?;
    let stem = format!("profile-diff-{}", head.workload);
    std::fs::create_dir_all(out).map_err(io(out))?;
    let folded = |dir: &Path| -> Result<Option<FoldedStacks>, ProfileRunError> {
        let path = dir.join("sampled.folded");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        FoldedStacks::parse(&text)
            .map(Some)
            .map_err(|source| ProfileRunError::Folded { path, source })
    };
    let mut svg = None;
    if let (Some(b), Some(h)) = (folded(base_dir)?, folded(head_dir)?)
        && b.total() > 0
        && h.total() > 0
    {
        let title = format!(
            "{}: {} → {}",
            head.workload,
            short_rev(&base.revision),
            short_rev(&head.revision)
        );
        let text = differential_flame_graph(&b, &h, &title)?;
        let name = format!("{stem}.svg");
        write_file(&out.join(&name), text.as_bytes())?;
        d.flame_graph = Some(name);
        svg = Some(text);
    }
    write_profile_diff(&d, &out.join(format!("{stem}.json")))?;
    write_file(
        &out.join(format!("{stem}.md")),
        diff_markdown(&d, DIFF_ROWS).as_bytes(),
    )?;
    Ok((d, svg))
}

/// Adds the diffs to a compare's outputs in `out`: the collapsed "where"
/// section at the end of `comment.md`, the profile section of `report.html`.
pub fn attach_to_compare(
    out: &Path,
    file: &CompareFile,
    diffs: &[(ProfileDiffFile, Option<String>)],
) -> Result<(), ProfileRunError> {
    if diffs.is_empty() {
        return Ok(());
    }
    let docs: Vec<ProfileDiffFile> = diffs.iter().map(|(d, _)| d.clone()).collect();
    let mut comment = harness_report::comment::render_comment(file);
    if !comment.ends_with('\n') {
        comment.push('\n');
    }
    comment.push('\n');
    comment.push_str(&where_section(&docs));
    write_file(&out.join("comment.md"), comment.as_bytes())?;
    let mut page = harness_report::compare_report_page(file)
        .map_err(|e| ProfileRunError::Report(e.to_string()))?;
    let inputs: Vec<WhereInput<'_>> = diffs
        .iter()
        .map(|(d, svg)| WhereInput {
            diff: d,
            flame_svg: svg.as_deref(),
        })
        .collect();
    add_where_section(&mut page, &inputs, DIFF_ROWS)
        .map_err(|e| ProfileRunError::Report(e.to_string()))?;
    write_file(&out.join("report.html"), page.render().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::compare::parse_compare;
    use harness_model::profile::{FunctionDelta, PipelineStage};

    #[test]
    fn diffs_are_added_to_the_compare_outputs() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/compare.json"
        ));
        let text = std::fs::read_to_string(path).unwrap();
        let file = parse_compare(&text, path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rev = |c: &str| Revision {
            rev: c.into(),
            commit: c.into(),
            dirty: false,
        };
        let diff = ProfileDiffFile {
            schema: profile_schema(),
            workload: Stratum::Small.into(),
            base: rev("aaaaaaa"),
            head: rev("bbbbbbb"),
            event: "Ir".into(),
            base_total: 100,
            head_total: 110,
            stages: Vec::new(),
            movers: vec![FunctionDelta {
                function: "scanner::detect::engine::slow".into(),
                stage: PipelineStage::Detect,
                base_exclusive: 0,
                head_exclusive: 10,
                base_inclusive: 0,
                head_inclusive: 10,
                delta_exclusive: 10,
                delta_inclusive: 10,
            }],
            flame_graph: None,
        };
        attach_to_compare(dir.path(), &file, &[]).unwrap();
        assert!(
            !dir.path().join("comment.md").exists(),
            "no diffs: untouched"
        );
        attach_to_compare(dir.path(), &file, &[(diff, Some("<svg/>".into()))]).unwrap();
        let comment = std::fs::read_to_string(dir.path().join("comment.md")).unwrap();
        let plain = harness_report::comment::render_comment(&file);
        assert!(comment.starts_with(plain.trim_end()), "the comment is kept");
        assert!(comment.contains("`scanner::detect::engine::slow`"));
        assert!(comment.trim_end().ends_with("</details>"));
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(html.contains("Where: profiles"));
        assert!(html.contains("data:image/svg+xml;base64,"));
    }
}
