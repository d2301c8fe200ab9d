//! Per-stage microbenchmarks, wall-clock time (criterion): one group per
//! pipeline stage, ids `<stage>/<case>`, throughput set so reports show
//! bytes or elements per second. Inputs come from `inputs` (shared with the
//! instruction-count suite `stages_ir.rs`). Advisory on a noisy machine;
//! `docs/benchmarking.md` describes each benchmark.
//!
//! `cargo bench -p scanner --bench stages` (JSON under
//! `target/criterion/<stage>/<case>/new/`); `harness micro` folds the
//! samples into a results file.

mod inputs;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use inputs::*;
use scanner::internals::{PackTrees, TreeDiff};
use std::hint::black_box;
use std::time::Duration;

fn tree_diff(c: &mut Criterion, h: &History) {
    let mut g = c.benchmark_group("tree_diff");
    for (case, pairs) in [
        ("full_tree", h.full_tree_pair()),
        ("history", h.tree_pairs()),
    ] {
        let mut src = PackTrees::of(h.repo, TREE_CACHE);
        let mut td = TreeDiff::new(TREE_CACHE);
        // Warm-up outside the timing: every tree cached, path buffer grown.
        diff_pairs(&mut td, &mut src, &pairs);
        g.throughput(Throughput::Elements(h.entries_opened(&pairs)));
        g.bench_function(case, |b| {
            b.iter(|| black_box(diff_pairs(&mut td, &mut src, &pairs)))
        });
    }
    g.finish();
}

fn dedupe(c: &mut Criterion, h: &History) {
    let dir = tempfile::tempdir().must("creating a spill directory");
    let mut g = c.benchmark_group("dedupe_write");
    g.throughput(Throughput::Elements(h.candidates.len() as u64));
    g.bench_function("medium_test", |b| {
        b.iter_with_large_drop(|| dedupe_write(&h.candidates, dir.path()))
    });
    g.finish();
    let pool = merge_pool();
    let mut g = c.benchmark_group("spill_merge");
    g.throughput(Throughput::Elements(MERGE_RECORDS as u64));
    for runs in [2, 16, 128] {
        g.bench_function(format!("runs_{runs}"), |b| {
            b.iter_batched(
                || spill_runs(&pool, runs),
                // Returned, so removing the directory is not timed.
                |mut s| (black_box(spill_merge(&mut s)), s),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn mapping_and_plan(c: &mut Criterion, h: &History) {
    let mut g = c.benchmark_group("mapping");
    g.throughput(Throughput::Elements(h.uniques.len() as u64));
    for (case, midx) in [("midx", true), ("idx", false)] {
        let dir = objects_dir(h, midx);
        g.bench_function(case, |b| b.iter(|| black_box(map(&dir.packs, &h.uniques))));
    }
    g.finish();
    let m = map(&h.repo.packs, &h.uniques);
    let mut g = c.benchmark_group("plan");
    g.throughput(Throughput::Elements(h.uniques.len() as u64));
    g.bench_function("medium_test", |b| {
        b.iter(|| black_box(plan(&h.repo.packs, &m, &h.uniques)))
    });
    g.finish();
}

fn pack_decode(c: &mut Criterion, h: &History) {
    let p = PackEntries::load(h);
    let mut out = Vec::new();
    let mut z = gix::zlib::Decompress::new();
    let mut g = c.benchmark_group("inflate");
    g.throughput(Throughput::Bytes(p.whole_bytes()));
    g.bench_function("blobs", |b| {
        b.iter(|| black_box(inflate_all(&mut z, &p.whole, &mut out)))
    });
    g.finish();
    let mut g = c.benchmark_group("delta_apply");
    g.throughput(Throughput::Bytes(p.delta_bytes()));
    g.bench_function("blobs", |b| {
        b.iter(|| black_box(apply_all(&p.deltas, &mut out)))
    });
    g.finish();
}

fn detect(c: &mut Criterion) {
    let engine = engine();
    let mut scratch = engine.scratch();
    let mut g = c.benchmark_group("engine_scan");
    for kind in ContentKind::all() {
        let bytes = kind.bytes();
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(kind.case(), |b| {
            b.iter(|| black_box(engine.scan(&mut scratch, &bytes).len()))
        });
    }
    g.finish();
    let report = report(&engine);
    let mut out = Vec::new();
    let mut g = c.benchmark_group("format");
    g.throughput(Throughput::Elements(report.findings.len() as u64));
    for (case, format) in [
        ("json", scanner::detect::format::Format::Json),
        ("sarif", scanner::detect::format::Format::Sarif),
    ] {
        g.bench_function(case, |b| {
            b.iter(|| {
                out.clear();
                scanner::detect::format::write(format, &report, &engine, false, &mut out)
                    .must("formatting");
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn stages(c: &mut Criterion) {
    let h = History::load();
    tree_diff(c, &h);
    dedupe(c, &h);
    mapping_and_plan(c, &h);
    pack_decode(c, &h);
    detect(c);
}

/// Short warm-up and measurement keep the whole suite near two minutes;
/// 20 samples is above criterion's minimum of 10.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = stages
}
criterion_main!(benches);
