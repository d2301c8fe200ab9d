//! The committed rule set passes `rules check`, and has the required size.

use scanner::detect::{Engine, RuleSet, check};

#[test]
fn committed_rules_pass_check() {
    let engine = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    let failures = check::check_rules(&engine);
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} rule check failures",
        failures.len()
    );
    assert!(engine.rules().len() >= 120);
}

/// `rules check --corpus` warns about a rule whose keyword is common in the
/// corpus and whose regex never confirms, and not about the rest.
#[test]
fn corpus_measurement_warns_about_keywords_that_never_confirm() {
    let rules = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        rules.path().join("r.toml"),
        r#"
[[rule]]
id = "the-token"
name = "t"
description = "t"
category = "t"
confidence = "high"
keywords = ["the"]
regex = '''\b(the[A-Z0-9]{8,12}![a-z]{2,3})\b'''
[[rule.examples]]
text = "x = theAB12CD34!ok"
secret = "theAB12CD34!ok"
[[rule.examples]]
text = "y = theZZZZ0000!yes"
secret = "theZZZZ0000!yes"
"#,
    )
    .expect("write rules");
    let corpus = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        corpus.path().join("prose.txt"),
        "the cat sat on the mat, then the dog ate the hat\n".repeat(20_000),
    )
    .expect("write corpus");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scanner"))
        .args(["rules", "check", "--rules"])
        .arg(rules.path())
        .arg("--corpus")
        .arg(corpus.path())
        .output()
        .expect("scanner runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: rule the-token:") && stderr.contains("none confirmed"),
        "{stderr}"
    );
}

/// A corpus that is not there is a clear error naming it, not a panic.
#[test]
fn a_missing_corpus_is_an_error_naming_it() {
    for flag in ["--corpus", "--corpus-repo"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scanner"))
            .args(["rules", "check", flag, "/nonexistent/corpus"])
            .output()
            .expect("scanner runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains("/nonexistent/corpus"), "{flag}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flag}: {stderr}");
    }
}
