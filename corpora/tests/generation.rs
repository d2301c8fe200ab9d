//! Small variants of every stratum: manifests and stats checked against git,
//! every hard case present, determinism and cache keys.

mod support;

use corpora::secrets::{DecoyKind, SecretKind};
use corpora::{Stratum, StratumSpec, build};
use std::collections::HashSet;
use support::{blobs_per_fingerprint, check_manifest, git_out};

fn built(stratum: Stratum) -> corpora::Built {
    build(&stratum.test_spec(), &corpora::default_root()).expect("test corpus builds")
}

#[test]
fn manifests_agree_with_git() {
    for s in Stratum::all() {
        let b = built(s);
        check_manifest(&b.repo, &b.manifest);
    }
}

#[test]
fn every_kind_and_hard_case_is_planted() {
    for s in Stratum::all() {
        let b = built(s);
        let m = &b.manifest;
        let kinds: HashSet<&str> = m.secrets.iter().map(|o| o.kind.as_str()).collect();
        for k in SecretKind::all() {
            assert!(kinds.contains(k.id()), "{s:?} lacks secret kind {}", k.id());
        }
        let decoys: HashSet<&str> = m.decoys.iter().map(|o| o.kind.as_str()).collect();
        for k in DecoyKind::all() {
            assert!(decoys.contains(k.id()), "{s:?} lacks decoy {}", k.id());
        }
        // The same secret in several blobs.
        assert!(
            blobs_per_fingerprint(m).values().any(|b| b.len() >= 3),
            "{s:?}: no repeated secret"
        );
        // In a binary blob, and in a binary-looking text blob.
        assert!(
            m.secrets.iter().any(|o| o.binary),
            "{s:?}: no secret in a binary blob"
        );
        assert!(
            m.secrets
                .iter()
                .any(|o| !o.binary && o.first.path.ends_with(".dat")),
            "{s:?}: no latin-1 blob"
        );
        // Introduced by a merge commit only.
        let merges: HashSet<String> = git_out(&b.repo, &["rev-list", "--all", "--merges"])
            .lines()
            .map(String::from)
            .collect();
        assert!(
            m.secrets.iter().any(|o| merges.contains(&o.first.commit)),
            "{s:?}: no merge-only secret"
        );
        // Inside a delta-compressed blob.
        let deltas: HashSet<String> = git_out(
            &b.repo,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname) %(deltabase)",
            ],
        )
        .lines()
        .filter(|l| !l.ends_with("0000000000000000000000000000000000000000"))
        .map(|l| l[..40].to_string())
        .collect();
        assert!(
            m.secrets.iter().any(|o| deltas.contains(&o.blob)),
            "{s:?}: no secret stored as a delta"
        );
        // In a file that a later commit on main deleted.
        let head_paths: HashSet<String> =
            git_out(&b.repo, &["ls-tree", "-r", "--name-only", "main"])
                .lines()
                .map(String::from)
                .collect();
        let on_main = |c: &str| {
            let mut cmd = corpora::build::git(&b.repo);
            cmd.args(["merge-base", "--is-ancestor", c, "main"]);
            cmd.status().expect("git runs").success()
        };
        assert!(
            m.secrets
                .iter()
                .any(|o| !head_paths.contains(&o.first.path) && on_main(&o.first.commit)),
            "{s:?}: no secret in a later-deleted file"
        );
        // Across the 1 MiB boundary of a file of at least 1 MiB.
        if s.test_spec().large_files > 0 {
            assert!(
                m.secrets
                    .iter()
                    .any(|o| o.offset < 1 << 20 && o.offset + o.length > 1 << 20),
                "{s:?}: no straddling secret"
            );
        }
    }
}

#[test]
fn small_range_is_last_ten_linear_commits() {
    let b = built(Stratum::Small);
    let corpora::manifest::ScanSelection::Range { base, tip } = &b.manifest.selection else {
        panic!("small scans a range");
    };
    let range = format!("{base}..{tip}");
    let count: usize = git_out(&b.repo, &["rev-list", "--count", &range])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(count, 10);
    assert_eq!(
        git_out(&b.repo, &["rev-list", "--merges", &range]).trim(),
        ""
    );
    assert!(b.manifest.secrets.iter().any(|o| o.selection.is_some()));
}

#[test]
fn generation_is_deterministic_and_keyed_by_spec() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let spec = Stratum::Large.test_spec();
    let a = build(&spec, dir_a.path()).unwrap();
    let b = build(&spec, dir_b.path()).unwrap();
    assert!(!a.cached && !b.cached);
    assert_eq!(a.manifest.head, b.manifest.head);
    assert_eq!(a.manifest.secrets, b.manifest.secrets);
    assert_eq!(
        git_out(&a.repo, &["show-ref"]),
        git_out(&b.repo, &["show-ref"])
    );
    // A second build with the same spec is a cache hit.
    assert!(build(&spec, dir_a.path()).unwrap().cached);
    // A changed spec changes the key, regenerates, and gives other commits.
    let mut other = spec.clone();
    other.seed += 1;
    assert_ne!(other.cache_key(), spec.cache_key());
    let c = build(&other, dir_a.path()).unwrap();
    assert!(!c.cached);
    assert_ne!(c.manifest.head, a.manifest.head);
}

#[test]
fn corrupt_manifest_is_rebuilt_and_reported_when_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Stratum::Small.test_spec();
    let a = build(&spec, dir.path()).unwrap();
    let manifest = a.dir.join("manifest.json");
    std::fs::write(&manifest, b"{ not json").unwrap();
    let err = corpora::build::load_manifest(&manifest)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.json") && err.contains("unreadable"),
        "{err}"
    );
    // The cache notices and regenerates the same corpus.
    let b = build(&spec, dir.path()).unwrap();
    assert!(!b.cached);
    assert_eq!(a.manifest.head, b.manifest.head);
}
