//! The `harness` binary end to end: a real (test-sized) run and every kind
//! of bad input, each a clear error naming what is wrong.

use corpora::{Stratum, StratumSpec, build, default_root};
use std::path::Path;
use std::process::{Command, Output};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .output()
        .expect("harness runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn test_corpora() -> std::path::PathBuf {
    let root = default_root();
    for s in Stratum::all() {
        build(&s.test_spec(), &root).expect("test corpus builds");
    }
    root
}

#[test]
fn run_then_show_on_test_sized_strata() {
    let root = test_corpora();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let o = harness(&[
        "run",
        "--test-size",
        "--iterations",
        "3",
        "--warmup",
        "1",
        "--counters",
        "tsc",
        "--corpora",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for s in [
        "small",
        "medium",
        "large",
        "cycles_per_byte",
        "tree_diff",
        "ground truth ok",
        "cycles: tsc",
    ] {
        assert!(text.contains(s), "{s} missing from:\n{text}");
    }
    let run = harness_model::results::read_run(&out).unwrap();
    assert_eq!(run.strata.len(), 3);
    for s in &run.strata {
        assert!(s.iterations.iter().filter(|i| i.counted).count() >= 3);
        assert!(s.findings > 0 && s.bytes > 0);
        let cpb = s
            .metrics
            .iter()
            .find(|m| m.metric == harness_model::results::Metric::CyclesPerByte)
            .unwrap();
        assert_eq!(cpb.source, Some(harness_model::CounterSource::Tsc));
        assert!(
            s.metrics
                .iter()
                .any(|m| m.metric == harness_model::results::Metric::Allocations),
            "the counting allocator is installed"
        );
        assert_eq!(s.stages.len(), 6);
    }
    let shown = harness(&["show", out.to_str().unwrap()]);
    assert!(shown.status.success());
    assert!(String::from_utf8_lossy(&shown.stdout).contains("medium"));
}

#[test]
fn missing_corrupt_and_stale_corpora_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let o = harness(&["run", "--strata", "small", "--corpora", root, "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("small corpus is missing")
            && stderr(&o).contains("cargo xtask corpora"),
        "{}",
        stderr(&o)
    );

    let small = dir.path().join("small");
    std::fs::create_dir_all(small.join("repo.git")).unwrap();
    std::fs::write(small.join("manifest.json"), "{ broken").unwrap();
    let o = harness(&["run", "--strata", "small", "--corpora", root, "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unusable") && stderr(&o).contains("manifest.json"),
        "{}",
        stderr(&o)
    );

    // A corpus built from another spec (here: the test variant under the real name).
    let real = test_corpora();
    let copy = |from: &Path, to: &Path| {
        std::fs::remove_dir_all(to).ok();
        let ok = Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    copy(&real.join("small-test"), &small);
    let o = harness(&["run", "--strata", "small", "--corpora", root, "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another spec"), "{}", stderr(&o));
}

#[test]
fn bad_arguments_are_refused() {
    let o = harness(&["run", "--strata", "huge", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown stratum \"huge\""),
        "{}",
        stderr(&o)
    );

    let o = harness(&["run", "--test-size", "--pin", "4096", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot pin") && stderr(&o).contains("--unpinned"),
        "{}",
        stderr(&o)
    );

    // More worker threads than cores to pin them to: refused, not over-packed.
    let o = harness(&["run", "--test-size", "--threads", "4096", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--threads 4096 needs 4096 cores"),
        "{}",
        stderr(&o)
    );

    let o = harness(&["run", "--test-size", "--iterations", "1", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("too few"), "{}", stderr(&o));

    let o = harness(&["run", "--test-size", "--counters", "magic", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--counters"), "{}", stderr(&o));
}

#[test]
fn result_files_of_another_schema_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("old.json");
    std::fs::write(&f, r#"{"schema":{"major":9,"minor":1},"strata":[]}"#).unwrap();
    let o = harness(&["show", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("schema 9.1") && stderr(&o).contains("old.json"),
        "{}",
        stderr(&o)
    );
    let o = harness(&["show", dir.path().join("none.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("none.json"));
}

#[test]
fn report_writes_a_self_contained_page() {
    let runs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../results/runs");
    let mut files: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let newest = files.last().unwrap().to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub/report.html");
    let o = harness(&[
        "report",
        &newest,
        "--history",
        runs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("report.html") && stdout.contains("charts"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&out).unwrap();
    let run = harness_model::results::read_run(Path::new(&newest)).unwrap();
    // Three charts per stratum of the run, one history chart per stratum.
    assert_eq!(html.matches("<svg").count(), 3 * run.strata.len() + 3);
    for s in &run.strata {
        assert!(html.contains(&format!("Stratum {}", s.stratum.as_str())));
    }

    // A corrupt history file is skipped with a warning on the page.
    let history = dir.path().join("history");
    std::fs::create_dir(&history).unwrap();
    std::fs::copy(&newest, history.join("a.json")).unwrap();
    std::fs::write(history.join("b.json"), "{ truncated").unwrap();
    let o = harness(&[
        "report",
        &newest,
        "--history",
        history.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("b.json"), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out).unwrap().contains("skipped"));

    // A malformed run file named on the command line is an error naming it.
    let o = harness(&[
        "report",
        history.join("b.json").to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("b.json") && stderr(&o).contains("not a results file"),
        "{}",
        stderr(&o)
    );
    let o = harness(&["report", &newest, "--history", "/nonexistent/runs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/runs"), "{}", stderr(&o));
    let o = harness(&["report"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn report_on_a_compare_file() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/compare.json");
    let dir = tempfile::tempdir().unwrap();
    // Default output: report.html next to the compare.json.
    let compare = dir.path().join("compare.json");
    std::fs::copy(&golden, &compare).unwrap();
    let o = harness(&["report", "--compare", compare.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("report.html (13 charts)"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 13);
    assert!(html.contains("Outcome: regression"));

    let out = dir.path().join("sub/page.html");
    let o = harness(&[
        "report",
        "--compare",
        compare.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), html);

    // A results file is not a compare file, and the two modes exclude each other.
    std::fs::write(dir.path().join("bad.json"), "{ truncated").unwrap();
    let o = harness(&[
        "report",
        "--compare",
        dir.path().join("bad.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.json") && stderr(&o).contains("not a compare file"),
        "{}",
        stderr(&o)
    );
    let o = harness(&["report", "run.json", "--compare", compare.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}
