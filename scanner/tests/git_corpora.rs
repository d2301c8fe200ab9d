//! The git pipeline against the corpora's independent bookkeeping: for every
//! test-sized stratum, each blob holding a planted value is delivered once,
//! with exactly the canonical context the generator recorded for the
//! benchmark selection, and its bytes hold the value at the recorded offset.

mod support;

use corpora::manifest::ScanSelection;
use corpora::{Stratum, StratumSpec, build, default_root};
use scanner::git::{Selection, Status};
use scanner::sink::ChangeKind;

#[test]
fn canonical_contexts_match_the_corpus_manifests() {
    for stratum in Stratum::all() {
        let built = build(&stratum.test_spec(), &default_root()).expect("test corpus builds");
        let m = &built.manifest;
        let selection = match &m.selection {
            ScanSelection::All => Selection::All,
            ScanSelection::Range { base, tip } => Selection::Range(format!("{base}..{tip}")),
        };
        for threads in [1, 2] {
            let mut opts = support::options(&built.repo, selection.clone());
            opts.threads = threads;
            if let Some(budget) = m.dedupe_budget_bytes {
                opts.dedupe_budget = budget as usize;
            }
            let (outcome, seen) = support::run(&opts);
            assert_eq!(outcome.status, Status::Complete, "{stratum:?}");
            if m.selection == ScanSelection::All {
                assert_eq!(
                    seen.len() as u64,
                    m.stats.unique_blobs,
                    "{stratum:?} unique blobs"
                );
            }
            for o in m.secrets.iter().chain(&m.decoys) {
                let Some(intro) = &o.selection else {
                    assert!(
                        !seen.contains_key(&o.blob),
                        "{stratum:?}: {} is outside the selection",
                        o.blob
                    );
                    continue;
                };
                let got = seen
                    .get(&o.blob)
                    .unwrap_or_else(|| panic!("{stratum:?}: {} not delivered", o.blob));
                let change = match got.change {
                    ChangeKind::Added => "added",
                    ChangeKind::Modified => "modified",
                };
                assert_eq!(
                    (got.commit.as_str(), got.path.as_str(), change),
                    (
                        intro.commit.as_str(),
                        intro.path.as_str(),
                        intro.change.as_str()
                    ),
                    "{stratum:?}: canonical context of {}",
                    o.blob
                );
                let value = &got.bytes[o.offset..o.offset + o.length];
                assert_eq!(corpora::secrets::fingerprint(value), o.fingerprint);
            }
        }
    }
}

/// `--all` on every test-sized corpus reaches exactly the blobs `git
/// rev-list --objects --all` reaches, each with the context of `git log -m
/// --raw --diff-filter=AMT` (or of the ref naming it); the benchmark range,
/// where there is one, matches `git log` over that range.
#[test]
fn every_corpus_matches_git_rev_list_and_log() {
    for stratum in Stratum::all() {
        let built = build(&stratum.test_spec(), &default_root()).expect("test corpus builds");
        let repo = &built.repo;
        let reach = support::rev_list_reach(repo);
        let expected = support::all_oracle(repo);
        let (outcome, seen) = support::run(&support::options(repo, Selection::All));
        assert_eq!(support::scan_reach(&outcome, &seen), reach, "{stratum:?}");
        support::assert_contexts(&seen, &expected, &format!("{stratum:?}"));
        if let ScanSelection::Range { base, tip } = &built.manifest.selection {
            let range = format!("{base}..{tip}");
            let expected = support::oracle(repo, &[&range]);
            let (_, seen) = support::run(&support::options(repo, Selection::Range(range)));
            assert_eq!(
                seen.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "{stratum:?}: range blob set"
            );
        }
    }
}
