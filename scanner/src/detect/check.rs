//! `rules check`: runs every rule's examples and negative examples through
//! the full engine and reports every miss.
//!
//! For each rule: every example must yield exactly one finding in the whole
//! engine, by that rule, capturing exactly the example's `secret`; no
//! negative example may yield a finding of that rule; and for every example
//! and negative example, the prefiltered scan must equal the reference scan
//! (every regex over the whole input) — the zero-false-negative contract of
//! the keyword prefilter. Rules need at least two examples.

use super::engine::Engine;

/// One failed expectation, naming the rule and the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    pub rule: String,
    pub problem: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.problem)
    }
}

/// Minimum number of positive examples per rule.
pub const MIN_EXAMPLES: usize = 2;

/// Checks every rule of `engine`; an empty result means all passed.
pub fn check_rules(engine: &Engine) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    let mut scratch = engine.scratch();
    let mut reference = engine.scratch();
    for (idx, rule) in engine.rules().rules().iter().enumerate() {
        let mut fail = |problem: String| {
            failures.push(CheckFailure {
                rule: rule.spec.id.clone(),
                problem,
            })
        };
        if rule.spec.examples.len() < MIN_EXAMPLES {
            fail(format!(
                "has {} examples; at least {MIN_EXAMPLES} required",
                rule.spec.examples.len()
            ));
        }
        for (n, ex) in rule.spec.examples.iter().enumerate() {
            let text = ex.text.as_bytes();
            let found = engine.scan(&mut scratch, text).to_vec();
            let got: Vec<String> = found
                .iter()
                .map(|m| {
                    format!(
                        "{} captured {:?}",
                        engine.rules().rules()[m.rule as usize].spec.id,
                        String::from_utf8_lossy(&text[m.secret_range()])
                    )
                })
                .collect();
            let ok = found.len() == 1
                && found[0].rule as usize == idx
                && &text[found[0].secret_range()] == ex.secret.as_bytes();
            if !ok {
                fail(format!(
                    "example {} ({:?}): expected exactly this rule capturing {:?}, got [{}]",
                    n + 1,
                    ex.text,
                    ex.secret,
                    got.join("; ")
                ));
            }
            if engine.scan_reference(&mut reference, text) != found.as_slice() {
                fail(format!(
                    "example {}: prefiltered scan differs from the reference scan",
                    n + 1
                ));
            }
        }
        for (n, neg) in rule.spec.negative_examples.iter().enumerate() {
            let text = neg.as_bytes();
            let found = engine.scan(&mut scratch, text).to_vec();
            if let Some(m) = found.iter().find(|m| m.rule as usize == idx) {
                fail(format!(
                    "negative example {} ({neg:?}) matched, capturing {:?}",
                    n + 1,
                    String::from_utf8_lossy(&text[m.secret_range()])
                ));
            }
            if engine.scan_reference(&mut reference, text) != found.as_slice() {
                fail(format!(
                    "negative example {}: prefiltered scan differs from the reference scan",
                    n + 1
                ));
            }
        }
    }
    failures
}
