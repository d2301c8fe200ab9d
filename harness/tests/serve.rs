//! `harness serve` end to end through the driver's own client: the
//! greeting, measured samples whose findings equal the ground truth, and
//! bad requests answered without ending the session.

use corpora::{Stratum, StratumSpec, build, default_root};
use harness::serve::{Client, ClientError, PROTOCOL};
use std::path::Path;

fn test_corpora() -> std::path::PathBuf {
    let root = default_root();
    for s in Stratum::all() {
        build(&s.test_spec(), &root).expect("test corpus builds");
    }
    root
}

fn spawn(root: &Path, extra: &[&str]) -> Client {
    let mut args = vec![
        "--test-size".to_string(),
        "--unpinned".into(),
        "--counters".into(),
        "tsc".into(),
        "--corpora".into(),
        root.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Client::spawn(
        "test",
        Path::new(env!("CARGO_BIN_EXE_harness")),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &args,
        &[],
    )
    .expect("server starts")
}

#[test]
fn serves_samples_that_match_the_ground_truth() {
    let root = test_corpora();
    let mut c = spawn(&root, &["--strata", "small,medium"]);
    let hello = c.hello().unwrap();
    assert_eq!(hello.protocol, PROTOCOL);
    let strata: Vec<Option<Stratum>> = hello.corpora.iter().map(|c| c.stratum.stratum()).collect();
    assert_eq!(strata, [Some(Stratum::Small), Some(Stratum::Medium)]);
    let warm = c.measure(&Stratum::Small.into(), true, 0).unwrap();
    let a = c.measure(&Stratum::Small.into(), false, 1).unwrap();
    let b = c.measure(&Stratum::Small.into(), false, 2).unwrap();
    for s in [&warm, &a, &b] {
        assert_eq!(s.truth_diff, None);
        assert!(s.bytes > 0 && s.findings > 0);
        assert_eq!(s.findings_digest.len(), 64);
    }
    // Same corpus, same findings; another corpus, other findings.
    assert_eq!(a.findings_digest, b.findings_digest);
    let m = c.measure(&Stratum::Medium.into(), false, 0).unwrap();
    assert_ne!(m.findings_digest, a.findings_digest);
    // A stratum the session did not load is an error, not the end.
    match c.measure(&Stratum::Large.into(), false, 0) {
        Err(ClientError::Failed { message, .. }) => {
            assert!(message.contains("large was not loaded"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    c.measure(&Stratum::Small.into(), false, 3).unwrap();
    c.finish().unwrap();
}

#[test]
fn a_server_that_cannot_start_is_reported_with_its_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = spawn(dir.path(), &["--strata", "small"]);
    match c.hello() {
        Err(ClientError::Closed { side }) => assert_eq!(side, "test"),
        other => panic!("expected the closed pipe, got {other:?}"),
    }
}
