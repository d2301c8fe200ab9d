//! Deterministic inputs for the stage microbenchmarks, shared by `stages.rs`
//! (criterion: time) and `stages_ir.rs` (gungraun: instruction counts), so
//! both instruments measure the same functions on the same bytes.
//!
//! Git stages work on the `medium-test` corpus (the test-size variant of the
//! medium stratum: two packs under a multi-pack-index, 120 commits, 1,120
//! unique blobs), built or reused through `corpora::build` under
//! `corpora::default_root()` (`$SCANNER_CORPORA_DIR` when set). Content for
//! the engine and findings benchmarks comes from the corpora's generators
//! with fixed seeds. Nothing here reads a clock or a random source, so every
//! run sees the same inputs.
//!
//! Main types: [`History`] (selected commits, tree-diff candidates, unique
//! blobs), [`SpillRuns`] (a dedupe holding exactly `k` spilled runs),
//! [`PackEntries`] (inflate and delta inputs copied out of the packs),
//! [`ContentKind`] (the engine's content kinds) and [`report`] (findings to
//! format). [`CASES`] lists every benchmark id with its unit of work.
//!
//! Benchmark ids are `<stage>/<case>`; `docs/benchmarking.md` maps each stage
//! to the end-to-end stage of `git::scan` it isolates.

#![allow(dead_code)] // Each bench target uses a subset.

use corpora::content::{Content, FileKind};
use corpora::rng::Rng;
use corpora::secrets::SecretKind;
use corpora::{Stratum, StratumSpec, build};
use gix::ObjectId;
use scanner::detect::findings::Origin;
use scanner::detect::suppress::Suppressions;
use scanner::detect::{Engine, FindingsSink, Report, RuleSet, ScanOptions, build_report};
use scanner::git::{Selection, TableHashing};
use scanner::internals::{
    Chunk, Dedupe, ENTRY_COST, Mapping, OdbTrees, PackTrees, Packs, Paths, Plan, Repo, Selected,
    StageMetrics, StageTimer, TreeDiff, TreeSource, Unique, apply_delta, diff_commits, entry_at,
    inflate_exact,
};
use scanner::sink::ChangeKind;
use std::path::{Path, PathBuf};

/// Panics with a message naming what failed: benchmark set-up has no caller
/// to return an error to, and a half-built input must not be measured.
pub trait Must<T> {
    fn must(self, what: &str) -> T;
}

impl<T, E: std::fmt::Display> Must<T> for Result<T, E> {
    fn must(self, what: &str) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("benchmark input: {what}: {e}"),
        }
    }
}

impl<T> Must<T> for Option<T> {
    fn must(self, what: &str) -> T {
        match self {
            Some(v) => v,
            None => panic!("benchmark input: {what}"),
        }
    }
}

/// What one iteration of a benchmark processes, for per-unit figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    Bytes(u64),
    Elements(u64),
}

/// The unit a benchmark's elements count (bytes need no name).
pub fn element_unit(stage: &str) -> &'static str {
    match stage {
        "tree_diff" => "tree entries",
        "dedupe_write" | "spill_merge" => "records",
        "mapping" => "OIDs",
        "plan" => "candidates",
        "format" => "findings",
        _ => "elements",
    }
}

/// Every benchmark id, in the order the suites run them.
pub const CASES: [&str; 18] = [
    "tree_diff/full_tree",
    "tree_diff/history",
    "dedupe_write/medium_test",
    "spill_merge/runs_2",
    "spill_merge/runs_16",
    "spill_merge/runs_128",
    "mapping/midx",
    "mapping/idx",
    "plan/medium_test",
    "inflate/blobs",
    "delta_apply/blobs",
    "engine_scan/source_code",
    "engine_scan/minified_js",
    "engine_scan/random_bytes",
    "engine_scan/base64",
    "engine_scan/secret_config",
    "format/json",
    "format/sarif",
];

/// Hash tables keyed by repository data use fixed keys here: with std's
/// per-process random keys (production's default) probe sequences differ
/// between runs, and so did the instruction counts of `dedupe_write` (0.03%)
/// and `plan` (0.5%). The work per hash is the same either way.
pub const HASHING: TableHashing = TableHashing::Fixed;

/// The `medium-test` corpus repository, built if missing (cached by spec).
pub fn corpus_repo() -> PathBuf {
    let root = corpora::default_root();
    let built = build(&Stratum::Medium.test_spec(), &root).must("building the medium-test corpus");
    built.repo
}

/// Budget of the tree caches: large enough that the measured diffs never
/// load a tree (the benchmark isolates the diff walk, not tree loading).
pub const TREE_CACHE: usize = 256 << 20;

/// One introduction found by tree diff, owned.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub oid: ObjectId,
    pub commit: u32,
    pub parent: u32,
    pub path: Vec<u8>,
    pub change: ChangeKind,
}

/// The corpus history as the pipeline sees it after each stage.
pub struct History {
    pub repo_path: PathBuf,
    /// Open for the lifetime of the process: tree sources borrow it.
    pub repo: &'static Repo,
    pub selected: Selected,
    /// Every introduction, in the order tree diff emits them.
    pub candidates: Vec<Candidate>,
    pub uniques: Vec<Unique>,
    pub paths: Paths,
}

impl History {
    /// Selects `--all`, runs tree diff and dedupe (no spilling) once.
    pub fn load() -> History {
        let repo_path = corpus_repo();
        let repo: &'static mut Repo =
            Box::leak(Box::new(Repo::open(&repo_path).must("opening the corpus")));
        let selected = repo
            .select(&Selection::All, &mut StageMetrics::default())
            .must("selecting --all");
        let repo: &'static Repo = repo;
        let mut candidates = Vec::new();
        let (packed, trees) = (TREE_CACHE, TREE_CACHE);
        let mut src = PackTrees::of(repo, packed);
        let mut td = TreeDiff::new(trees);
        diff_commits(
            &mut td,
            &mut src,
            &selected,
            0..selected.commits.len(),
            &mut |oid, commit, parent, path, change| {
                candidates.push(Candidate {
                    oid: *oid,
                    commit,
                    parent,
                    path: path.to_vec(),
                    change,
                });
                Ok(())
            },
        )
        .must("diffing the corpus history");
        let spill = std::env::temp_dir();
        let mut dd = Dedupe::new(usize::MAX, spill, HASHING);
        for c in &candidates {
            dd.offer(&c.oid, c.commit, c.parent, &c.path, c.change)
                .must("dedupe");
        }
        let (uniques, paths, _) = dd.finish(StageTimer::start(None)).must("dedupe finish");
        History {
            repo_path,
            repo,
            selected,
            candidates,
            uniques,
            paths,
        }
    }

    /// The `(old, new)` tree pairs of every diff of the history, newest
    /// commit first (the order `git::scan` diffs them in).
    pub fn tree_pairs(&self) -> Vec<(Option<ObjectId>, ObjectId)> {
        let mut out = Vec::new();
        for c in self.selected.commits.iter().rev() {
            let parents = self.selected.diffed_parent_trees(c);
            if parents.is_empty() {
                out.push((None, c.tree));
            }
            for p in parents {
                out.push((Some(*p), c.tree));
            }
        }
        out
    }

    /// The newest commit's tree, diffed against the empty tree.
    pub fn full_tree_pair(&self) -> Vec<(Option<ObjectId>, ObjectId)> {
        let newest = self.selected.commits.last().must("the corpus has commits");
        vec![(None, newest.tree)]
    }

    /// Tree entries the diffs of `pairs` open: every entry of both versions
    /// of each directory whose id differs (and of every added directory).
    /// An independent count by a naive walk, used as the unit of work.
    pub fn entries_opened(&self, pairs: &[(Option<ObjectId>, ObjectId)]) -> u64 {
        let mut src = OdbTrees::of(self.repo);
        let mut n = 0;
        for (old, new) in pairs {
            n += opened(&mut src, old.as_ref(), new);
        }
        n
    }
}

/// Parsed entries of a raw tree: (name, is a tree, id).
fn entries(src: &mut impl TreeSource, id: &ObjectId) -> Vec<(Vec<u8>, bool, ObjectId)> {
    let mut buf = Vec::new();
    src.load_tree(id, &mut buf).must("loading a tree");
    gix::objs::TreeRefIter::from_bytes(&buf, gix::hash::Kind::Sha1)
        .map(|e| {
            let e = e.must("parsing a tree");
            (e.filename.to_vec(), e.mode.is_tree(), e.oid.to_owned())
        })
        .collect()
}

fn opened(src: &mut impl TreeSource, old: Option<&ObjectId>, new: &ObjectId) -> u64 {
    if old == Some(new) {
        return 0;
    }
    let new_entries = entries(src, new);
    let old_entries = old.map(|o| entries(src, o)).unwrap_or_default();
    let mut n = (new_entries.len() + old_entries.len()) as u64;
    for (name, is_tree, id) in &new_entries {
        if !is_tree {
            continue;
        }
        let before = old_entries
            .iter()
            .find(|(o, t, _)| o == name && *t)
            .map(|(_, _, oid)| *oid);
        n += opened(src, before.as_ref(), id);
    }
    n
}

/// Diffs every pair with a warmed-up differ; returns the candidates found.
pub fn diff_pairs(
    td: &mut TreeDiff,
    src: &mut impl TreeSource,
    pairs: &[(Option<ObjectId>, ObjectId)],
) -> u64 {
    let mut found = 0u64;
    let mut emit = |_: &ObjectId, _: &[u8], _: ChangeKind| {
        found += 1;
        Ok(())
    };
    for (old, new) in pairs {
        td.diff(src, new, old.as_ref(), new, &mut emit)
            .must("tree diff");
    }
    assert!(
        td.damage.is_empty(),
        "benchmark input: damaged trees {:?}",
        td.damage
    );
    found
}

/// Dedupe budget of `dedupe_write`: 512 entries, so the history's
/// candidates spill a few sorted runs.
pub const WRITE_BUDGET_ENTRIES: usize = 512;

/// Offers every candidate to a dedupe that spills into `dir`; returns it
/// (its runs are removed when it is dropped).
pub fn dedupe_write(candidates: &[Candidate], dir: &Path) -> Dedupe {
    let mut dd = Dedupe::new(WRITE_BUDGET_ENTRIES * ENTRY_COST, dir.to_owned(), HASHING);
    for c in candidates {
        dd.offer(&c.oid, c.commit, c.parent, &c.path, c.change)
            .must("dedupe offer");
    }
    dd
}

/// Records spilled in total by the `spill_merge` cases, whatever the runs.
pub const MERGE_RECORDS: usize = 16_384;

/// A dedupe holding exactly `runs` spilled runs of `MERGE_RECORDS / runs`
/// records each and an empty table, ready for `finish` (the k-way merge).
/// Blob ids come from a fixed-seed generator; each id is in two runs, with
/// different commit ranks, so the merge both interleaves and reduces.
pub struct SpillRuns {
    pub dedupe: Option<Dedupe>,
    pub dir: tempfile::TempDir,
}

/// The sorted pool of ids the spill runs draw from.
pub fn merge_pool() -> Vec<ObjectId> {
    let mut rng = Rng::new(0x5EED_6006);
    let mut pool: Vec<ObjectId> = (0..MERGE_RECORDS / 2)
        .map(|_| {
            let mut b = [0u8; 20];
            rng.fill_bytes(&mut b);
            ObjectId::Sha1(b)
        })
        .collect();
    pool.sort_unstable();
    pool.dedup();
    pool
}

pub fn spill_runs(pool: &[ObjectId], runs: usize) -> SpillRuns {
    let dir = tempfile::tempdir().must("creating a spill directory");
    let per_run = MERGE_RECORDS / runs;
    // The table spills when it holds more than budget / ENTRY_COST entries:
    // `per_run - 1` makes it spill exactly at `per_run` distinct ids.
    let mut dd = Dedupe::new((per_run - 1) * ENTRY_COST, dir.path().to_owned(), HASHING);
    for r in 0..runs {
        for i in 0..per_run {
            let oid = pool[(r * per_run / 2 + i) % pool.len()];
            dd.offer(&oid, r as u32, 0, b"p", ChangeKind::Added)
                .must("dedupe offer");
        }
    }
    assert_eq!(
        dd.metrics.spill_runs, runs as u64,
        "spill_merge input: expected {runs} runs"
    );
    SpillRuns {
        dedupe: Some(dd),
        dir,
    }
}

/// Runs the k-way merge (reading the runs back); returns the unique blobs.
pub fn spill_merge(s: &mut SpillRuns) -> usize {
    let dd = s.dedupe.take().must("spill runs are merged once");
    let (uniques, _, _) = dd.finish(StageTimer::start(None)).must("merging runs");
    uniques.len()
}

/// The corpus's objects directory as it is (multi-pack-index), or a copy of
/// it without the multi-pack-index: symbolic links to the same `.idx` and
/// `.pack` files in a temporary directory, so mapping joins each `.idx`;
/// with its packs opened (the repository opens them before mapping runs).
pub struct ObjectsDir {
    pub path: PathBuf,
    pub packs: Packs,
    _tmp: Option<tempfile::TempDir>,
}

pub fn objects_dir(h: &History, midx: bool) -> ObjectsDir {
    let objects = h.repo.objects_dir();
    if midx {
        assert!(
            objects.join("pack").join("multi-pack-index").is_file(),
            "mapping/midx input: {} has no multi-pack-index",
            objects.display()
        );
        return ObjectsDir {
            packs: Packs::open(&objects).must("opening the corpus packs"),
            path: objects,
            _tmp: None,
        };
    }
    let tmp = tempfile::tempdir().must("creating an objects directory");
    let pack = tmp.path().join("pack");
    std::fs::create_dir(&pack).must("creating objects/pack");
    let src = objects.join("pack");
    for e in std::fs::read_dir(&src).must("listing the corpus packs") {
        let p = e.must("listing the corpus packs").path();
        let keep = matches!(p.extension().and_then(|x| x.to_str()), Some("idx" | "pack"));
        if let (true, Some(name)) = (keep, p.file_name()) {
            std::os::unix::fs::symlink(&p, pack.join(name)).must("linking a pack");
        }
    }
    ObjectsDir {
        packs: Packs::open(tmp.path()).must("opening the linked packs"),
        path: tmp.path().to_owned(),
        _tmp: Some(tmp),
    }
}

/// Runs the mapping stage; returns the blobs located.
pub fn map(packs: &Packs, uniques: &[Unique]) -> Mapping {
    scanner::internals::map(packs, uniques, &mut StageMetrics::default()).must("mapping")
}

/// Exec worker count `plan` shapes its chunks for (as in the benchmarks' runs).
pub const PLAN_THREADS: usize = 2;

pub fn plan(packs: &Packs, m: &Mapping, uniques: &[Unique]) -> Plan {
    scanner::internals::plan(
        packs,
        m,
        uniques,
        PLAN_THREADS,
        HASHING,
        &mut StageMetrics::default(),
    )
}

/// Inflate and delta-apply inputs copied out of the corpus packs: every
/// planned whole blob's zlib stream, and every delta whose direct base is a
/// whole object with that base decoded and its instructions inflated.
pub struct PackEntries {
    /// (zlib stream, decompressed size).
    pub whole: Vec<(Vec<u8>, usize)>,
    /// (decoded base, delta instructions, result size).
    pub deltas: Vec<(Vec<u8>, Vec<u8>, usize)>,
}

impl PackEntries {
    pub fn load(h: &History) -> PackEntries {
        let packs = &h.repo.packs;
        let m = map(packs, &h.uniques);
        let p = plan(packs, &m, &h.uniques);
        let mut z = gix::zlib::Decompress::new();
        let mut whole = Vec::new();
        let mut deltas = Vec::new();
        let mut out = Vec::new();
        for chunk in &p.chunks {
            let Chunk::Pack { pack, steps } = chunk else {
                continue;
            };
            let data: &[u8] = packs
                .file(*pack)
                .must("planned pack exists")
                .as_ref()
                .must("planned pack is mapped")
                .data();
            for s in steps {
                let e = entry_at(data, s.offset).must("pack entry");
                let input = &data[e.data_offset as usize..];
                let size = e.decompressed_size as usize;
                use gix::odb::pack::data::entry::Header;
                match e.header {
                    Header::Blob => {
                        let used =
                            inflate_exact(&mut z, input, size, &mut out, s.offset).must("inflate");
                        whole.push((input[..used as usize].to_vec(), size));
                    }
                    Header::OfsDelta { base_distance } => {
                        let Some(b) = Header::verified_base_pack_offset(s.offset, base_distance)
                        else {
                            continue;
                        };
                        let be = entry_at(data, b).must("delta base entry");
                        if be.header.is_delta() {
                            continue;
                        }
                        let mut base = Vec::new();
                        let bin = &data[be.data_offset as usize..];
                        inflate_exact(&mut z, bin, be.decompressed_size as usize, &mut base, b)
                            .must("inflating a delta base");
                        let mut delta = Vec::new();
                        inflate_exact(&mut z, input, size, &mut delta, s.offset)
                            .must("inflating a delta");
                        apply_delta(&base, &delta, &mut out).must("applying a delta");
                        deltas.push((base, delta, out.len()));
                    }
                    _ => {}
                }
            }
        }
        assert!(!whole.is_empty() && !deltas.is_empty(), "pack inputs found");
        PackEntries { whole, deltas }
    }

    pub fn whole_bytes(&self) -> u64 {
        self.whole.iter().map(|(_, n)| *n as u64).sum()
    }

    pub fn delta_bytes(&self) -> u64 {
        self.deltas.iter().map(|(_, _, n)| *n as u64).sum()
    }
}

/// Inflates every whole blob into `out`; returns the bytes produced.
pub fn inflate_all(
    z: &mut gix::zlib::Decompress,
    whole: &[(Vec<u8>, usize)],
    out: &mut Vec<u8>,
) -> u64 {
    let mut n = 0;
    for (input, size) in whole {
        inflate_exact(z, input, *size, out, 0).must("inflate");
        n += out.len() as u64;
    }
    n
}

/// Applies every delta into `out`; returns the bytes produced.
pub fn apply_all(deltas: &[(Vec<u8>, Vec<u8>, usize)], out: &mut Vec<u8>) -> u64 {
    let mut n = 0;
    for (base, delta, _) in deltas {
        apply_delta(base, delta, out).must("delta apply");
        n += out.len() as u64;
    }
    n
}

/// Bytes of each engine input.
pub const CONTENT_BYTES: usize = 64 << 10;

/// The content kinds the engine is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    SourceCode,
    MinifiedJs,
    RandomBytes,
    Base64,
    SecretConfig,
}

impl ContentKind {
    pub fn all() -> [ContentKind; 5] {
        [
            ContentKind::SourceCode,
            ContentKind::MinifiedJs,
            ContentKind::RandomBytes,
            ContentKind::Base64,
            ContentKind::SecretConfig,
        ]
    }

    /// The benchmark case name (`engine_scan/<case>`).
    pub fn case(self) -> &'static str {
        match self {
            ContentKind::SourceCode => "source_code",
            ContentKind::MinifiedJs => "minified_js",
            ContentKind::RandomBytes => "random_bytes",
            ContentKind::Base64 => "base64",
            ContentKind::SecretConfig => "secret_config",
        }
    }

    /// [`CONTENT_BYTES`] of this kind, from a fixed seed.
    pub fn bytes(self) -> Vec<u8> {
        let mut rng = Rng::new(0x5EED_6000 + self as u64);
        let mut out = Vec::with_capacity(CONTENT_BYTES + 4096);
        let mut sites = Vec::new();
        match self {
            ContentKind::SourceCode => {
                // A polyglot repository's source files, one after another.
                for kind in [
                    FileKind::Rust,
                    FileKind::Python,
                    FileKind::Go,
                    FileKind::Java,
                ] {
                    let mut part = Vec::new();
                    Content::generate(kind, &mut rng, CONTENT_BYTES / 4)
                        .materialize(&mut part, &mut sites);
                    out.extend_from_slice(&part);
                }
            }
            ContentKind::MinifiedJs => {
                Content::generate(FileKind::MinifiedJs, &mut rng, CONTENT_BYTES)
                    .materialize(&mut out, &mut sites);
            }
            ContentKind::RandomBytes => {
                out.resize(CONTENT_BYTES, 0);
                rng.fill_bytes(&mut out);
            }
            ContentKind::Base64 => {
                const B64: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                while out.len() < CONTENT_BYTES {
                    out.extend_from_slice(rng.string_from(B64, 76).as_bytes());
                    out.push(b'\n');
                }
            }
            ContentKind::SecretConfig => {
                // An .env file with a real-looking secret every fourth line.
                let mut filler = Vec::new();
                Content::generate(FileKind::Env, &mut rng, CONTENT_BYTES)
                    .materialize(&mut filler, &mut sites);
                for (i, line) in filler.split_inclusive(|&b| b == b'\n').enumerate() {
                    if out.len() >= CONTENT_BYTES {
                        break;
                    }
                    out.extend_from_slice(line);
                    if i % 4 == 3 {
                        let planted = rng.pick(SecretKind::all()).generate(&mut rng);
                        out.extend_from_slice(planted.text.as_bytes());
                    }
                }
            }
        }
        out.truncate(CONTENT_BYTES);
        out
    }
}

/// The engine with every embedded rule loaded.
pub fn engine() -> Engine {
    Engine::new(RuleSet::embedded().must("embedded rules")).must("building the engine")
}

/// The findings of the secret-dense config, as a sorted report.
pub fn report(engine: &Engine) -> Report {
    let bytes = ContentKind::SecretConfig.bytes();
    let blob = ObjectId::Sha1([0x11; 20]);
    let commit = ObjectId::Sha1([0x22; 20]);
    let mut sink = FindingsSink::new(engine, ScanOptions::default(), None);
    let origin = Origin {
        blob: Some(&blob),
        commit: Some(&commit),
        tag: None,
        path: b"config/production.env",
    };
    sink.scan_blob(&origin, &bytes);
    let r = build_report(engine, [sink], &Suppressions::default());
    assert!(
        r.findings.len() > 100,
        "format input: {} findings",
        r.findings.len()
    );
    r
}
