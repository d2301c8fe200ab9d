//! Bad input: every case gives a clear error naming the input, or a Partial
//! outcome listing what was skipped and why — never a panic, never an
//! allocation sized by an untrusted header.

mod support;

use scanner::git::{self, Error, Selection, SkipReason, Status};
use std::collections::BTreeSet;
use support::*;

fn scan_err(opts: &git::Options) -> Error {
    match git::scan(opts, &CollectFactory) {
        Ok((o, _)) => panic!("expected an error, got {:?}", o.status),
        Err(e) => e,
    }
}

fn small_repo() -> TestRepo {
    let mut r = TestRepo::new();
    r.write("a.txt", "alpha\n");
    r.write("b.txt", "bravo\n");
    r.commit("one");
    r.write("a.txt", "alpha 2\n");
    r.write("c.txt", "charlie\n");
    r.commit("two");
    r.write("a.txt", "alpha 3\n");
    r.commit("three");
    r
}

#[test]
fn not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let e = scan_err(&options(dir.path(), Selection::All));
    assert!(matches!(e, Error::NotARepository { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
    let missing = dir.path().join("nope");
    let e = scan_err(&options(&missing, Selection::All));
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn empty_repository_and_unborn_head() {
    let r = TestRepo::new();
    let e = scan_err(&options(r.path(), Selection::All));
    assert!(matches!(e, Error::EmptyRepository { .. }), "{e:?}");
    assert!(e.to_string().contains(&r.path().display().to_string()));
    let e = scan_err(&options(r.path(), Selection::Head));
    assert!(matches!(e, Error::UnbornHead { .. }), "{e:?}");
    assert!(e.to_string().contains("refs/heads/main"), "{e}");
}

#[test]
fn unborn_head_in_repository_with_commits() {
    let r = small_repo();
    r.git(&["symbolic-ref", "HEAD", "refs/heads/orphan"]);
    let e = scan_err(&options(r.path(), Selection::Head));
    assert!(matches!(e, Error::UnbornHead { .. }), "{e:?}");
    // --all still has the branch.
    let (o, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Complete);
    assert_eq!(seen.len(), 5);
}

#[test]
fn unknown_ref_and_malformed_ranges() {
    let r = small_repo();
    let e = scan_err(&options(r.path(), Selection::Refs(vec!["nope".into()])));
    assert!(
        matches!(&e, Error::UnknownRevision { name, .. } if name == "nope"),
        "{e:?}"
    );
    assert!(e.to_string().contains("'nope'"));
    let e = scan_err(&options(r.path(), Selection::Range("main..nope".into())));
    assert!(
        matches!(&e, Error::UnknownRevision { name, .. } if name == "nope"),
        "{e:?}"
    );
    let e = scan_err(&options(r.path(), Selection::Range("main~9..main".into())));
    assert!(matches!(&e, Error::UnknownRevision { .. }), "{e:?}");
    for bad in ["main", "main..", "..main", "main...main", "a..b..c", ""] {
        let e = scan_err(&options(r.path(), Selection::Range(bad.into())));
        assert!(
            matches!(&e, Error::MalformedRange { spec, .. } if spec == bad),
            "{bad}: {e:?}"
        );
        assert!(e.to_string().contains("malformed range"), "{e}");
    }
    let blob = r.git(&["rev-parse", "HEAD:a.txt"]);
    let e = scan_err(&options(
        r.path(),
        Selection::Refs(vec![blob.trim().into()]),
    ));
    assert!(matches!(&e, Error::NotACommit { .. }), "{e:?}");
}

#[test]
fn shallow_clone_is_partial_with_boundary() {
    let src = small_repo();
    let dst = tempfile::tempdir().unwrap();
    let url = format!("file://{}", src.path().display());
    git_in(dst.path(), &["clone", "-q", "--depth", "2", &url, "clone"]);
    let clone = dst.path().join("clone");
    let (o, seen) = run(&options(&clone, Selection::All));
    assert_eq!(o.status, Status::Partial);
    assert_eq!(o.skipped.len(), 1);
    assert_eq!(o.skipped[0].reason, SkipReason::ShallowBoundary);
    // Like git, the shallow commit is diffed against the empty tree.
    let expected = oracle(&clone, &["--all"]);
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
}

#[test]
fn partial_clone_missing_blobs_are_skipped() {
    let src = small_repo();
    let (_dst, clone) = partial_clone(&src, false);
    let (o, seen) = run(&options(&clone, Selection::All));
    assert_eq!(o.status, Status::Partial);
    assert!(seen.is_empty());
    assert_eq!(o.skipped.len(), 5);
    assert!(
        o.skipped
            .iter()
            .all(|s| s.reason == SkipReason::Missing { promisor: true }),
        "{:?}",
        o.skipped
    );
    assert!(o.skipped[0].reason.to_string().contains("promisor"));
}

#[test]
fn corrupt_and_truncated_pack_entries_are_skipped() {
    let r = small_repo();
    let pack = blobs_only_pack(&r);
    let mut data = std::fs::read(&pack).unwrap();
    // Corrupt the compressed data of the first entry (keep its header).
    data[14] ^= 0xff;
    data[15] ^= 0xff;
    std::fs::write(&pack, &data).unwrap();
    let (o, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Partial);
    assert_eq!(seen.len() + o.skipped.len(), 5);
    assert!(!o.skipped.is_empty());
    for s in &o.skipped {
        assert!(
            matches!(&s.reason, SkipReason::Corrupt { file, .. } if file == &pack),
            "{s:?}"
        );
    }
    // Truncate the pack to half: later entries point past the end.
    std::fs::write(&pack, &data[..data.len() / 2]).unwrap();
    let (o, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Partial);
    assert_eq!(seen.len() + o.skipped.len(), 5);
    assert!(o.skipped.len() >= 2, "{:?}", o.skipped);
    // Truncate to less than a header: the whole pack is unusable.
    std::fs::write(&pack, &data[..7]).unwrap();
    let (o, _) = run(&options(r.path(), Selection::All));
    assert_eq!(o.skipped.len(), 5);
    assert!(
        o.skipped[0].reason.to_string().contains("not a pack file"),
        "{}",
        o.skipped[0].reason
    );
}

#[test]
fn corrupt_or_truncated_idx_is_an_error_naming_it() {
    let r = small_repo();
    let pack = blobs_only_pack(&r);
    let idx = pack.with_extension("idx");
    let data = std::fs::read(&idx).unwrap();
    std::fs::write(&idx, &data[..100]).unwrap();
    let e = scan_err(&options(r.path(), Selection::All));
    assert!(
        matches!(&e, Error::Index { path, .. } if path == &idx),
        "{e:?}"
    );
    // A fan-out table that is not monotonic.
    let mut bad = data.clone();
    bad[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&idx, &bad).unwrap();
    let e = scan_err(&options(r.path(), Selection::All));
    assert!(
        matches!(&e, Error::Index { path, .. } if path == &idx),
        "{e:?}"
    );
}

#[test]
fn corrupt_multi_pack_index_is_an_error_naming_it() {
    let r = small_repo();
    blobs_only_pack(&r);
    r.git(&["multi-pack-index", "write"]);
    let midx = r.path().join(".git/objects/pack/multi-pack-index");
    let data = std::fs::read(&midx).unwrap();
    std::fs::write(&midx, &data[..data.len() / 2]).unwrap();
    let e = scan_err(&options(r.path(), Selection::All));
    assert!(
        matches!(&e, Error::Index { path, .. } if path == &midx),
        "{e:?}"
    );
    assert!(e.to_string().contains("multi-pack-index"), "{e}");
}

#[test]
fn corrupt_loose_object_is_skipped_naming_the_file() {
    let r = small_repo();
    let oid = r.git(&["rev-parse", "HEAD:c.txt"]).trim().to_owned();
    let path = loose_path(r.path(), &oid);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"this is not zlib").unwrap();
    let (o, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Partial);
    assert_eq!(seen.len(), 4);
    assert_eq!(o.skipped.len(), 1);
    assert_eq!(o.skipped[0].oid.to_string(), oid);
    assert!(matches!(&o.skipped[0].reason, SkipReason::Corrupt { file, .. } if file == &path));
    // A valid zlib stream whose header lies about the size.
    std::fs::write(&path, zlib_stored(b"blob 999\0short")).unwrap();
    let (o, _) = run(&options(r.path(), Selection::All));
    assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
    // A header claiming a huge size is refused before allocating.
    std::fs::write(&path, zlib_stored(b"blob 1099511627776\0x")).unwrap();
    let (o, _) = run(&options(r.path(), Selection::All));
    assert!(
        matches!(
            o.skipped[0].reason,
            SkipReason::TooLarge {
                size: 1_099_511_627_776,
                ..
            }
        ),
        "{:?}",
        o.skipped
    );
}

/// Hand-made pack entries for the blobs of a repository whose loose blobs
/// were removed: each exercises one way a pack can lie.
#[test]
fn hostile_pack_entries_are_skipped_with_reasons() {
    let mut r = TestRepo::new();
    let names = [
        "self-ofs",
        "before-start",
        "self-ref",
        "cycle-a",
        "cycle-b",
        "past-end",
        "huge",
        "short",
        "good",
    ];
    for n in names {
        r.write(n, format!("content of {n}\n"));
    }
    r.commit("all");
    let oid = |n: &str| r.oid(&format!("HEAD:{n}"));
    for n in names {
        remove_loose(r.path(), &oid(n).to_string());
    }
    let good = b"content of good\n";
    let mut entries = Vec::new();
    let mut at = 12u64;
    let mut push =
        |o: gix::ObjectId, bytes: Vec<u8>, entries: &mut Vec<(gix::ObjectId, Vec<u8>)>| {
            let start = at;
            at += bytes.len() as u64;
            entries.push((o, bytes));
            start
        };
    let mut e = entry_header(3, good.len() as u64);
    e.extend(zlib_stored(good));
    push(oid("good"), e, &mut entries);
    // Ofs-delta with distance 0: points at itself.
    let mut e = entry_header(6, 4);
    e.extend(ofs_distance(0));
    e.extend(zlib_stored(&[1, 1, 1, b'x']));
    push(oid("self-ofs"), e, &mut entries);
    // Ofs-delta pointing before the pack start.
    let mut e = entry_header(6, 4);
    e.extend(ofs_distance(1 << 20));
    e.extend(zlib_stored(&[1, 1, 1, b'x']));
    push(oid("before-start"), e, &mut entries);
    // Ref-delta naming itself.
    let mut e = entry_header(7, 4);
    e.extend_from_slice(oid("self-ref").as_bytes());
    e.extend(zlib_stored(&[1, 1, 1, b'x']));
    push(oid("self-ref"), e, &mut entries);
    // Two ref-deltas naming each other.
    for (me, other) in [("cycle-a", "cycle-b"), ("cycle-b", "cycle-a")] {
        let mut e = entry_header(7, 4);
        e.extend_from_slice(oid(other).as_bytes());
        e.extend(zlib_stored(&[1, 1, 1, b'x']));
        push(oid(me), e, &mut entries);
    }
    // A blob claiming 1 TiB.
    let mut e = entry_header(3, 1 << 40);
    e.extend(zlib_stored(b"tiny"));
    push(oid("huge"), e, &mut entries);
    // A blob shorter than its header says.
    let mut e = entry_header(3, 100);
    e.extend(zlib_stored(b"short"));
    push(oid("short"), e, &mut entries);
    write_raw_pack(
        r.path(),
        "0000000000000000000000000000000000000000",
        &entries,
        &[(oid("past-end"), 1 << 30)],
    );

    let opts = options(r.path(), Selection::All);
    let ((o, seen), peak) = support::peak::measure("hostile pack entries", || run(&opts));
    assert!(peak < 64 * MIB, "{peak}");
    assert_eq!(o.status, Status::Partial);
    assert_eq!(
        seen.keys().cloned().collect::<Vec<_>>(),
        vec![oid("good").to_string()]
    );
    assert_eq!(seen[&oid("good").to_string()].bytes, good);
    let reason = |n: &str| {
        let id = oid(n);
        o.skipped
            .iter()
            .find(|s| s.oid == id)
            .map(|s| s.reason.to_string())
            .unwrap_or_else(|| panic!("{n} not skipped"))
    };
    for (name, says) in [
        ("self-ofs", "points at itself"),
        ("before-start", "before the pack start"),
        ("self-ref", "names itself"),
        ("cycle-a", "cycl"),
        ("cycle-b", "cycl"),
        ("past-end", "outside the pack"),
        ("huge", "exceeds the maximum blob size"),
        ("short", "header says 100"),
        ("short", "pack-0000"),
    ] {
        assert!(reason(name).contains(says), "{name}: {}", reason(name));
    }
    assert_eq!(o.skipped.len(), 8);
}

#[test]
fn oversize_blob_is_skipped() {
    let r = small_repo();
    let mut opts = options(r.path(), Selection::All);
    opts.max_blob_size = 7;
    let (o, seen) = run(&opts);
    assert_eq!(o.status, Status::Partial);
    // "alpha\n", "bravo\n" fit; "alpha 2\n", "charlie\n", "alpha 3\n" do not.
    assert_eq!(seen.len(), 2);
    assert_eq!(o.skipped.len(), 3);
    assert!(
        o.skipped
            .iter()
            .all(|s| matches!(s.reason, SkipReason::TooLarge { max: 7, .. }))
    );
}

#[test]
fn spill_directory_that_does_not_exist_is_an_error_naming_it() {
    let r = small_repo();
    let mut opts = options(r.path(), Selection::All);
    opts.dedupe_budget = 0;
    opts.spill_dir = Some(r.path().join("no-such-dir"));
    let e = scan_err(&opts);
    assert!(matches!(e, Error::Spill { .. }), "{e:?}");
    assert!(e.to_string().contains("no-such-dir"));
}

/// The blob ids of `tree` and its subtrees (`git ls-tree -r`).
fn blobs_under(r: &TestRepo, tree: &str) -> BTreeSet<String> {
    r.git(&["ls-tree", "-r", tree])
        .lines()
        .filter(|l| l.contains(" blob "))
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

/// Scans `r` with a damaged `tree` on 1 and 2 threads: the scan completes
/// as Partial, names the tree (the same way on both), and delivers every
/// blob of the undamaged scan except, at most, those the tree holds.
fn damaged_tree_is_skipped(
    r: &TestRepo,
    tree: &str,
    hidden: &BTreeSet<String>,
    full: &BTreeSet<String>,
    says: &str,
) {
    let mut reasons = Vec::new();
    for threads in [1, 2] {
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        let label = format!("damaged tree ({says}), {threads} thread(s)");
        let (o, seen) = support::peak::measure(&label, || run(&opts)).0;
        assert_eq!(o.status, Status::Partial);
        let damaged: Vec<_> = o
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::DamagedTree { .. }))
            .collect();
        assert_eq!(damaged.len(), 1, "{:?}", o.skipped);
        assert_eq!(damaged[0].oid, r.oid(tree));
        let text = damaged[0].reason.to_string();
        assert!(text.contains(says), "{text}");
        let got: BTreeSet<String> = seen.keys().cloned().collect();
        assert!(got.is_subset(full), "only blobs of the history");
        for b in full.difference(&got) {
            assert!(
                hidden.contains(b),
                "blob {b} is outside the damaged tree but was lost"
            );
        }
        assert!(got.len() < full.len(), "the damaged tree hid something");
        reasons.push(o.skipped);
    }
    assert_eq!(
        reasons[0], reasons[1],
        "the same report on any thread count"
    );
}

/// The rich repository, the blobs an undamaged `--all` scan delivers, the
/// tree the tests damage (`HEAD~10:dir`, already removed) and its blobs.
fn repo_with_removed_tree() -> (TestRepo, BTreeSet<String>, String, BTreeSet<String>) {
    let r = rich_repo();
    let (_, seen) = run(&options(r.path(), Selection::All));
    let full = seen.keys().cloned().collect();
    let tree = r.oid("HEAD~10:dir").to_string();
    let hidden = blobs_under(&r, &tree);
    remove_loose(r.path(), &tree);
    (r, full, tree, hidden)
}

#[test]
fn missing_tree_is_skipped_naming_it_and_the_rest_is_scanned_on_any_thread_count() {
    let (r, full, tree, hidden) = repo_with_removed_tree();
    damaged_tree_is_skipped(&r, &tree, &hidden, &full, "missing");
}

#[test]
fn malformed_tree_is_skipped_naming_it() {
    // Same id, bytes that are not a tree: an entry with a mode of 9s.
    let (r, full, tree, hidden) = repo_with_removed_tree();
    let body = b"999999 x\0aaaaaaaaaaaaaaaaaaaa";
    let mut raw = format!("tree {}\0", body.len()).into_bytes();
    raw.extend_from_slice(body);
    std::fs::write(loose_path(r.path(), &tree), zlib_stored(&raw)).unwrap();
    damaged_tree_is_skipped(&r, &tree, &hidden, &full, "malformed entry");
}

#[test]
fn spill_files_are_removed_when_the_scan_fails() {
    let r = rich_repo();
    let spill = tempfile::tempdir().unwrap();
    for threads in [1, 2] {
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        opts.dedupe_budget = 0;
        opts.spill_dir = Some(spill.path().to_owned());
        assert!(matches!(
            git::scan(&opts, &FailingFactory),
            Err(Error::Sink { .. })
        ));
        assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0);
    }
}

#[derive(Debug, thiserror::Error)]
#[error("disk full (test)")]
struct SinkFull;

struct Failing(usize);

impl scanner::sink::BlobSink for Failing {
    type Error = SinkFull;
    fn blob(&mut self, _: &scanner::sink::BlobContext<'_>, _: &[u8]) -> Result<(), SinkFull> {
        self.0 += 1;
        if self.0 == 3 { Err(SinkFull) } else { Ok(()) }
    }
}

struct FailingFactory;

impl scanner::sink::SinkFactory for FailingFactory {
    type Sink = Failing;
    fn make(&self, _: usize) -> Failing {
        Failing(0)
    }
}

#[test]
fn sink_error_stops_the_scan_and_is_reported() {
    let r = rich_repo();
    for threads in [1, 2] {
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        match git::scan(&opts, &FailingFactory) {
            Err(e @ Error::Sink { .. }) => {
                assert!(e.to_string().contains("disk full (test)"), "{e}")
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(_) => panic!("expected the sink's error"),
        }
    }
}

/// Writes `body` as the loose object `oid` of `kind`, replacing what is
/// there: the same id, other bytes.
fn overwrite_loose(r: &TestRepo, oid: &str, kind: &str, body: &[u8]) {
    let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
    raw.extend_from_slice(body);
    let path = loose_path(r.path(), oid);
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, zlib_stored(&raw)).expect("write the loose object");
}

/// Scans `--all` on 1 and 2 threads and returns the one outcome and blob
/// set both give (the report must not depend on the thread count).
/// `label` names the peak-heap figure printed (none when empty).
fn scan_on_1_and_2_threads(r: &TestRepo, label: &str) -> (git::Outcome, BTreeSet<String>) {
    let mut got = Vec::new();
    for threads in [1, 2] {
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        let (o, seen) = if label.is_empty() {
            run(&opts)
        } else {
            support::peak::measure(&format!("{label}, {threads} thread(s)"), || run(&opts)).0
        };
        got.push((o, seen.keys().cloned().collect::<BTreeSet<String>>()));
    }
    let (o2, s2) = got.pop().expect("the 2-thread scan");
    let (o1, s1) = got.pop().expect("the 1-thread scan");
    assert_eq!(
        o1.skipped, o2.skipped,
        "the same report on any thread count"
    );
    assert_eq!(s1, s2, "the same blobs on any thread count");
    (o1, s1)
}

#[test]
fn corrupt_tag_named_by_a_ref_is_skipped_naming_the_ref() {
    let r = small_repo();
    let (_, full) = scan_on_1_and_2_threads(&r, "");
    let bad = git_stdin(
        r.path(),
        &["hash-object", "-t", "tag", "--literally", "-w", "--stdin"],
        "not a tag at all\n",
    );
    // git refuses to point a ref at an unparsable tag; write it directly.
    std::fs::create_dir_all(r.path().join(".git/refs/tags")).unwrap();
    for name in ["broken", "also-broken"] {
        std::fs::write(
            r.path().join(".git/refs/tags").join(name),
            format!("{bad}\n"),
        )
        .unwrap();
    }
    let (o, seen) = scan_on_1_and_2_threads(&r, "corrupt tag");
    assert_eq!(o.status, Status::Partial);
    assert_eq!(seen, full, "everything else is scanned");
    assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
    assert_eq!(o.skipped[0].oid, r.oid(&bad));
    let SkipReason::DamagedTag {
        ref_name,
        refs,
        message,
    } = &o.skipped[0].reason
    else {
        panic!("{:?}", o.skipped[0].reason);
    };
    assert_eq!((ref_name.as_str(), *refs), ("refs/tags/also-broken", 2));
    assert!(message.contains("corrupt tag"), "{message}");
    let text = o.skipped[0].reason.to_string();
    assert!(text.contains("refs/tags/also-broken"), "{text}");
}

/// main: c0..c19, commit i adds `f{i}.txt` and rewrites `common.txt`; side
/// forks at c5 with one commit (adding `side.txt`), merged into main after
/// c11. Returns the repository, main's commits in order and the side
/// commit.
fn history_with_a_merge() -> (TestRepo, Vec<String>, String) {
    let mut r = TestRepo::new();
    let mut main = Vec::new();
    let mut side = String::new();
    for i in 0..20 {
        r.write(&format!("f{i}.txt"), format!("file {i}\n"));
        r.write("common.txt", format!("common v{i}\n"));
        main.push(r.commit(&format!("c{i}")));
        if i == 5 {
            r.git(&["checkout", "-q", "-b", "side"]);
            r.write("side.txt", "side\n");
            side = r.commit("side");
            r.git(&["checkout", "-q", "main"]);
        }
        if i == 11 {
            r.merge("side");
        }
    }
    (r, main, side)
}

/// The blob of `path` in `rev`.
fn blob_of(r: &TestRepo, rev: &str, path: &str) -> String {
    r.oid(&format!("{rev}:{path}")).to_string()
}

#[test]
fn missing_or_corrupt_commit_mid_history_is_skipped_and_the_rest_is_scanned() {
    for corrupt in [false, true] {
        let (r, main, _) = history_with_a_merge();
        let (_, full) = scan_on_1_and_2_threads(&r, "");
        // c8 is damaged: c6..c8 are reachable only through it (c5 and
        // before also through the side branch).
        let lost: BTreeSet<String> = (6..=8)
            .map(|i| blob_of(&r, &main[i], "common.txt"))
            .collect();
        r.git(&["branch", "at-c8", &main[8]]);
        if corrupt {
            overwrite_loose(&r, &main[8], "commit", b"this is no commit\n");
        } else {
            remove_loose(r.path(), &main[8]);
        }
        let label = if corrupt {
            "corrupt commit mid-history"
        } else {
            "missing commit mid-history"
        };
        let (o, seen) = scan_on_1_and_2_threads(&r, label);
        assert_eq!(o.status, Status::Partial);
        assert_eq!(
            full.difference(&seen).cloned().collect::<BTreeSet<_>>(),
            lost,
            "only what the damaged commit's own history held is lost"
        );
        assert!(seen.is_subset(&full));
        assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
        assert_eq!(o.skipped[0].oid, r.oid(&main[8]));
        let SkipReason::DamagedCommit {
            reached_from,
            reached,
            message,
        } = &o.skipped[0].reason
        else {
            panic!("{:?}", o.skipped[0].reason);
        };
        // The ref and c9 lead to it; refs sort first.
        assert_eq!(
            (reached_from, *reached),
            (&git::ReachedFrom::Ref("refs/heads/at-c8".into()), 2)
        );
        let says = if corrupt {
            "corrupt commit"
        } else {
            "not in the object database"
        };
        assert!(message.contains(says), "{message}");
        assert!(
            o.skipped[0].reason.to_string().contains("damaged commit"),
            "{}",
            o.skipped[0].reason
        );
    }
}

#[test]
fn merge_with_a_damaged_parent_is_diffed_against_the_other() {
    let (r, main, side) = history_with_a_merge();
    let (_, full) = scan_on_1_and_2_threads(&r, "");
    let merge = r.git(&["rev-parse", "main~8"]).trim().to_owned();
    remove_loose(r.path(), &side);
    r.git(&["branch", "-D", "side"]);
    let (o, seen) = scan_on_1_and_2_threads(&r, "merge with a missing parent");
    // The side commit's only blob is in the merge's tree: nothing is lost.
    assert_eq!(seen, full);
    assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
    assert_eq!(o.skipped[0].oid, r.oid(&side));
    assert!(
        matches!(
            &o.skipped[0].reason,
            SkipReason::DamagedCommit { reached_from: git::ReachedFrom::Commit(c), reached: 1, .. }
                if *c == r.oid(&merge)
        ),
        "{:?}",
        o.skipped[0].reason
    );
    assert_eq!(main.len(), 20);
}

#[test]
fn damaged_tip_commit_is_skipped_for_head_and_all() {
    let r = small_repo();
    let head = r.git(&["rev-parse", "HEAD"]).trim().to_owned();
    overwrite_loose(&r, &head, "commit", b"tree nonsense\n");
    for selection in [Selection::Head, Selection::All] {
        let (o, seen) = run(&options(r.path(), selection.clone()));
        assert_eq!(o.status, Status::Partial, "{selection:?}");
        assert!(seen.is_empty());
        assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
        assert!(
            matches!(&o.skipped[0].reason, SkipReason::DamagedCommit { message, .. }
                if message.contains("corrupt commit")),
            "{:?}",
            o.skipped[0].reason
        );
    }
    // A revision through the damaged commit cannot be resolved: an error
    // naming it.
    let e = scan_err(&options(r.path(), Selection::Refs(vec!["HEAD~1".into()])));
    assert!(
        matches!(&e, Error::Object { oid, .. } if *oid == r.oid(&head)),
        "{e:?}"
    );
}

#[test]
fn missing_object_named_by_a_ref_is_skipped_as_missing() {
    let r = small_repo();
    let blob = git_stdin(
        r.path(),
        &["hash-object", "-w", "--stdin"],
        "tagged, then lost\n",
    );
    r.git(&["tag", "lost", &blob]);
    remove_loose(r.path(), &blob);
    let (o, _) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Partial);
    assert_eq!(o.skipped.len(), 1);
    assert_eq!(o.skipped[0].oid.to_string(), blob);
    assert_eq!(o.skipped[0].reason, SkipReason::Missing { promisor: false });
}

#[test]
fn deep_delta_chains_and_huge_delta_results_are_skipped() {
    let mut r = TestRepo::new();
    for n in ["deep", "ok-depth", "huge-result"] {
        r.write(n, format!("content of {n}\n"));
    }
    r.commit("all");
    let oid = |n: &str| r.oid(&format!("HEAD:{n}"));
    for n in ["deep", "ok-depth", "huge-result"] {
        remove_loose(r.path(), &oid(n).to_string());
    }
    // Intermediate chain entries need ids of their own in the index.
    let fake = |i: u32| {
        let mut b = [0xeeu8; 20];
        b[16..].copy_from_slice(&i.to_be_bytes());
        gix::ObjectId::Sha1(b)
    };
    // Entries and the offset each starts at (after the 12-byte header).
    let mut entries: Vec<(gix::ObjectId, Vec<u8>)> = Vec::new();
    let mut at = 12u64;
    let mut base = entry_header(3, 4);
    base.extend(zlib_stored(b"four"));
    let first = at;
    at += base.len() as u64;
    entries.push((fake(0), base));
    // 10,001 deltas, each copying its base's 4 bytes: one past the limit.
    let copy = [4u8, 4, 0x90, 4];
    let mut prev = first;
    for i in 1..=10_001u32 {
        let mut e = entry_header(6, copy.len() as u64);
        e.extend(ofs_distance(at - prev));
        e.extend(zlib_stored(&copy));
        let id = match i {
            10_001 => oid("deep"),
            50 => oid("ok-depth"),
            _ => fake(i),
        };
        prev = at;
        at += e.len() as u64;
        entries.push((id, e));
    }
    // A delta on the first blob announcing a 1 TiB result.
    let mut huge = vec![4u8];
    let mut n = 1u64 << 40;
    while n >= 0x80 {
        huge.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    huge.extend([n as u8, 0x90, 4]);
    let mut e = entry_header(6, huge.len() as u64);
    e.extend(ofs_distance(at - first));
    e.extend(zlib_stored(&huge));
    entries.push((oid("huge-result"), e));
    write_raw_pack(
        r.path(),
        "1111111111111111111111111111111111111111",
        &entries,
        &[],
    );

    let opts = options(r.path(), Selection::All);
    let ((o, seen), peak) = support::peak::measure("delta chains, 2^40 result", || run(&opts));
    assert!(peak < 64 * MIB, "{peak}");
    assert_eq!(o.status, Status::Partial);
    assert_eq!(seen[&oid("ok-depth").to_string()].bytes, b"four");
    let reason = |n: &str| {
        o.skipped
            .iter()
            .find(|s| s.oid == oid(n))
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{n} not skipped: {:?}", o.skipped))
    };
    assert!(
        reason("deep").to_string().contains("longer than 10000"),
        "{}",
        reason("deep")
    );
    assert!(
        matches!(reason("huge-result"), SkipReason::TooLarge { size, .. } if size == 1 << 40),
        "{:?}",
        reason("huge-result")
    );
}

#[test]
fn a_tree_bomb_stops_at_the_entry_limit_and_is_named() {
    use scanner::internals::{OdbTrees, Repo, TreeDiff};
    // Level 0 holds a blob; level k names level k-1 twice: 2^20 paths.
    let mut r = TestRepo::new();
    r.write("x", "x\n");
    r.commit("seed");
    let blob = r.oid("HEAD:x").to_string();
    let mut tree = git_stdin(r.path(), &["mktree"], &format!("100644 blob {blob}\tx\n"));
    for _ in 0..20 {
        tree = git_stdin(
            r.path(),
            &["mktree"],
            &format!("040000 tree {tree}\ta\n040000 tree {tree}\tb\n"),
        );
    }
    let top = r.oid(&tree);
    let repo = Repo::open(r.path()).unwrap();
    let mut src = OdbTrees::of(&repo);
    let mut td = TreeDiff::new(1 << 20).with_entry_limit(10_000);
    let mut emitted = 0u64;
    let (diffed, peak) = support::peak::measure("tree bomb", || {
        td.diff(&mut src, &top, None, &top, &mut |_, _, _| {
            emitted += 1;
            Ok(())
        })
    });
    diffed.unwrap();
    assert!(peak < 64 * MIB, "{peak}");
    assert!(emitted > 0 && emitted < 10_000, "{emitted}");
    assert_eq!(td.damage.len(), 1, "{:?}", td.damage);
    assert!(
        td.damage[0].message.contains("10000 tree entries"),
        "{:?}",
        td.damage
    );
    // The next diff starts with a fresh allowance.
    td.diff(
        &mut src,
        &top,
        None,
        &r.oid("HEAD^{tree}"),
        &mut |_, _, _| Ok(()),
    )
    .unwrap();
    assert_eq!(td.damage.len(), 1);
}

// Hostile and unusual repositories. Each measures the scan's peak heap
// (`support::peak`, printed; docs/reliability.md's table quotes the figures
// from `cargo nextest run -p scanner --test git_bad_input --no-capture`)
// and asserts a generous bound.

#[global_allocator]
static HEAP: support::peak::PeakHeap = support::peak::PeakHeap;

const MIB: usize = 1 << 20;

/// Points `refs/heads/main` at a new commit of `tree` (no parents).
fn commit_tree(r: &TestRepo, tree: &gix::ObjectId) -> gix::ObjectId {
    let c = write_loose(r.path(), "commit", &commit_body(tree, &[], "hostile"));
    r.git(&["update-ref", "refs/heads/main", &c.to_string()]);
    c
}

/// A raw tree entry.
fn tree_entry(out: &mut Vec<u8>, mode: &str, name: &[u8], id: &gix::ObjectId) {
    out.extend_from_slice(mode.as_bytes());
    out.push(b' ');
    out.extend_from_slice(name);
    out.push(0);
    out.extend_from_slice(id.as_bytes());
}

/// Scans `--all` on `threads` with the peak heap measured.
fn measured_scan(
    r: &TestRepo,
    threads: usize,
    label: &str,
) -> (
    (git::Outcome, std::collections::BTreeMap<String, Seen>),
    usize,
) {
    let mut opts = options(r.path(), Selection::All);
    opts.threads = threads;
    opts.alloc_counter = Some(support::peak::snapshot);
    support::peak::measure(label, || run(&opts))
}

#[test]
fn a_tree_of_a_million_entries_is_scanned_in_bounded_memory() {
    let r = TestRepo::new();
    let blob = write_loose(r.path(), "blob", b"the same blob everywhere\n");
    let mut body = Vec::with_capacity(36 << 20);
    for i in 0..1_000_000u32 {
        tree_entry(&mut body, "100644", format!("f{i:07}").as_bytes(), &blob);
    }
    // git hashes 36 MB far faster than a debug build does.
    let file = r.path().join("tree.raw");
    std::fs::write(&file, &body).unwrap();
    let tree = r.git(&["hash-object", "-t", "tree", "-w", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    drop(body);
    commit_tree(&r, &r.oid(tree.trim()));
    let start = std::time::Instant::now();
    let ((o, seen), peak) = measured_scan(&r, 2, "tree of 1,000,000 entries");
    println!(
        "tree of 1,000,000 entries: scanned in {:?}",
        start.elapsed()
    );
    assert_eq!(o.status, Status::Complete, "{:?}", o.skipped);
    assert_eq!(o.counts.candidates, 1_000_000);
    assert_eq!(seen.len(), 1);
    // The raw tree (36 MB) is read once; dedupe spills beyond its budget.
    assert!(peak < 512 * MIB, "{peak}");
}

#[test]
fn a_64_kib_path_component_is_scanned() {
    let r = TestRepo::new();
    let blob = write_loose(r.path(), "blob", b"behind a long name\n");
    let name = vec![b'n'; 64 << 10];
    let mut body = Vec::new();
    tree_entry(&mut body, "100644", &name, &blob);
    let tree = write_loose(r.path(), "tree", &body);
    commit_tree(&r, &tree);
    let ((o, seen), peak) = measured_scan(&r, 2, "64 KiB path component");
    assert_eq!(o.status, Status::Complete, "{:?}", o.skipped);
    assert_eq!(seen[&blob.to_string()].path.len(), 64 << 10);
    assert!(peak < 64 * MIB, "{peak}");
}

#[test]
fn trees_nested_10000_deep_stop_at_4096_levels_and_are_named() {
    let r = TestRepo::new();
    let blob = write_loose(r.path(), "blob", b"at the bottom\n");
    let mut body = Vec::new();
    tree_entry(&mut body, "100644", b"x", &blob);
    let mut tree = write_loose(r.path(), "tree", &body);
    let mut levels = vec![tree];
    for _ in 0..10_000 {
        let mut body = Vec::new();
        tree_entry(&mut body, "40000", b"d", &tree);
        tree = write_loose(r.path(), "tree", &body);
        levels.push(tree);
    }
    commit_tree(&r, &tree);
    let mut reports = Vec::new();
    for threads in [1, 2] {
        let ((o, seen), peak) = measured_scan(&r, threads, "trees nested 10,000 deep");
        assert_eq!(o.status, Status::Partial);
        assert!(seen.is_empty());
        assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
        let text = o.skipped[0].reason.to_string();
        assert!(text.contains("nested deeper than 4096 levels"), "{text}");
        assert!(levels.contains(&o.skipped[0].oid));
        assert!(peak < 256 * MIB, "{peak}");
        reports.push(o.skipped);
    }
    assert_eq!(reports[0], reports[1]);
}

#[test]
fn a_commit_with_10000_parents_is_scanned() {
    let r = TestRepo::new();
    let a = write_loose(r.path(), "blob", b"in every parent\n");
    let b = write_loose(r.path(), "blob", b"only in the octopus\n");
    let mut body = Vec::new();
    tree_entry(&mut body, "100644", b"a", &a);
    let parent_tree = write_loose(r.path(), "tree", &body);
    tree_entry(&mut body, "100644", b"b", &b);
    let tree = write_loose(r.path(), "tree", &body);
    let parents: Vec<gix::ObjectId> = (0..10_000)
        .map(|i| {
            let msg = format!("root {i}");
            write_loose(r.path(), "commit", &commit_body(&parent_tree, &[], &msg))
        })
        .collect();
    let octopus = write_loose(r.path(), "commit", &commit_body(&tree, &parents, "octopus"));
    r.git(&["update-ref", "refs/heads/main", &octopus.to_string()]);
    let ((o, seen), peak) = measured_scan(&r, 2, "commit with 10,000 parents");
    assert_eq!(o.status, Status::Complete, "{:?}", o.skipped);
    assert_eq!(o.counts.commits, 10_001);
    // 10,000 root diffs, then the octopus against its first parent only:
    // every root is older, so the other 9,999 diffs cannot decide a context.
    assert_eq!(o.counts.diffs, 10_001);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[&b.to_string()].commit, octopus.to_string());
    assert!(peak < 256 * MIB, "{peak}");
}

/// A zlib stream (fixed Huffman codes) of `prefix` followed by `zeros`
/// zero bytes: 13 bits per 258 zeros, so 4 GiB fit in 27 MB.
fn zlib_zeros(prefix: &[u8], zeros: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        // Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            for i in (0..len).rev() {
                self.acc |= u64::from((code >> i) & 1) << self.n;
                self.n += 1;
            }
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        fn literal(&mut self, b: u8) {
            if b < 144 {
                self.code(0x30 + u32::from(b), 8);
            } else {
                self.code(0x190 + u32::from(b) - 144, 9);
            }
        }
    }
    let mut w = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    // BFINAL = 1, BTYPE = 01 (fixed codes), both least significant first.
    w.acc = 0b011;
    w.n = 3;
    for &b in prefix {
        w.literal(b);
    }
    w.literal(0);
    let repeats = (zeros - 1) / 258;
    for _ in 0..repeats {
        // Length 258 (symbol 285), distance 1 (distance code 0).
        w.code(0xc5, 8);
        w.code(0, 5);
    }
    for _ in 0..(zeros - 1) % 258 {
        w.literal(0);
    }
    w.code(0, 7);
    if w.n > 0 {
        w.out.push(w.acc as u8);
    }
    // Adler-32: zeros leave `a` alone and add it to `b` once each.
    let (mut a, mut b) = (1u64, 0u64);
    for &x in prefix {
        a = (a + u64::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    b = (b + zeros % 65521 * a) % 65521;
    w.out
        .extend_from_slice(&(((b << 16) | a) as u32).to_be_bytes());
    w.out
}

#[test]
fn a_blob_inflating_to_4_gib_of_zeros_is_skipped_in_bounded_memory() {
    let four_gib = 4u64 << 30;
    for (header, says) in [
        (
            format!("blob {four_gib}\0"),
            "exceeds the maximum blob size",
        ),
        ("blob 10\0".to_owned(), "longer than its header says"),
    ] {
        let r = TestRepo::new();
        // Its id is not the hash of 4 GiB (too slow to compute here): the
        // scan finds loose objects by id and does not rehash them.
        let id = gix::ObjectId::from_hex(b"b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0").unwrap();
        let path = loose_path(r.path(), &id.to_string());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, zlib_zeros(header.as_bytes(), four_gib)).unwrap();
        let mut body = Vec::new();
        tree_entry(&mut body, "100644", b"bomb", &id);
        let tree = write_loose(r.path(), "tree", &body);
        commit_tree(&r, &tree);
        let ((o, seen), peak) = measured_scan(&r, 2, "blob inflating to 4 GiB of zeros");
        assert_eq!(o.status, Status::Partial);
        assert!(seen.is_empty());
        assert_eq!(o.skipped.len(), 1, "{:?}", o.skipped);
        let text = o.skipped[0].reason.to_string();
        assert!(text.contains(says), "{header:?}: {text}");
        assert!(peak < 64 * MIB, "{peak}");
    }
}

#[test]
fn a_corrupt_commit_graph_is_not_used_and_warned_about_once() {
    let r = rich_repo();
    r.git(&["commit-graph", "write", "--reachable"]);
    let graph = r.path().join(".git/objects/info/commit-graph");
    let good = std::fs::read(&graph).unwrap();
    let (o, full) = run(&options(r.path(), Selection::All));
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert!(
        o.stages.repo.from_commit_graph > 0,
        "the graph is used when sound"
    );
    // A broken signature (the file cannot be opened), then a parent
    // position past the end in the first commit's entry.
    let mut bad_signature = good.clone();
    bad_signature[..4].copy_from_slice(b"XXXX");
    let mut bad_parent = good.clone();
    let chunks = usize::from(good[6]);
    let cdat = (0..chunks)
        .map(|i| 8 + 12 * i)
        .find(|&at| &good[at..at + 4] == b"CDAT")
        .map(|at| u64::from_be_bytes(good[at + 4..at + 12].try_into().unwrap()) as usize)
        .expect("a CDAT chunk");
    bad_parent[cdat + 20..cdat + 24].copy_from_slice(&0x0fff_ffffu32.to_be_bytes());
    for (what, bytes) in [("signature", bad_signature), ("parent", bad_parent)] {
        std::fs::write(&graph, &bytes).unwrap();
        for threads in [1, 2] {
            let mut opts = options(r.path(), Selection::All);
            opts.threads = threads;
            let ((o, seen), _) = support::peak::measure("corrupt commit-graph", || run(&opts));
            assert_eq!(o.status, Status::Complete, "{what}: {:?}", o.skipped);
            assert_eq!(
                seen.keys().collect::<Vec<_>>(),
                full.keys().collect::<Vec<_>>(),
                "{what}"
            );
            assert_eq!(o.warnings.len(), 1, "{what}: {:?}", o.warnings);
            assert!(
                matches!(&o.warnings[0], git::Warning::CommitGraphIgnored { .. }),
                "{what}"
            );
            assert!(o.warnings[0].to_string().contains("commit-graph"), "{what}");
        }
    }
}

#[test]
fn a_sha256_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    git_in(
        dir.path(),
        &["init", "-q", "--object-format=sha256", "repo"],
    );
    let repo = dir.path().join("repo");
    std::fs::write(repo.join("a.txt"), "alpha\n").unwrap();
    git_in(&repo, &["add", "a.txt"]);
    git_in(&repo, &["commit", "-qm", "one"]);
    let e = scan_err(&options(&repo, Selection::All));
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("SHA-256 not supported yet"), "{text}");
    assert!(text.contains(&repo.display().to_string()), "{text}");
}

#[test]
fn a_reftable_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    git_in(dir.path(), &["init", "-q", "--ref-format=reftable", "repo"]);
    let repo = dir.path().join("repo");
    std::fs::write(repo.join("a.txt"), "alpha\n").unwrap();
    git_in(&repo, &["add", "a.txt"]);
    git_in(&repo, &["commit", "-qm", "one"]);
    // gix (0.90) cannot read reftables yet.
    let e = scan_err(&options(&repo, Selection::All));
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("reftable ref store not supported yet"),
        "{text}"
    );
    assert!(text.contains(&repo.display().to_string()), "{text}");
}

#[test]
fn packed_and_loose_refs_mixed_are_all_scanned() {
    let mut r = small_repo();
    r.git(&["branch", "packed-only", "HEAD~1"]);
    r.git(&["branch", "both", "HEAD~2"]);
    r.git(&["pack-refs", "--all"]);
    // A loose ref overrides its packed copy; a new one is loose only.
    r.git(&["checkout", "-q", "-b", "loose-only"]);
    r.write("d.txt", "delta\n");
    r.commit("loose");
    r.git(&["update-ref", "refs/heads/both", "HEAD"]);
    r.git(&["checkout", "-q", "main"]);
    assert!(
        std::fs::read_to_string(r.path().join(".git/packed-refs"))
            .unwrap()
            .contains("refs/heads/both")
    );
    let (o, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Complete);
    assert_contexts(&seen, &all_oracle(r.path()), "packed and loose refs");
    assert_eq!(
        seen.keys().cloned().collect::<BTreeSet<_>>(),
        rev_list_reach(r.path()).blobs
    );
}

#[test]
fn a_keep_pack_is_read_like_any_other() {
    let mut r = small_repo();
    r.git(&["repack", "-adq"]);
    let pack_dir = r.path().join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    std::fs::write(pack.with_extension("keep"), "kept\n").unwrap();
    r.write("e.txt", "echo\n");
    r.commit("after the kept pack");
    r.git(&["repack", "-dq"]);
    let (o, seen) = run(&options(r.path(), Selection::All));
    assert_eq!(o.status, Status::Complete);
    assert_eq!(
        seen.keys().cloned().collect::<BTreeSet<_>>(),
        rev_list_reach(r.path()).blobs
    );
}
