//! A real-repository workload through `harness run`, on a repository made
//! here with git, checked against git's own blob list.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_harness");

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("git prints text")
}

/// `harness run` of `workloads` from `file`, two quick iterations into `out`.
fn run_workloads(file: &Path, workloads: &str, out: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(["run", "--strata", "none", "--workloads", workloads])
        .arg("--workloads-file")
        .arg(file)
        .args([
            "--iterations",
            "2",
            "--warmup",
            "0",
            "--unpinned",
            "--quiet",
        ])
        .args(["--counters", "monotonic", "--out"])
        .arg(out)
        .output()
        .expect("harness runs")
}

#[test]
fn a_repository_workload_is_measured_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("tiny");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for k in 0..3 {
        std::fs::write(repo.join(format!("f{k}.txt")), format!("content {k}\n")).unwrap();
        std::fs::write(repo.join("config.py"), format!("retries = {k}\n")).unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", &format!("c{k}")]);
    }
    let blobs = git(&repo, &["rev-list", "--objects", "--all"])
        .lines()
        .filter(|l| {
            let oid = l.split_whitespace().next().unwrap_or_default();
            git(&repo, &["cat-file", "-t", oid]).trim() == "blob"
        })
        .count();
    let file = dir.path().join("workloads.toml");
    std::fs::write(
        &file,
        "[workload.tiny]\npath = \"tiny/.git\"\n\n[workload.absent]\npath_env = \"NO_SUCH_VAR_FOR_TEST\"\n",
    )
    .unwrap();
    let out = dir.path().join("run.json");
    let run = |workloads: &str| run_workloads(&file, workloads, &out);
    let ok = run("tiny");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(text.contains("a repository: no ground truth"), "{text}");
    let file_run = harness_model::results::read_run(&out).unwrap();
    assert_eq!(file_run.strata.len(), 1);
    let s = &file_run.strata[0];
    assert_eq!(s.stratum.as_str(), "tiny");
    assert_eq!(s.blobs as usize, blobs);
    assert!(
        s.corpus_key.starts_with(&format!("blobs:{blobs} ")),
        "{}",
        s.corpus_key
    );

    let missing = run("absent");
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{err}");
    assert!(
        err.contains("workload `absent`") && err.contains("$NO_SUCH_VAR_FOR_TEST"),
        "{err}"
    );
    let unknown = run("nope");
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("no workload `nope`"), "{err}");
}

#[test]
fn a_partial_clone_workload_skips_its_missing_blobs_and_records_memory() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("partial");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for k in 0..3 {
        std::fs::write(repo.join("a.txt"), format!("version {k}\n")).unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", &format!("c{k}")]);
    }
    // The middle version's blob leaves the object store, as a partial
    // clone's unfetched blobs do.
    let gone = git(&repo, &["rev-parse", "HEAD~1:a.txt"]);
    let gone = gone.trim();
    std::fs::remove_file(repo.join(format!(".git/objects/{}/{}", &gone[..2], &gone[2..]))).unwrap();
    let file = dir.path().join("workloads.toml");
    std::fs::write(&file, "[workload.partial]\npath = \"partial/.git\"\n").unwrap();
    let out = dir.path().join("run.json");
    let run = run_workloads(&file, "partial", &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let file_run = harness_model::results::read_run(&out).unwrap();
    let s = &file_run.strata[0];
    assert_eq!(s.blobs, 2, "three versions, one missing");
    assert!(s.corpus_key.ends_with(" skipped 1"), "{}", s.corpus_key);
    for it in &s.iterations {
        let heap = it.peak_heap_bytes.expect("the counting allocator's peak");
        let anon = it.rss_anon_peak_bytes.expect("RssAnon sampled");
        assert!(it.rss_file_peak_bytes.is_some());
        // The compiled rules alone are megabytes, and they live on the heap.
        assert!(heap > 1 << 20 && anon > 1 << 20, "{heap} {anon}");
    }
}
