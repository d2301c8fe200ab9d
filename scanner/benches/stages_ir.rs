//! Per-stage microbenchmarks, instruction counts (gungraun under callgrind):
//! the same functions on the same inputs as `stages.rs`, measured once each
//! under valgrind. Instructions (Ir) are deterministic, so they gate at 2%
//! without statistics; estimated cycles come from callgrind's cache model.
//!
//! Each `#[library_benchmark]` function is named after its stage and each
//! `#[bench::<case>]` after its case, which gives the ids `<stage>/<case>`.
//! Set-up (building inputs, warming caches and buffers) runs in `setup`
//! functions, which callgrind does not count; inputs are leaked so that
//! dropping them is not counted either. Set-up is also what keeps the counts
//! identical from run to run: repository-keyed hash tables use fixed keys
//! (`inputs::HASHING`) and the engine is built on a helper thread
//! (`engine_apart`); see "Determinism" in `docs/benchmarking.md`.
//!
//! Needs valgrind and `gungraun-runner` 0.20.0 (`scripts/setup.sh`):
//! `cargo bench -p scanner --bench stages_ir -- --save-summary=json`.

mod inputs;

use gungraun::{LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main};
use inputs::*;
use scanner::detect::format::Format;
use scanner::detect::{Engine, Report, Scratch};
use scanner::internals::{Dedupe, Mapping, PackTrees, Plan, TreeDiff, Unique};
use std::hint::black_box;

/// Gives an input a static lifetime, so it is never dropped while counted.
fn leak<T>(v: T) -> &'static mut T {
    Box::leak(Box::new(v))
}

struct TreeDiffInput {
    td: TreeDiff,
    src: PackTrees<'static>,
    pairs: Vec<(Option<gix::ObjectId>, gix::ObjectId)>,
}

fn setup_tree_diff(full: bool) -> &'static mut TreeDiffInput {
    let h = leak(History::load());
    let pairs = if full {
        h.full_tree_pair()
    } else {
        h.tree_pairs()
    };
    let mut src = PackTrees::of(h.repo, TREE_CACHE);
    let mut td = TreeDiff::new(TREE_CACHE);
    diff_pairs(&mut td, &mut src, &pairs);
    leak(TreeDiffInput { td, src, pairs })
}

#[library_benchmark]
#[bench::full_tree(args = (true), setup = setup_tree_diff)]
#[bench::history(args = (false), setup = setup_tree_diff)]
fn tree_diff(i: &'static mut TreeDiffInput) -> u64 {
    black_box(diff_pairs(&mut i.td, &mut i.src, &i.pairs))
}

struct WriteInput {
    h: History,
    dir: tempfile::TempDir,
}

fn setup_dedupe_write() -> &'static WriteInput {
    let h = History::load();
    let dir = tempfile::tempdir().must("creating a spill directory");
    leak(WriteInput { h, dir })
}

#[library_benchmark]
#[bench::medium_test(setup = setup_dedupe_write)]
fn dedupe_write(i: &'static WriteInput) -> &'static mut Dedupe {
    // Leaked: removing the runs is not part of writing them.
    leak(black_box(inputs::dedupe_write(
        &i.h.candidates,
        i.dir.path(),
    )))
}

fn setup_spill_merge(runs: usize) -> &'static mut SpillRuns {
    leak(spill_runs(&merge_pool(), runs))
}

#[library_benchmark]
#[bench::runs_2(args = (2), setup = setup_spill_merge)]
#[bench::runs_16(args = (16), setup = setup_spill_merge)]
#[bench::runs_128(args = (128), setup = setup_spill_merge)]
fn spill_merge(s: &'static mut SpillRuns) -> usize {
    black_box(inputs::spill_merge(s))
}

fn setup_mapping(midx: bool) -> (&'static ObjectsDir, &'static [Unique]) {
    let h = leak(History::load());
    (leak(objects_dir(h, midx)), &h.uniques)
}

#[library_benchmark]
#[bench::midx(args = (true), setup = setup_mapping)]
#[bench::idx(args = (false), setup = setup_mapping)]
fn mapping(i: (&'static ObjectsDir, &'static [Unique])) -> &'static mut Mapping {
    leak(black_box(map(&i.0.packs, i.1)))
}

fn setup_plan() -> (&'static History, &'static Mapping) {
    let h = leak(History::load());
    let m = leak(map(&h.repo.packs, &h.uniques));
    (h, m)
}

#[library_benchmark]
#[bench::medium_test(setup = setup_plan)]
fn plan(i: (&'static History, &'static Mapping)) -> &'static mut Plan {
    leak(black_box(inputs::plan(&i.0.repo.packs, i.1, &i.0.uniques)))
}

struct DecodeInput {
    p: PackEntries,
    z: gix::zlib::Decompress,
    out: Vec<u8>,
}

fn setup_decode() -> &'static mut DecodeInput {
    let h = History::load();
    let p = PackEntries::load(&h);
    let mut i = DecodeInput {
        p,
        z: gix::zlib::Decompress::new(),
        out: Vec::new(),
    };
    // Grow the output buffer to the largest object, as a worker's would be.
    inflate_all(&mut i.z, &i.p.whole, &mut i.out);
    apply_all(&i.p.deltas, &mut i.out);
    leak(i)
}

#[library_benchmark]
#[bench::blobs(setup = setup_decode)]
fn inflate(i: &'static mut DecodeInput) -> u64 {
    black_box(inflate_all(&mut i.z, &i.p.whole, &mut i.out))
}

#[library_benchmark]
#[bench::blobs(setup = setup_decode)]
fn delta_apply(i: &'static mut DecodeInput) -> u64 {
    black_box(apply_all(&i.p.deltas, &mut i.out))
}

/// The engine, built on a helper thread.
// Compiling the rules leaves a heap whose layout differs from one process to
// the next (the divergence starts inside `RuleSet::embedded`, in the regex
// compilers; parsing the TOML is deterministic). On the main thread that
// moved every later allocation: `format/sarif` counted up to 3.4% more
// instructions in one run than in the next (malloc_consolidate, free-list
// walks) and `engine_scan/secret_config` ±0.02% (`memcmp` on input slices
// whose page offsets moved). glibc gives the helper thread its own arena, so
// the main arena, which holds the inputs, the scratch and everything the
// measured code allocates, is laid out the same in every run.
fn engine_apart() -> Engine {
    std::thread::spawn(inputs::engine)
        .join()
        .unwrap_or_else(|_| panic!("benchmark input: building the engine panicked"))
}

struct ScanInput {
    engine: Engine,
    scratch: Scratch,
    bytes: Vec<u8>,
}

fn setup_scan(kind: ContentKind) -> &'static mut ScanInput {
    let engine = engine_apart();
    let mut scratch = engine.scratch();
    let bytes = kind.bytes();
    // Warm-up: lazy-DFA caches and match buffers reach their working size.
    engine.scan(&mut scratch, &bytes);
    leak(ScanInput {
        engine,
        scratch,
        bytes,
    })
}

#[library_benchmark]
#[bench::source_code(args = (ContentKind::SourceCode), setup = setup_scan)]
#[bench::minified_js(args = (ContentKind::MinifiedJs), setup = setup_scan)]
#[bench::random_bytes(args = (ContentKind::RandomBytes), setup = setup_scan)]
#[bench::base64(args = (ContentKind::Base64), setup = setup_scan)]
#[bench::secret_config(args = (ContentKind::SecretConfig), setup = setup_scan)]
fn engine_scan(i: &'static mut ScanInput) -> usize {
    black_box(i.engine.scan(&mut i.scratch, &i.bytes).len())
}

struct FormatInput {
    engine: Engine,
    report: Report,
    format: Format,
    out: Vec<u8>,
}

fn setup_format(format: Format) -> &'static mut FormatInput {
    let engine = engine_apart();
    let report = report(&engine);
    let mut out = Vec::new();
    scanner::detect::format::write(format, &report, &engine, false, &mut out).must("formatting");
    leak(FormatInput {
        engine,
        report,
        format,
        out,
    })
}

#[library_benchmark]
#[bench::json(args = (Format::Json), setup = setup_format)]
#[bench::sarif(args = (Format::Sarif), setup = setup_format)]
fn format(i: &'static mut FormatInput) -> usize {
    i.out.clear();
    scanner::detect::format::write(i.format, &i.report, &i.engine, false, &mut i.out)
        .must("formatting");
    black_box(i.out.len())
}

library_benchmark_group!(
    name = stages;
    benchmarks = tree_diff, dedupe_write, spill_merge, mapping, plan, inflate, delta_apply, engine_scan, format
);

main!(
    // The corpus location and git (which `corpora::build` runs when the
    // corpus is missing) need these; gungraun clears the environment.
    config = LibraryBenchmarkConfig::default()
        .pass_through_envs(["SCANNER_CORPORA_DIR", "PATH", "HOME", "TMPDIR"]);
    library_benchmark_groups = stages
);
