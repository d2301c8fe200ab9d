//! A corrupt tree in the middle of a corpus's history: the scan completes,
//! delivers every planted secret's blob that lies outside the damaged trees,
//! and names the damage (issue 16's acceptance, on the small test corpus).

mod support;

use corpora::{Stratum, StratumSpec, build, default_root};
use scanner::git::{Selection, SkipReason, Status};
use std::collections::BTreeSet;
use std::path::Path;
use support::git_in;

/// Copies a directory tree (the corpus repository is never modified).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for e in std::fs::read_dir(from).expect("listing the corpus") {
        let e = e.expect("listing the corpus");
        let dest = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copying the corpus");
        }
    }
}

#[test]
fn corrupt_tree_mid_history_loses_only_what_it_holds() {
    let built = build(&StratumSpec::test_spec(Stratum::Small), &default_root())
        .expect("test corpus builds");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo.git");
    copy_dir(&built.repo, &repo);

    // The packed entry of every object: id → (pack, offset, bytes in pack).
    let mut entries = std::collections::HashMap::new();
    for e in std::fs::read_dir(repo.join("objects/pack")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "pack") {
            continue;
        }
        for l in git_in(&repo, &["verify-pack", "-v", &p.to_string_lossy()]).lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() >= 5 && f[0].len() == 40 {
                let (size, offset) = (f[3].parse::<usize>(), f[4].parse::<usize>());
                if let (Ok(size), Ok(offset)) = (size, offset) {
                    entries.insert(f[0].to_owned(), (p.clone(), offset, size));
                }
            }
        }
    }
    // A directory of the commit in the middle of the history whose entry
    // is long enough to corrupt past its header.
    let commits: Vec<String> = git_in(&repo, &["rev-list", "--all", "--topo-order"])
        .lines()
        .map(str::to_owned)
        .collect();
    let mid = &commits[commits.len() / 2];
    let tree = git_in(&repo, &["ls-tree", "-r", "-d", mid])
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .find(|t| entries.get(t).is_some_and(|e| e.2 >= 24))
        .expect("the middle commit has a packed directory");
    // Its compressed bytes overwritten (the header, at most 8 bytes, kept).
    let (pack, offset, _) = entries[&tree].clone();
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[offset + 8..offset + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&pack, &bytes).unwrap();

    for threads in [1, 2] {
        let mut opts = support::options(&repo, Selection::All);
        opts.threads = threads;
        let (o, seen) = support::run(&opts);
        assert_eq!(o.status, Status::Partial);
        let damaged: Vec<String> = o
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::DamagedTree { .. }))
            .map(|s| s.oid.to_string())
            .collect();
        assert!(damaged.contains(&tree), "{tree} named: {:?}", o.skipped);
        // Everything the damaged trees hold, read from the intact corpus.
        let mut hidden = BTreeSet::new();
        for t in &damaged {
            for l in git_in(&built.repo, &["ls-tree", "-r", t]).lines() {
                if let Some(b) = l.split_whitespace().nth(2) {
                    hidden.insert(b.to_owned());
                }
            }
        }
        let (mut found, mut planted) = (0, 0);
        for s in built
            .manifest
            .secrets
            .iter()
            .filter(|s| s.selection.is_some())
        {
            planted += 1;
            if seen.contains_key(&s.blob) {
                found += 1;
            } else {
                assert!(
                    hidden.contains(&s.blob),
                    "secret blob {} outside the damaged trees was lost",
                    s.blob
                );
            }
        }
        assert!(found > 0, "the rest of the history was scanned");
        eprintln!(
            "threads {threads}: {} damaged tree(s), {} of {} blobs delivered, {found} of {planted} planted secrets' blobs found",
            damaged.len(),
            seen.len(),
            built.manifest.stats.unique_blobs
        );
    }
}
