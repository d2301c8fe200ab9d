//! `harness history` end to end on the committed results files.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_harness");

fn harness(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("history")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("harness runs")
}

#[test]
fn import_is_idempotent_and_a_bad_file_is_named_while_the_rest_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let runs = concat!(env!("CARGO_MANIFEST_DIR"), "/../results/runs");
    let mut files: Vec<String> = std::fs::read_dir(runs)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    files.sort();
    let bad = dir.path().join("corrupt.json");
    std::fs::write(&bad, "{\"schema\":{\"major\":9,\"minor\":0}}").unwrap();
    let mut args = vec!["import"];
    args.push(bad.to_str().unwrap());
    args.extend(files.iter().map(String::as_str));
    let first = harness(&db, &args);
    let stderr = String::from_utf8_lossy(&first.stderr);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("corrupt.json") && stderr.contains("schema 9.0"),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("{} runs added", files.len())),
        "{stdout}"
    );
    let again = harness(&db, &["import", files[0].as_str()]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success());
    assert!(
        stdout.contains("0 runs added, 1 already present"),
        "{stdout}"
    );

    let show = harness(&db, &["show", "--workload", "medium", "--metric", "cpu_ns"]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.status.success() && text.contains("medium cpu_ns"),
        "{text}"
    );
    let missing = harness(&db, &["show", "--workload", "medium", "--metric", "nope"]);
    assert_eq!(missing.status.code(), Some(2));

    let gate = concat!(env!("CARGO_MANIFEST_DIR"), "/../perf-gate.toml");
    let detect = harness(&db, &["detect", "--gate", gate]);
    let text = String::from_utf8_lossy(&detect.stdout);
    assert!(
        detect.status.success(),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
    assert!(
        text.starts_with("history: ") && text.contains("series"),
        "{text}"
    );

    let out = dir.path().join("trend");
    let page = harness(
        &db,
        &["page", "--gate", gate, "--out", out.to_str().unwrap()],
    );
    assert!(
        page.status.success(),
        "{}",
        String::from_utf8_lossy(&page.stderr)
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("medium cpu_ns"), "index lists the series");
    let medium = std::fs::read_to_string(out.join("medium-cpu_ns.html")).unwrap();
    assert!(
        medium.contains("<svg") && medium.contains("Change points")
            || medium.contains("No change points")
    );
}
