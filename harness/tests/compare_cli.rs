//! `harness compare` end to end: this build against itself on the
//! test-sized corpora, through two real `harness serve` processes, and the
//! errors a user can cause, each with exit code 2 and a message naming the
//! input.

use corpora::{Stratum, StratumSpec, build, default_root};
use harness_model::compare::read_compare;
use harness_model::verdict::GateOutcome;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_harness");

fn test_corpora() -> PathBuf {
    let root = default_root();
    for s in [Stratum::Small, Stratum::Medium] {
        build(&s.test_spec(), &root).expect("test corpus builds");
    }
    root
}

/// The committed gate with few rounds, so the test stays quick, and a 40%
/// threshold: the test checks the machinery on a loaded test machine, not
/// the gate's sensitivity (docs/benchmarking.md has that experiment).
fn quick_gate(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../perf-gate.toml"))
        .expect("the committed gate file reads")
        .replace("initial = 20", "initial = 4")
        .replace("extend_by = 10", "extend_by = 2")
        .replace("max = 60", "max = 6")
        .replace("warmup = 3", "warmup = 1")
        .replace("threshold = 0.02", "threshold = 0.4")
        .replace("scale = { small = 10 }", "scale = { small = 2 }");
    let path = dir.join("gate.toml");
    std::fs::write(&path, text).expect("the test gate file writes");
    path
}

fn compare(root: &Path, gate: &Path, out: &Path, strata: &str) -> Output {
    Command::new(BIN)
        .args(["compare", "--base-bin", BIN, "--head-bin", BIN])
        .args(["--base-rev", "HEAD", "--head-rev", "HEAD"])
        .args(["--strata", strata, "--test-size", "--unpinned"])
        .arg("--corpora")
        .arg(root)
        .arg("--gate")
        .arg(gate)
        .arg("--out")
        .arg(out)
        .output()
        .expect("harness runs")
}

#[test]
fn a_build_against_itself_is_never_a_regression() {
    let root = test_corpora();
    let dir = tempfile::tempdir().unwrap();
    let gate = quick_gate(dir.path());
    let out = dir.path().join("out");
    let o = compare(&root, &gate, &out, "small,medium");
    let stderr = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code();
    assert!(
        code == Some(0) || code == Some(3),
        "exit {code:?}\n{stderr}"
    );
    let file = read_compare(&out.join("compare.json")).unwrap();
    assert!(file.findings.identical);
    assert_ne!(file.outcome, GateOutcome::Regression);
    assert_eq!(file.exit_code, code.unwrap());
    let strata: Vec<Option<Stratum>> = file.strata.iter().map(|s| s.stratum.stratum()).collect();
    assert_eq!(strata, [Some(Stratum::Small), Some(Stratum::Medium)]);
    // The small stratum's rounds are scaled (×2 here).
    assert!(file.strata[0].rounds >= 8, "{}", file.strata[0].rounds);
    assert!(file.strata[1].rounds >= 4, "{}", file.strata[1].rounds);
    let comment = std::fs::read_to_string(out.join("comment.md")).unwrap();
    assert!(
        comment.starts_with("<!-- scanner-rs perf-gate -->"),
        "{comment}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.matches("<svg").count() >= 8);
    let input: harness_model::compare::CompareInput =
        serde_json::from_str(&std::fs::read_to_string(out.join("input.json")).unwrap()).unwrap();
    assert_eq!(input.strata[0].rounds.len(), file.strata[0].rounds);
    // ABBA: the order alternates round by round.
    let firsts: Vec<bool> = input.strata[1]
        .rounds
        .iter()
        .map(|r| r.base_first)
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] != w[1]), "{firsts:?}");

    // Judged again from its recorded rounds under the same gate: the same
    // file, the same exit code, and no process measured anything.
    let again = dir.path().join("again");
    let o = Command::new(BIN)
        .arg("rejudge")
        .arg(out.join("input.json"))
        .arg("--gate")
        .arg(&gate)
        .arg("--out")
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        code,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(read_compare(&again.join("compare.json")).unwrap(), file);
    assert!(again.join("comment.md").exists());
}

#[test]
fn rejudge_names_an_input_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let gate = quick_gate(dir.path());
    let broken = dir.path().join("input.json");
    std::fs::write(&broken, "{\"created\": 3}").unwrap();
    for input in [dir.path().join("absent.json"), broken] {
        let o = Command::new(BIN)
            .arg("rejudge")
            .arg(&input)
            .arg("--gate")
            .arg(&gate)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(&*input.to_string_lossy()), "{e}");
        assert!(e.contains("not a compare's input.json"), "{e}");
    }
    assert!(!dir.path().join("compare.json").exists());
}

#[test]
fn bad_inputs_are_errors_naming_them() {
    let root = test_corpora();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let gate = quick_gate(dir.path());

    let bad_gate = dir.path().join("bad.toml");
    std::fs::write(&bad_gate, "[statistics]\nthreshold = 2\n").unwrap();
    let o = compare(&root, &bad_gate, &out, "small");
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("bad.toml"), "{e}");

    let o = Command::new(BIN)
        .args([
            "compare",
            "--base-bin",
            "/nonexistent/harness",
            "--head-bin",
            BIN,
        ])
        .arg("--gate")
        .arg(&gate)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("/nonexistent/harness"), "{e}");

    let o = compare(&root, &gate, &out, "small,tiny");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("tiny"));

    let empty = tempfile::tempdir().unwrap();
    let o = compare(empty.path(), &gate, &out, "small");
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("corpus is missing"), "{e}");
    assert!(!out.join("compare.json").exists());
}
