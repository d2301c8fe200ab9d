//! `harness profile` end to end on the test-sized small stratum: the
//! sampled side (folded stacks, flame graph, pprof protobuf, stage table)
//! and the exact side (one scan under valgrind's callgrind, parsed by our
//! parser), then `harness profile-diff` of the profile against itself; and
//! no output file holds any planted secret of the corpus. Needs valgrind
//! (`make setup` installs it); takes about a minute in a debug build.

use corpora::{Stratum, StratumSpec, build, default_root};
use harness_analysis::callgrind;
use harness_model::profile::{PipelineStage, read_profile, read_profile_diff};
use std::path::Path;
use std::process::{Command, Output};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .output()
        .expect("harness runs")
}

/// `harness profile` of the test-size small stratum from `root` into `out`
/// under `label`, with `extra` flags; fails the test if it fails.
fn profile_small(root: &Path, out: &Path, label: &str, extra: &[&str]) {
    let (root, out) = (root.to_string_lossy(), out.to_string_lossy());
    let mut args = vec![
        "profile",
        "--strata",
        "small",
        "--test-size",
        "--corpora",
        &root,
        "--out",
        &out,
        "--label",
        label,
        "--no-cache-sim",
    ];
    args.extend_from_slice(extra);
    let o = harness(&args);
    assert!(
        o.status.success(),
        "harness profile failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every planted secret's bytes, read from its blob at its offset.
fn planted_secrets(repo: &Path, manifest: &corpora::manifest::Manifest) -> Vec<String> {
    manifest
        .secrets
        .iter()
        .map(|o| {
            let out = Command::new("git")
                .arg("-C")
                .arg(repo)
                .args(["cat-file", "blob", &o.blob])
                .output()
                .expect("git runs");
            assert!(out.status.success(), "blob {} is readable", o.blob);
            let secret = String::from_utf8(out.stdout[o.offset..o.offset + o.length].to_vec())
                .expect("planted secrets are text");
            assert!(secret.len() >= 12, "{secret:?} is long enough to be unique");
            secret
        })
        .collect()
}

#[test]
fn profile_a_stratum_then_diff_it_and_leak_no_secret() {
    let root = default_root();
    let built = build(&Stratum::Small.test_spec(), &root).expect("test corpus builds");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("profiles");
    profile_small(
        &root,
        &out,
        "t",
        &[
            "--commit",
            "0123456789abcdef",
            "--warmup",
            "1",
            "--min-seconds",
            "1",
        ],
    );
    let folder = out.join("t-small");
    for f in [
        "profile.json",
        "profile.md",
        "sampled.folded",
        "sampled.svg",
        "sampled.pb",
        "callgrind.out",
    ] {
        let len = std::fs::metadata(folder.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .len();
        assert!(len > 0, "{f} is empty");
    }
    let p = read_profile(&folder.join("profile.json")).unwrap();
    assert_eq!(p.revision.commit, "0123456789abcdef");

    let s = p.sampled.as_ref().expect("sampled side");
    assert!(s.samples > 0);
    assert_eq!(s.stages.iter().map(|x| x.count).sum::<u64>(), s.samples);
    assert!(
        s.stages
            .iter()
            .any(|x| x.stage != PipelineStage::Other && x.count > 0),
        "some samples land in a pipeline stage: {:?}",
        s.stages
    );

    let e = p.exact.as_ref().expect("exact side");
    assert_eq!(e.events, ["Ir"], "no cache simulation was asked for");
    // The scan's scope function holds most counted instructions: callgrind
    // zeroed before it and dumped after it. The tree diff runs on its own
    // thread (a 64 MiB stack for deep trees), whose costs callgrind counts
    // in the totals but under that thread's start, not the scope.
    let scope = e
        .functions
        .iter()
        .find(|f| f.function == harness::profile::CALLGRIND_SCOPE)
        .expect("the scope function is in the profile");
    assert!(
        scope.inclusive[0] * 100 >= e.totals[0] * 75,
        "scope {} of total {}",
        scope.inclusive[0],
        e.totals[0]
    );
    let engine = e
        .functions
        .iter()
        .find(|f| f.function.starts_with("scanner::detect::"))
        .expect("the rule engine ran");
    assert_eq!(engine.stage, PipelineStage::Detect);
    // The raw file is callgrind's own and reads back to the same totals.
    let raw = std::fs::read_to_string(folder.join("callgrind.out")).unwrap();
    let cg = callgrind::parse(&raw).unwrap();
    assert_eq!(cg.totals, e.totals);

    // A profile against itself: nothing moves.
    let diff_out = dir.path().join("diff");
    let f_s = folder.to_string_lossy().into_owned();
    let o = harness(&[
        "profile-diff",
        &f_s,
        &f_s,
        "--out",
        &diff_out.to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = read_profile_diff(&diff_out.join("profile-diff-small.json")).unwrap();
    assert!(d.movers.is_empty(), "{:?}", &d.movers[..1]);
    assert_eq!(d.base_total, d.head_total);
    assert!(diff_out.join("profile-diff-small.svg").exists());

    // No planted secret appears in any output file.
    let secrets = planted_secrets(&built.repo, &built.manifest);
    assert!(!secrets.is_empty());
    for folder in [&folder, &diff_out] {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            // Lossy text search: std's substring search is fast even in a
            // debug build, and every planted secret is ASCII.
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{} holds a planted secret",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn two_exact_runs_of_one_build_count_the_same_instructions() {
    // Both at once, as bench-compare runs its two sides: the hash seeds
    // are fixed in `profile-scan`, so neither the other process nor this
    // one's own randomness (ASLR, seeds) may move a single instruction.
    let root = default_root();
    build(&Stratum::Small.test_spec(), &root).expect("test corpus builds");
    let dir = tempfile::tempdir().unwrap();
    let totals: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let runs: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|label| {
                let out = dir.path().join(label);
                let root = &root;
                scope.spawn(move || {
                    profile_small(root, &out, label, &["--no-sampled"]);
                    let p = read_profile(&out.join(format!("{label}-small/profile.json"))).unwrap();
                    p.exact.expect("exact side").totals
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(totals[0], totals[1]);
    assert!(totals[0][0] > 0);
}
