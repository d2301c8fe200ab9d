//! End-to-end oracle tests: unique blob set, canonical context and bytes
//! against git itself, for `--all`, ranges and ref lists, across pack layouts.

mod support;

use scanner::git::{Selection, Status};
use support::*;

fn check_against_oracle(r: &TestRepo, selection: Selection, revs: &[&str]) {
    let all = selection == Selection::All;
    let expected = if all {
        all_oracle(r.path())
    } else {
        oracle(r.path(), revs)
    };
    let (outcome, seen) = run(&options(r.path(), selection));
    if all {
        assert_eq!(
            scan_reach(&outcome, &seen),
            rev_list_reach(r.path()),
            "--all reaches what git rev-list --objects --all reaches"
        );
    }
    assert_eq!(
        outcome.status,
        Status::Complete,
        "skipped: {:?}",
        outcome.skipped
    );
    let got: Vec<&String> = seen.keys().collect();
    let want: Vec<&String> = expected.keys().collect();
    assert_eq!(got, want, "unique blob set differs from git log");
    assert_contexts(&seen, &expected, "oracle");
    let bytes = cat_blobs(r.path(), expected.keys().cloned());
    for (oid, b) in bytes {
        assert_eq!(seen[&oid].bytes, b, "bytes of {oid}");
    }
    assert_eq!(outcome.counts.unique_blobs, expected.len() as u64);
    assert_eq!(outcome.counts.blobs_delivered, expected.len() as u64);
}

#[test]
fn all_refs_loose_objects() {
    let r = rich_repo();
    assert!(
        r.git(&["ls-tree", "-r", "main"]).contains("160000 commit"),
        "the rich repository has a gitlink"
    );
    check_against_oracle(&r, Selection::All, &["--all"]);
    let (_, gitlinks) = oracle_counting_gitlinks(r.path(), &["--all"]);
    let (o, _) = run(&options(r.path(), Selection::All));
    assert!(gitlinks > 0);
    assert_eq!(o.counts.gitlinks, gitlinks);
}

#[test]
fn all_refs_single_pack_with_deep_deltas() {
    let r = rich_repo();
    r.git(&["repack", "-adf", "--depth=50", "-q"]);
    check_against_oracle(&r, Selection::All, &["--all"]);
}

#[test]
fn several_packs_midx_commit_graph_and_loose() {
    let mut r = rich_repo();
    r.git(&["repack", "-d", "-q"]);
    r.write("late.txt", "late loose object\n");
    r.write("big.txt", "replaced\n");
    r.commit("late");
    r.git(&["repack", "-d", "-q"]);
    r.write("later.txt", "stays loose\n");
    r.commit("later");
    r.git(&["multi-pack-index", "write"]);
    r.git(&["commit-graph", "write", "--reachable"]);
    assert!(
        r.path()
            .join(".git/objects/pack/multi-pack-index")
            .is_file()
    );
    check_against_oracle(&r, Selection::All, &["--all"]);
}

#[test]
fn range_and_ref_list() {
    let r = rich_repo();
    r.git(&["repack", "-adf", "--depth=50", "-q"]);
    check_against_oracle(
        &r,
        Selection::Range("feature..main".into()),
        &["feature..main"],
    );
    check_against_oracle(
        &r,
        Selection::Range("HEAD~5..dangling".into()),
        &["HEAD~5..dangling"],
    );
    check_against_oracle(
        &r,
        Selection::Refs(vec!["feature".into(), "side".into()]),
        &["feature", "side"],
    );
    check_against_oracle(&r, Selection::Head, &["HEAD"]);
}

#[test]
fn cli_blobs_matches_oracle() {
    let r = rich_repo();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scanner"))
        .args(["blobs", "--all", "--threads", "2", "--format", "jsonl"])
        .arg(r.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = all_oracle(r.path());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), expected.len());
    let sizes = cat_blobs(r.path(), expected.keys().cloned());
    for (row, (oid, intro)) in rows.iter().zip(&expected) {
        assert_eq!(row["oid"], oid.as_str());
        assert_eq!(row["commit"].as_str().unwrap_or(""), intro.commit);
        assert_eq!(row["tag"].as_str().unwrap_or(""), intro.tag);
        assert_eq!(row["path"], intro.path.as_str());
        assert_eq!(row["size"], sizes[oid].len());
    }
}

#[test]
fn alternates_object_directories() {
    let src = rich_repo();
    src.git(&["repack", "-adf", "-q"]);
    let dst = tempfile::tempdir().unwrap();
    git_in(
        dst.path(),
        &[
            "clone",
            "-q",
            "--shared",
            &src.path().display().to_string(),
            "clone",
        ],
    );
    let clone = dst.path().join("clone");
    assert!(clone.join(".git/objects/info/alternates").is_file());
    std::fs::write(clone.join("own.txt"), "only in the clone\n").unwrap();
    git_in(&clone, &["add", "own.txt"]);
    git_in(&clone, &["commit", "-q", "-m", "own"]);
    let expected = oracle(&clone, &["--all"]);
    let (outcome, seen) = run(&options(&clone, Selection::All));
    assert_eq!(outcome.status, Status::Complete, "{:?}", outcome.skipped);
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
}

#[test]
fn all_includes_detached_heads_of_linked_worktrees() {
    let r = rich_repo();
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        &wt_path.display().to_string(),
        "HEAD",
    ]);
    std::fs::write(
        wt_path.join("wt-only.txt"),
        "only reachable from the worktree HEAD\n",
    )
    .unwrap();
    git_in(&wt_path, &["add", "wt-only.txt"]);
    git_in(&wt_path, &["commit", "-q", "-m", "detached work"]);
    let blob = git_in(&wt_path, &["rev-parse", "HEAD:wt-only.txt"])
        .trim()
        .to_owned();
    let expected = oracle(r.path(), &["--all"]);
    assert!(
        expected.contains_key(&blob),
        "git log --all sees the worktree HEAD"
    );
    check_against_oracle(&r, Selection::All, &["--all"]);
}

#[test]
fn ref_delta_pack() {
    let r = rich_repo();
    r.git(&[
        "-c",
        "repack.useDeltaBaseOffset=false",
        "repack",
        "-adf",
        "--depth=50",
        "-q",
    ]);
    let pack = std::fs::read_dir(r.path().join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let verify = r.git(&["verify-pack", "-v", &pack.display().to_string()]);
    assert!(
        verify
            .lines()
            .any(|l| l.contains(" blob ") && l.split_whitespace().count() == 7),
        "pack has blob deltas"
    );
    check_against_oracle(&r, Selection::All, &["--all"]);
    let (o, _) = run(&options(r.path(), Selection::All));
    assert!(o.stages.exec.base_hits > 0);
}

/// A merge dated before a commit on its first parent's line (a skewed
/// clock) introduces, through its second parent's diff, a blob that line
/// introduces later: that second-parent introduction is canonical, so the
/// scan must still run it (the first-parent shortcut does not apply).
#[test]
fn skewed_first_parent_line_keeps_second_parent_diffs() {
    const T0: i64 = 1_700_000_000;
    let mut r = TestRepo::new();
    r.write("base.txt", "base\n");
    r.set_clock(T0);
    r.commit("A");
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("topic.txt", "topic\n");
    r.set_clock(T0 + 1_000);
    r.commit("T");
    r.git(&["checkout", "-q", "main"]);
    r.write("f.txt", "introduced on main with a clock in the future\n");
    r.set_clock(T0 + 90_000);
    let y = r.commit("Y");
    r.set_clock(T0 + 5_000);
    let x = r.merge("topic");
    let blob = r.git(&["rev-parse", "HEAD:f.txt"]).trim().to_owned();
    let expected = all_oracle(r.path());
    assert_eq!(
        expected[&blob].commit, x,
        "git log -m: the merge introduces it first"
    );
    let (_, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(seen[&blob].commit, x, "not Y ({y}), which is dated later");
    check_against_oracle(&r, Selection::All, &["--all"]);
}
