//! git-backed oracles shared by the corpora tests.

#![allow(dead_code)]

use corpora::build::{git, run_git};
use corpora::manifest::{Introduction, Manifest};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

pub fn git_out(repo: &Path, args: &[&str]) -> String {
    let mut c = git(repo);
    c.args(args);
    String::from_utf8(run_git(c, repo, None).expect("git runs")).expect("utf-8")
}

/// One line of `git log -m --raw` with status A or M.
#[derive(Clone, Debug)]
pub struct RawIntro {
    pub commit: String,
    pub time: i64,
    pub blob: String,
    pub path: String,
    pub status: char,
}

/// Every introduction (`-m --root --raw --no-renames --diff-filter=AM`) of
/// the commits `rev_args` selects.
pub fn introductions(repo: &Path, rev_args: &[&str]) -> Vec<RawIntro> {
    let mut args = vec![
        "log",
        "-m",
        "--root",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--diff-filter=AM",
        "--format=C %H %ct",
    ];
    args.extend_from_slice(rev_args);
    let out = git_out(repo, &args);
    let mut res = Vec::new();
    let (mut commit, mut time) = (String::new(), 0i64);
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("C ") {
            let (c, t) = rest.split_once(' ').expect("commit line");
            commit = c.to_string();
            time = t.parse().expect("time");
        } else if let Some(rest) = line.strip_prefix(':') {
            let (meta, path) = rest.split_once('\t').expect("raw line");
            let fields: Vec<&str> = meta.split(' ').collect();
            res.push(RawIntro {
                commit: commit.clone(),
                time,
                blob: fields[3].to_string(),
                path: path.to_string(),
                status: fields[4].chars().next().expect("status"),
            });
        }
    }
    res
}

/// The canonical introduction per blob: min (committer time, commit id, path).
pub fn canonical(intros: &[RawIntro]) -> HashMap<String, Introduction> {
    let mut best: HashMap<String, &RawIntro> = HashMap::new();
    for i in intros {
        let better = match best.get(&i.blob) {
            None => true,
            Some(b) => {
                (i.time, &i.commit, i.path.as_bytes()) < (b.time, &b.commit, b.path.as_bytes())
            }
        };
        if better {
            best.insert(i.blob.clone(), i);
        }
    }
    best.into_iter()
        .map(|(blob, i)| {
            let change = if i.status == 'A' { "added" } else { "modified" };
            (
                blob,
                Introduction {
                    commit: i.commit.clone(),
                    path: i.path.clone(),
                    change: change.into(),
                },
            )
        })
        .collect()
}

/// Checks the manifest against git: positions, fingerprints, canonical
/// introductions (whole history and selection), and the exact stats.
pub fn check_manifest(repo: &Path, m: &Manifest) {
    let all = introductions(repo, &["--all"]);
    let canon = canonical(&all);
    let sel_canon = match &m.selection {
        corpora::manifest::ScanSelection::All => canon.clone(),
        corpora::manifest::ScanSelection::Range { base, tip } => {
            canonical(&introductions(repo, &[&format!("{base}..{tip}")]))
        }
    };
    // Stats: introductions and unique blobs agree with git exactly.
    assert_eq!(m.stats.introductions, all.len() as u64, "introductions");
    let unique: HashSet<&str> = all.iter().map(|i| i.blob.as_str()).collect();
    assert_eq!(
        m.stats.unique_blobs,
        unique.len() as u64,
        "unique introduced blobs"
    );
    let in_repo = git_out(
        repo,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype)",
        ],
    )
    .lines()
    .filter(|l| *l == "blob")
    .count();
    assert_eq!(
        in_repo,
        unique.len(),
        "every stored blob is introduced somewhere"
    );
    let commits: usize = git_out(repo, &["rev-list", "--all", "--count"])
        .trim()
        .parse()
        .expect("a count");
    assert_eq!(m.stats.commits, commits);

    let mut cache: HashMap<String, Vec<u8>> = HashMap::new();
    for o in m.secrets.iter().chain(&m.decoys) {
        let bytes = cache.entry(o.blob.clone()).or_insert_with(|| {
            let mut c = git(repo);
            c.args(["cat-file", "blob", &o.blob]);
            run_git(c, repo, None).expect("git cat-file runs")
        });
        let value = &bytes[o.offset..o.offset + o.length];
        assert_eq!(corpora::secrets::fingerprint(value), o.fingerprint, "{o:?}");
        let before = &bytes[..o.offset];
        assert_eq!(
            o.line,
            1 + before.iter().filter(|&&b| b == b'\n').count(),
            "line of {o:?}"
        );
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        assert_eq!(o.column, o.offset - line_start + 1);
        assert_eq!(o.binary, bytes[..bytes.len().min(8000)].contains(&0));
        assert_eq!(
            canon.get(&o.blob),
            Some(&o.first),
            "canonical introduction of {}",
            o.blob
        );
        assert_eq!(
            sel_canon.get(&o.blob),
            o.selection.as_ref(),
            "selection introduction of {}",
            o.blob
        );
        let at = git_out(
            repo,
            &["rev-parse", &format!("{}:{}", o.first.commit, o.first.path)],
        );
        assert_eq!(at.trim(), o.blob);
    }
}

/// Secret kinds present in the manifest, by blob count per fingerprint.
pub fn blobs_per_fingerprint(m: &Manifest) -> BTreeMap<&str, HashSet<&str>> {
    let mut map: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for o in &m.secrets {
        map.entry(o.fingerprint.as_str())
            .or_default()
            .insert(o.blob.as_str());
    }
    map
}
