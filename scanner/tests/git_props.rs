//! Property tests: the result (unique blobs, canonical contexts, bytes) does
//! not depend on worker threads, the dedupe budget (from never spilling to
//! dozens of runs), or cache budgets; and on random histories it equals the
//! `git log` oracle.

#![allow(clippy::unwrap_used)]

mod support;

use proptest::prelude::*;
use scanner::git::{Selection, Status, TableHashing};
use scanner::internals::ENTRY_COST;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use support::*;

/// The rich repository, packed with deep delta chains, plus its result with
/// one thread and a budget that never spills.
fn baseline() -> &'static (TestRepo, BTreeMap<String, Seen>) {
    static BASE: OnceLock<(TestRepo, BTreeMap<String, Seen>)> = OnceLock::new();
    BASE.get_or_init(|| {
        let r = rich_repo();
        r.git(&["repack", "-adf", "--depth=50", "--window=50", "-q"]);
        let mut opts = options(r.path(), Selection::All);
        opts.threads = 1;
        opts.dedupe_budget = 1 << 30;
        let (o, seen) = run(&opts);
        assert_eq!(o.status, Status::Complete);
        assert_eq!(o.stages.dedupe.spill_runs, 0);
        assert!(
            o.stages.exec.base_hits > 0,
            "deltas resolved from the base cache"
        );
        (r, seen)
    })
}

#[test]
fn tiny_budget_spills_dozens_of_runs_with_identical_result() {
    let (r, base) = baseline();
    let mut opts = options(r.path(), Selection::All);
    opts.dedupe_budget = ENTRY_COST;
    let spill = tempfile::tempdir().unwrap();
    opts.spill_dir = Some(spill.path().to_owned());
    let (o, seen) = run(&opts);
    assert!(
        o.stages.dedupe.spill_runs >= 24,
        "{} runs",
        o.stages.dedupe.spill_runs
    );
    assert!(o.stages.dedupe.spill_bytes > 0);
    assert_eq!(&seen, base);
    // Spill files are gone once the scan returns.
    assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn identical_for_threads_and_budgets(
        threads in prop::sample::select(vec![1usize, 2, 4]),
        budget_entries in prop::sample::select(vec![1usize, 2, 3, 7, 20, 100, 1 << 20]),
        tree_cache in prop::sample::select(vec![0usize, 4096, 64 << 20]),
        base_cache in prop::sample::select(vec![0usize, 1024, 16 << 20]),
        table_hashing in prop::sample::select(TableHashing::all().to_vec()),
    ) {
        let (r, base) = baseline();
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        opts.dedupe_budget = budget_entries * ENTRY_COST;
        opts.tree_cache_budget = tree_cache;
        opts.base_cache_budget = base_cache;
        opts.table_hashing = table_hashing;
        let (o, seen) = run(&opts);
        prop_assert_eq!(o.status, Status::Complete);
        prop_assert_eq!(&seen, base);
    }
}

#[derive(Clone, Debug)]
enum Op {
    Write {
        file: u8,
        content: u8,
    },
    Delete {
        file: u8,
    },
    Commit {
        same_time: bool,
    },
    /// A commit dated before its parent (a skewed clock): merges above it
    /// must keep their diffs against the other parents.
    SkewedCommit,
    Branch {
        to: u8,
    },
    Merge {
        from: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6, 0u8..5).prop_map(|(file, content)| Op::Write { file, content }),
        1 => (0u8..6).prop_map(|file| Op::Delete { file }),
        3 => any::<bool>().prop_map(|same_time| Op::Commit { same_time }),
        1 => Just(Op::SkewedCommit),
        1 => (0u8..3).prop_map(|to| Op::Branch { to }),
        1 => (0u8..3).prop_map(|from| Op::Merge { from }),
    ]
}

const FILES: [&str; 6] = ["a.txt", "b.txt", "d/c.txt", "d/e/f.txt", "g.txt", "d/h.txt"];

fn build(ops: &[Op]) -> TestRepo {
    let mut r = TestRepo::new();
    r.write("seed.txt", "seed\n");
    r.commit("seed");
    for b in 1..3 {
        r.git(&["branch", &format!("b{b}")]);
    }
    r.git(&["branch", "-m", "main", "b0"]);
    for op in ops {
        match op {
            Op::Write { file, content } => {
                r.write(FILES[*file as usize], format!("content {content}\n"))
            }
            Op::Delete { file } => {
                if r.path().join(FILES[*file as usize]).exists() {
                    r.remove(FILES[*file as usize]);
                }
            }
            Op::Commit { same_time } => {
                r.commit_at("c", *same_time);
            }
            Op::SkewedCommit => {
                r.commit_skewed("skewed");
            }
            Op::Branch { to } => {
                r.commit("before switch");
                r.git(&["checkout", "-q", &format!("b{to}")]);
            }
            Op::Merge { from } => {
                r.commit("before merge");
                let ok = git_cmd(r.path())
                    .args([
                        "merge",
                        "-q",
                        "--no-ff",
                        "--no-commit",
                        "-X",
                        "theirs",
                        &format!("b{from}"),
                    ])
                    .output()
                    .unwrap()
                    .status
                    .success();
                if ok {
                    r.commit_at("merge", false);
                } else {
                    // Conflicts -X theirs cannot settle (modify/delete): commit
                    // the merge with whatever the work tree holds.
                    r.git(&["add", "-A"]);
                    r.commit_at("conflicted merge", false);
                }
            }
        }
    }
    r.commit("final");
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_match_git(ops in prop::collection::vec(op(), 5..30), threads in 1usize..4, budget in 1usize..50) {
        let r = build(&ops);
        if budget % 2 == 0 {
            r.git(&["repack", "-adf", "-q"]);
        }
        let expected = oracle(r.path(), &["--all"]);
        let mut opts = options(r.path(), Selection::All);
        opts.threads = threads;
        opts.dedupe_budget = budget * ENTRY_COST;
        let (o, seen) = run(&opts);
        prop_assert_eq!(o.status, Status::Complete);
        prop_assert_eq!(seen.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
        for (oid, intro) in &expected {
            let s = &seen[oid];
            prop_assert_eq!((&s.commit, &s.path, s.change), (&intro.commit, &intro.path, intro.change), "context of {}", oid);
        }
        let range = oracle(r.path(), &["b1..b0"]);
        let (_, seen) = run(&options(r.path(), Selection::Range("b1..b0".into())));
        prop_assert_eq!(seen.keys().collect::<Vec<_>>(), range.keys().collect::<Vec<_>>());
    }
}
