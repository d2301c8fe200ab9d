//! Parsing of the microbenchmark suites' outputs, on files captured from
//! real runs (`tests/fixtures/micro`): criterion's `benchmark.json` and
//! `sample.json`, gungraun's `summary.json` (schema version 7).

use harness::micro::{
    Instrument, MicroMetric, MicroStage, attach_work, criterion_results, gungraun_results,
    parse_criterion, parse_gungraun,
};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/micro")
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// Median by sorting, and MAD: the oracle for the harness's statistics.
fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn criterion_figures_are_median_and_mad_of_per_iteration_times() {
    let results = criterion_results(&fixtures().join("criterion"), None).unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    // Sorted by stage (pipeline order), then id.
    assert_eq!(ids, ["tree_diff/full_tree", "engine_scan/base64"]);
    for r in &results {
        assert_eq!(r.instrument, Instrument::Criterion);
        let dir = fixtures().join("criterion").join(&r.id).join("new");
        let s = json(&dir.join("sample.json"));
        let per: Vec<f64> = s["times"]
            .as_array()
            .unwrap()
            .iter()
            .zip(s["iters"].as_array().unwrap())
            .map(|(t, n)| t.as_f64().unwrap() / n.as_f64().unwrap())
            .collect();
        let med = median_of(per.clone());
        let mad = median_of(per.iter().map(|x| (x - med).abs()).collect());
        let t = r.figure(MicroMetric::TimePerIteration).unwrap();
        assert!((t.value - med).abs() <= 1e-9 * med, "{} {med}", t.value);
        assert!((t.mad.unwrap() - mad).abs() <= 1e-9 * med);
        assert_eq!(t.samples, Some(per.len()));
        assert_eq!(t.unit, "ns");
        let b = json(&dir.join("benchmark.json"));
        let (kind, amount) = b["throughput"].as_object().unwrap().iter().next().unwrap();
        let amount = amount.as_u64().unwrap();
        let w = r.work.as_ref().unwrap();
        assert_eq!(w.amount, amount);
        let per_unit = r.figure(MicroMetric::TimePerUnit).unwrap();
        assert!((per_unit.value - med / amount as f64).abs() <= 1e-9 * med);
        match kind.as_str() {
            "Bytes" => {
                assert_eq!(r.stage, MicroStage::EngineScan);
                assert_eq!(per_unit.unit, "ns per byte");
            }
            _ => {
                assert_eq!(r.stage, MicroStage::TreeDiff);
                assert_eq!(per_unit.unit, "ns per tree entry");
            }
        }
        let tp = r.figure(MicroMetric::Throughput).unwrap();
        assert!((tp.value - amount as f64 * 1e9 / med).abs() <= 1e-6 * tp.value);
        for f in &r.figures {
            assert_eq!(f.metric.instrument(), Instrument::Criterion);
            assert!(!f.unit.is_empty());
        }
    }
}

#[test]
fn gungraun_figures_are_the_callgrind_totals() {
    let dir = fixtures().join("gungraun");
    let results = gungraun_results(&dir, None).unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["spill_merge/runs_2", "engine_scan/base64"]);
    for r in &results {
        let file = dir
            .join("stages")
            .join(r.id.replace('/', "."))
            .join("summary.json");
        let v = json(&file);
        let total = &v["profiles"][0]["data"]["total"]["metrics"];
        let ir = r.figure(MicroMetric::Instructions).unwrap();
        assert_eq!(ir.value, total["Ir"]["values"]["new"].as_f64().unwrap());
        assert_eq!((ir.mad, ir.samples), (None, None));
        assert!(ir.metric.deterministic());
        let cyc = r.figure(MicroMetric::EstimatedCycles).unwrap();
        assert_eq!(
            cyc.value,
            total["EstimatedCycles"]["values"]["new"].as_f64().unwrap()
        );
        assert!(r.work.is_none(), "gungraun alone does not know the work");
    }
}

#[test]
fn gungraun_results_take_the_work_of_the_criterion_run() {
    let crit = criterion_results(&fixtures().join("criterion"), None).unwrap();
    let mut ir = gungraun_results(&fixtures().join("gungraun"), None).unwrap();
    attach_work(&mut ir, &crit);
    let base64 = ir.iter().find(|r| r.id == "engine_scan/base64").unwrap();
    let w = base64.work.as_ref().unwrap();
    assert_eq!((w.amount, w.unit.as_str()), (65536, "bytes"));
    let cyc = base64.figure(MicroMetric::EstimatedCycles).unwrap().value;
    let cpb = base64.figure(MicroMetric::EstimatedCyclesPerUnit).unwrap();
    assert_eq!(cpb.value, cyc / 65536.0);
    assert_eq!(cpb.unit, "estimated cycles per byte");
    // No criterion result for this id: nothing attached.
    let merge = ir.iter().find(|r| r.id == "spill_merge/runs_2").unwrap();
    assert!(merge.work.is_none());
    assert!(merge.figure(MicroMetric::EstimatedCyclesPerUnit).is_none());
}

#[test]
fn malformed_outputs_are_errors_naming_the_file() {
    let dir = fixtures().join("criterion/tree_diff/full_tree/new");
    let bench = std::fs::read_to_string(dir.join("benchmark.json")).unwrap();
    let sample = std::fs::read_to_string(dir.join("sample.json")).unwrap();
    let err = |r: Result<_, harness::micro::MicroError>| r.map(|_| ()).unwrap_err().to_string();

    let e = err(parse_criterion(&bench, &sample[..sample.len() / 2], &dir));
    assert!(e.contains("sample.json"), "{e}");
    let e = err(parse_criterion(
        &bench,
        r#"{"iters":[1.0,2.0],"times":[5.0]}"#,
        &dir,
    ));
    assert!(
        e.contains("sample.json") && e.contains("2 iteration counts but 1 times"),
        "{e}"
    );
    let e = err(parse_criterion(
        &bench,
        r#"{"iters":[1.0,0.0],"times":[5.0,6.0]}"#,
        &dir,
    ));
    assert!(e.contains("sample 1"), "{e}");
    let e = err(parse_criterion(
        &bench.replace("tree_diff/full_tree", "warp_drive/full_tree"),
        &sample,
        &dir,
    ));
    assert!(
        e.contains("benchmark.json") && e.contains("unknown stage \"warp_drive\""),
        "{e}"
    );

    let file = fixtures().join("gungraun/stages/spill_merge.runs_2/summary.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let e = err(parse_gungraun(
        &text.replace("\"version\":\"7\"", "\"version\":\"8\""),
        &file,
    ));
    assert!(e.contains("summary.json") && e.contains("version"), "{e}");
    let e = err(parse_gungraun(&text.replace("\"Ir\"", "\"Xr\""), &file));
    assert!(
        e.contains("summary.json") && e.contains("no callgrind Ir"),
        "{e}"
    );
    let e = err(parse_gungraun("{", &file));
    assert!(e.contains("summary.json"), "{e}");
}

#[test]
fn every_stage_and_metric_names_itself_and_its_unit() {
    for s in MicroStage::all() {
        assert_eq!(MicroStage::from_name(s.as_str()), Some(s));
        assert!(!s.element_unit().is_empty());
        if let Some(e) = s.end_to_end() {
            assert!(
                scanner::git::Stage::all().iter().any(|s| s.as_str() == e),
                "{e}"
            );
        }
    }
    for m in MicroMetric::all() {
        assert!(!m.unit("bytes").is_empty());
        assert_eq!(m.deterministic(), m.instrument() == Instrument::Gungraun);
    }
    for i in Instrument::all() {
        assert_eq!(Instrument::from_name(i.as_str()), Some(i));
    }
}

#[test]
fn micro_results_fold_into_a_results_file_and_show_beside_the_stages() {
    // A schema 1.0 run, recorded before micro results existed.
    let old = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../results/runs/20261121T041629Z-55e9fed1de.json");
    let mut run = harness_model::results::read_run(&old).unwrap();
    assert_eq!((run.schema.major, run.schema.minor), (1, 0));
    assert!(run.micro.is_empty());
    let crit = criterion_results(&fixtures().join("criterion"), None).unwrap();
    let mut ir = gungraun_results(&fixtures().join("gungraun"), None).unwrap();
    attach_work(&mut ir, &crit);
    run.micro = crit.into_iter().chain(ir).collect();
    harness::micro::sort(&mut run.micro);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    harness_model::results::write_run(&run, &path).unwrap();
    let back = harness_model::results::read_run(&path).unwrap();
    assert_eq!(back.micro, run.micro);

    let text = harness_report::table::render(&back);
    let line = text
        .lines()
        .find(|l| l.contains("tree_diff/full_tree") && l.contains("criterion"))
        .unwrap_or_else(|| panic!("{text}"));
    // Beside the end-to-end tree_diff wall time of every stratum.
    assert!(line.contains("tree_diff: small"), "{line}");
    assert!(line.contains("ns per tree entry"), "{line}");
    let line = text
        .lines()
        .find(|l| l.contains("engine_scan/base64") && l.contains("gungraun"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(" Ir") && line.contains("estimated cycles per byte"),
        "{line}"
    );
    assert!(line.contains("exec: small"), "{line}");
}
