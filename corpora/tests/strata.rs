//! The benchmark-sized strata: pinned commit ids (determinism across
//! machines), the shape each stratum promises, and the manifest and stats
//! checked against git. The first run generates them (about 1.5 minutes on 2
//! cores); later runs reuse `target/corpora/` while the spec is unchanged.

mod support;

use corpora::{Built, Stratum, build_stratum, default_root};
use std::sync::OnceLock;
use support::{check_manifest, git_out};

/// HEAD (`refs/heads/main`) of each stratum. A change here means the corpus
/// changed: every recorded benchmark result for it is no longer comparable.
const PINNED_HEADS: [(Stratum, &str); 3] = [
    (Stratum::Small, "6d8676d3cf1dd74226084ec312f78eeda0f5e081"),
    (Stratum::Medium, "16e1da71480b2868eece4641ad6c1ef81b2daef4"),
    (Stratum::Large, "fdecc62eb7c3ab8d28ab276707eee8de36004b36"),
];

fn strata() -> &'static Vec<Built> {
    static BUILT: OnceLock<Vec<Built>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = default_root();
        let handles: Vec<_> = Stratum::all()
            .into_iter()
            .map(|s| {
                let root = root.clone();
                std::thread::spawn(move || build_stratum(s, &root).expect("stratum builds"))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("builder thread"))
            .collect()
    })
}

fn get(s: Stratum) -> &'static Built {
    &strata()[Stratum::all()
        .iter()
        .position(|&x| x == s)
        .expect("known stratum")]
}

#[test]
fn heads_are_pinned() {
    for (s, head) in PINNED_HEADS {
        let b = get(s);
        assert_eq!(b.manifest.head, head, "{s:?} HEAD changed");
        assert_eq!(git_out(&b.repo, &["rev-parse", "main"]).trim(), head);
    }
}

#[test]
fn small_has_real_history_and_a_short_range() {
    let b = get(Stratum::Small);
    let s = &b.manifest.stats;
    assert!(s.commits >= 2_000);
    let corpora::manifest::ScanSelection::Range { base, tip } = &b.manifest.selection else {
        panic!("small scans a range");
    };
    let intros = support::introductions(&b.repo, &[&format!("{base}..{tip}")]);
    let new_blobs: std::collections::HashSet<_> = intros.iter().map(|i| &i.blob).collect();
    assert!(new_blobs.len() <= 100, "{} blobs in range", new_blobs.len());
    assert_eq!(s.selection_commits, 10);
}

#[test]
fn medium_has_wide_trees_moderate_duplicates_and_spills() {
    let b = get(Stratum::Medium);
    let s = &b.manifest.stats;
    assert!(s.commits >= 2_000);
    let entries = git_out(&b.repo, &["ls-tree", "-r", "--name-only", "main"])
        .lines()
        .count();
    assert_eq!(entries, s.head_tree_entries);
    assert!(entries >= 20_000, "{entries} entries");
    let depth = git_out(&b.repo, &["ls-tree", "-r", "--name-only", "main"])
        .lines()
        .map(|l| l.matches('/').count())
        .max();
    assert!(depth >= Some(4), "nested directories");
    assert!(
        (0.20..=0.30).contains(&s.duplicate_ratio),
        "duplicate ratio {}",
        s.duplicate_ratio
    );
    assert!(
        b.manifest
            .dedupe_budget_bytes
            .is_some_and(|budget| budget < 1 << 20)
    );
}

#[test]
fn large_has_branches_merges_duplicates_and_several_packs() {
    let b = get(Stratum::Large);
    let s = &b.manifest.stats;
    assert!(s.commits >= 20_000);
    assert!(s.merges >= 100);
    assert!(
        s.duplicate_ratio >= 0.60,
        "duplicate ratio {}",
        s.duplicate_ratio
    );
    let branches = git_out(&b.repo, &["for-each-ref", "refs/heads"])
        .lines()
        .count();
    assert!(branches >= 50, "{branches} branches");
    let packs = std::fs::read_dir(b.repo.join("objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert_eq!(packs, s.packs);
    assert!(packs >= 3);
    assert!(b.repo.join("objects/pack/multi-pack-index").exists());
    assert!(b.repo.join("objects/info/commit-graph").exists());
    let loose = git_out(&b.repo, &["count-objects"]);
    assert!(loose.starts_with("0 objects"), "{loose}");
}

#[test]
fn content_is_varied() {
    for b in strata() {
        let s = &b.manifest.stats;
        if b.manifest.stratum != "small" {
            assert!(
                s.large_blobs >= 3,
                "{}: files of at least 1 MiB",
                b.manifest.stratum
            );
        }
        let paths = git_out(&b.repo, &["ls-tree", "-r", "--name-only", "main"]);
        for ext in [
            ".rs", ".py", ".js", ".go", ".java", ".yaml", ".json", ".min.js", ".bin", ".md",
        ] {
            assert!(
                paths.lines().any(|p| p.ends_with(ext)),
                "{}: no {ext} file",
                b.manifest.stratum
            );
        }
    }
}

#[test]
fn manifests_and_stats_agree_with_git() {
    for b in strata() {
        check_manifest(&b.repo, &b.manifest);
    }
}

#[test]
fn corpora_root_is_outside_the_source_tree() {
    let root = default_root();
    assert!(root.ends_with("target/corpora") || std::env::var_os("SCANNER_CORPORA_DIR").is_some());
}
