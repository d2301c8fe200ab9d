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
