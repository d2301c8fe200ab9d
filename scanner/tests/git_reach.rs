//! Every reachable blob: `--all` delivers exactly the blobs `git rev-list
//! --objects --all` reaches (missing ones listed as skipped), with the
//! canonical contexts of `git log -m --raw --diff-filter=AMT` or, for blobs
//! only refs reach, of the ref naming them; ranges follow `--diff-filter=AMT`.
//! Hand-built repositories cover every kind of entry and ref: type changes,
//! gitlinks, mode-only changes, file ↔ directory at one path, tags (light,
//! annotated, of tags) naming blobs and trees, notes, stash, replace refs.

#![allow(clippy::unwrap_used)]

mod support;

use scanner::git::{Selection, Status};
use scanner::sink::ChangeKind;
use std::path::Path;
use support::*;

fn blob(r: &TestRepo, content: &str) -> String {
    git_stdin(r.path(), &["hash-object", "-w", "--stdin"], content)
}

fn symlink(r: &TestRepo, target: &str, path: &str) {
    let p = r.path().join(path);
    if p.symlink_metadata().is_ok() {
        std::fs::remove_file(&p).unwrap();
    }
    std::os::unix::fs::symlink(target, p).unwrap();
}

/// Stages a gitlink at `path`; the empty directory there is what an
/// unpopulated submodule looks like, so `git add -A` keeps the entry.
fn gitlink(r: &TestRepo, path: &str, commit: &str) {
    std::fs::create_dir_all(r.path().join(path)).unwrap();
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{commit},{path}"),
    ]);
}

/// Blob ids the test checks by name.
struct Ids {
    /// The commit with the type changes (before the replace ref hides it
    /// from `HEAD~N`).
    type_change: String,
    /// The file that replaced a symlink (type change, new content).
    after_symlink: String,
    /// The file that replaced a gitlink.
    after_gitlink: String,
    /// The file that replaced a directory.
    after_dir: String,
    /// Named only by a lightweight tag, an annotated tag, a tag of a tag.
    light: String,
    annotated: String,
    tag_of_tag: String,
    /// In a tree named only by an annotated tag, at `keys/deep/in-tree.txt`.
    in_tree: String,
    /// In a commit and in a tagged tree: the commit context wins.
    shared: String,
    /// Reachable only from notes, the stash, a replacement commit.
    note: String,
    stash_untracked: String,
    replacement: String,
}

/// A history with every kind of entry change and every kind of ref that
/// names something other than a commit.
fn reach_repo() -> (TestRepo, Ids) {
    let mut r = TestRepo::new();
    r.write("a.txt", "alpha\n");
    r.write("shared.txt", "in a commit and in a tagged tree\n");
    r.write("pdir/inner.txt", "inside a directory that becomes a file\n");
    r.write("script.sh", "#!/bin/sh\necho hi\n");
    symlink(&r, "a.txt", "link");
    gitlink(&r, "vendor/sub", "1111111111111111111111111111111111111111");
    r.commit("root");
    // Symlink -> regular file with new content: `T`, the new blob is in no
    // other commit.
    std::fs::remove_file(r.path().join("link")).unwrap();
    r.write("link", "the file that replaced a symlink\n");
    // Gitlink -> regular file: `T`.
    r.git(&["rm", "-q", "--cached", "vendor/sub"]);
    std::fs::remove_dir(r.path().join("vendor/sub")).unwrap();
    r.write("vendor/sub", "the file that replaced a gitlink\n");
    // Executable bit only: `M` with the same blob.
    r.git(&["update-index", "--chmod=+x", "script.sh"]);
    std::fs::set_permissions(
        r.path().join("script.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // Directory -> file at the same path.
    r.remove("pdir");
    r.write("pdir", "the file that replaced a directory\n");
    r.commit("type changes");
    // Regular file -> symlink (`T`), file -> gitlink (`T`, not a blob),
    // file -> directory.
    std::fs::remove_file(r.path().join("a.txt")).unwrap();
    symlink(&r, "elsewhere", "a.txt");
    r.git(&["rm", "-q", "--cached", "vendor/sub"]);
    std::fs::remove_file(r.path().join("vendor/sub")).unwrap();
    gitlink(&r, "vendor/sub", "2222222222222222222222222222222222222222");
    r.remove("pdir");
    r.write("pdir/again.txt", "a directory again\n");
    r.commit("and back");
    // Enough commits for the parallel tree diff (more than 16).
    for i in 0..20 {
        r.write("counter.txt", format!("{i}\n"));
        r.commit(&format!("count {i}"));
    }
    let ids_of = |r: &TestRepo, rev: &str| r.git(&["rev-parse", rev]).trim().to_owned();
    let type_change = ids_of(&r, "HEAD~21");
    let after_symlink = ids_of(&r, "HEAD~21:link");
    let after_gitlink = ids_of(&r, "HEAD~21:vendor/sub");
    let after_dir = ids_of(&r, "HEAD~21:pdir");
    let shared = ids_of(&r, "HEAD:shared.txt");

    // Tags naming blobs: lightweight, annotated, a tag of an annotated tag.
    let light = blob(&r, "named by a lightweight tag\n");
    r.git(&["tag", "light-blob", &light]);
    let annotated = blob(&r, "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmaintainer\n");
    r.git(&["tag", "-a", "-m", "key", "maintainer-pgp-pub", &annotated]);
    let tag_of_tag = blob(&r, "named by a tag of a tag\n");
    r.git(&["tag", "-a", "-m", "inner", "inner-tag", &tag_of_tag]);
    r.git(&["tag", "-a", "-m", "outer", "outer-tag", "inner-tag"]);
    // The inner tag's ref goes away: only the outer tag names the blob.
    r.git(&["tag", "-d", "inner-tag"]);
    // A tree (with a subtree, a gitlink and a shared blob) named by an
    // annotated tag and, under a later name, by a plain ref.
    let in_tree = blob(&r, "only in a tagged tree\n");
    let deep = git_stdin(
        r.path(),
        &["mktree"],
        &format!("100644 blob {in_tree}\tin-tree.txt\n"),
    );
    let tree = git_stdin(
        r.path(),
        &["mktree"],
        &format!(
            "040000 tree {deep}\tdeep\n\
             160000 commit 3333333333333333333333333333333333333333\tmodule\n\
             100644 blob {shared}\tshared.txt\n"
        ),
    );
    let top = git_stdin(
        r.path(),
        &["mktree"],
        &format!("040000 tree {tree}\tkeys\n"),
    );
    r.git(&["tag", "-a", "-m", "a tree", "tree-tag", &top]);
    r.git(&["update-ref", "refs/zzz/same-tree", &top]);

    // Notes: the note's blob is reachable only from refs/notes/commits.
    r.git(&["notes", "add", "-m", "a note that holds a secret", "HEAD"]);
    let note = r.git(&["notes", "list", "HEAD"]).trim().to_owned();
    // Stash with an untracked file: its blob is only in the stash's third
    // parent.
    r.write("counter.txt", "stashed change\n");
    r.write("untracked.txt", "untracked, stashed\n");
    r.git(&["stash", "push", "-q", "-u"]);
    let stash_untracked = ids_of(&r, "stash^3:untracked.txt");
    // Replace ref: HEAD~1 replaced by a commit whose tree has a blob found
    // nowhere else. The original stays reachable from main.
    let replacement = blob(&r, "only in the replacement commit\n");
    let rtree = git_stdin(
        r.path(),
        &["mktree"],
        &format!("100644 blob {replacement}\treplaced.txt\n"),
    );
    let rcommit = git_stdin(r.path(), &["commit-tree", &rtree, "-m", "replacement"], "");
    r.git(&["replace", &ids_of(&r, "HEAD~1"), &rcommit]);
    (
        r,
        Ids {
            type_change,
            after_symlink,
            after_gitlink,
            after_dir,
            light,
            annotated,
            tag_of_tag,
            in_tree,
            shared,
            note,
            stash_untracked,
            replacement,
        },
    )
}

/// `--all` against the oracles, on 1 and 2 threads: blob set and missing
/// objects as rev-list, contexts as `all_oracle`, bytes as cat-file.
fn check_all(dir: &Path) -> std::collections::BTreeMap<String, Seen> {
    let reach = rev_list_reach(dir);
    let expected = all_oracle(dir);
    let mut last = None;
    for threads in [1, 2] {
        let mut opts = options(dir, Selection::All);
        opts.threads = threads;
        let (outcome, seen) = run(&opts);
        assert_eq!(scan_reach(&outcome, &seen), reach, "threads {threads}");
        assert_contexts(&seen, &expected, &format!("threads {threads}"));
        for (oid, b) in cat_blobs(dir, seen.keys().cloned()) {
            assert_eq!(seen[&oid].bytes, b, "bytes of {oid}");
        }
        last = Some(seen);
    }
    last.unwrap()
}

#[test]
fn all_reaches_every_blob_rev_list_reaches() {
    let (r, ids) = reach_repo();
    let seen = check_all(r.path());
    let ctx = |oid: &str| {
        let s = &seen[oid];
        (s.commit.as_str(), s.tag.as_str(), s.path.as_str(), s.change)
    };
    let tc = ids.type_change.as_str();
    assert_eq!(
        ctx(&ids.after_symlink),
        (tc, "", "link", ChangeKind::Modified)
    );
    assert_eq!(
        ctx(&ids.after_gitlink),
        (tc, "", "vendor/sub", ChangeKind::Modified)
    );
    assert_eq!(ctx(&ids.after_dir), (tc, "", "pdir", ChangeKind::Added));
    assert_eq!(
        ctx(&ids.light),
        ("", "refs/tags/light-blob", "", ChangeKind::Added)
    );
    assert_eq!(
        ctx(&ids.annotated),
        ("", "refs/tags/maintainer-pgp-pub", "", ChangeKind::Added)
    );
    assert_eq!(
        ctx(&ids.tag_of_tag),
        ("", "refs/tags/outer-tag", "", ChangeKind::Added)
    );
    assert_eq!(
        ctx(&ids.in_tree),
        (
            "",
            "refs/tags/tree-tag",
            "keys/deep/in-tree.txt",
            ChangeKind::Added
        )
    );
    let root = r.git(&[
        "--no-replace-objects",
        "rev-list",
        "--max-parents=0",
        "main",
    ]);
    assert_eq!(
        ctx(&ids.shared),
        (root.trim(), "", "shared.txt", ChangeKind::Added)
    );
    for only_there in [&ids.note, &ids.stash_untracked, &ids.replacement] {
        let s = &seen[only_there];
        assert!(!s.commit.is_empty() && s.tag.is_empty(), "{only_there}");
    }
}

#[test]
fn all_from_packs_multi_pack_index_and_commit_graph() {
    let (r, _) = reach_repo();
    r.git(&["repack", "-adf", "--depth=50", "-q"]);
    r.git(&["multi-pack-index", "write"]);
    r.git(&["commit-graph", "write", "--reachable"]);
    check_all(r.path());
}

#[test]
fn gitlinks_are_skipped_and_counted() {
    let (r, _) = reach_repo();
    let (_, from_log) = oracle_counting_gitlinks(r.path(), &["--all"]);
    // `git log -m` meets the root, file -> gitlink, and the stash merge
    // against its untracked parent. The scan diffs that merge against its
    // first parent only (every commit below it is older, so the other
    // diffs cannot decide a context: `first_parent_only`), and adds the
    // tagged tree's gitlink, walked once though two refs name that tree.
    assert!(from_log >= 2);
    let from_log = from_log - 1;
    for threads in [1, 2] {
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        let (outcome, _) = run(&opts);
        assert_eq!(outcome.counts.gitlinks, from_log + 1, "threads {threads}");
        let metrics = outcome.metrics();
        assert!(metrics.contains(&("scan.gitlinks".to_owned(), from_log + 1)));
    }
}

#[test]
fn ranges_and_head_follow_diff_filter_amt() {
    let (r, ids) = reach_repo();
    let tc = &ids.type_change;
    let before = format!("{tc}~1..{tc}");
    let after = format!("{tc}..main");
    for revs in [before.as_str(), after.as_str()] {
        let selection = Selection::Range(revs.to_owned());
        let expected = oracle(r.path(), &[revs]);
        assert!(!expected.is_empty());
        let (outcome, seen) = run(&options(r.path(), selection));
        assert_eq!(outcome.status, Status::Complete);
        assert_eq!(
            seen.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{revs}"
        );
        for (oid, want) in &expected {
            let s = &seen[oid];
            assert_eq!(
                (&s.commit, &s.path, s.change),
                (&want.commit, &want.path, want.change),
                "{revs}: {oid}"
            );
        }
    }
    let expected = oracle(r.path(), &[&before]);
    assert!(expected.contains_key(&ids.after_symlink));
    // Refs to blobs and trees are `--all` tips only.
    let (_, seen) = run(&options(r.path(), Selection::Head));
    assert!(!seen.contains_key(&ids.light) && !seen.contains_key(&ids.in_tree));
}

#[test]
fn partial_clone_lists_missing_blobs_as_skipped() {
    let (src, _) = reach_repo();
    let (_dir, clone) = partial_clone(&src, true);
    let reach = rev_list_reach(&clone);
    assert!(!reach.missing.is_empty());
    let (outcome, seen) = run(&options(&clone, Selection::All));
    assert_eq!(outcome.status, Status::Partial);
    assert_eq!(scan_reach(&outcome, &seen), reach);
}

#[test]
fn cli_lists_ref_contexts_without_a_commit() {
    let (r, ids) = reach_repo();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scanner"))
        .args(["blobs", "--all", "--threads", "2"])
        .arg(r.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["oid"] == ids.in_tree.as_str())
        .unwrap();
    assert_eq!(row["tag"], "refs/tags/tree-tag");
    assert_eq!(row["path"], "keys/deep/in-tree.txt");
    assert!(row.get("commit").is_none());
}

#[test]
fn findings_in_a_tagged_blob_name_the_tag() {
    let mut r = TestRepo::new();
    r.write("a.txt", "alpha\n");
    r.commit("root");
    let key = blob(
        &r,
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzQWERTYAB\n",
    );
    r.git(&["tag", "-a", "-m", "key", "deploy-key", &key]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scanner"))
        .args(["scan", "--all", "--format", "json"])
        .arg(r.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    let f = &findings[0];
    assert_eq!(f["blob"], key.as_str());
    assert_eq!(f["tag"], "refs/tags/deploy-key");
    assert_eq!(f["path"], "");
    assert!(f.get("commit").is_none());
}
