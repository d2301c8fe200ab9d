//! The contract with the benchmark corpora (`corpora::secrets`): every planted
//! secret kind is reported exactly once, by the rule named by its id, with the
//! exact value at the exact offset; every decoy yields nothing.

use corpora::rng::Rng;
use corpora::secrets::{DecoyKind, SecretKind};
use scanner::detect::{Engine, RuleSet};

const BEFORE: &str = r#"// Configuration loader for the orders service.
use std::collections::HashMap;

fn load(env: &HashMap<String, String>) -> Config {
    let password = env.get("DB_PASSWORD").cloned().unwrap_or_default();
    let token = read_token(&path)?; // see docs at https://example.com/docs
    Config { password, token, retries: 3, url: "postgres://localhost/orders".into() }
}
"#;

const AFTER: &str = r#"
# deployment settings
[server]
host = "0.0.0.0"
port = 8080
api_key_header = "X-Api-Key"
secret_name = "orders/prod"
token_ttl_seconds = 3600
"#;

fn engine() -> Engine {
    Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine")
}

#[test]
fn every_secret_kind_is_reported_exactly_once() {
    let engine = engine();
    let mut scratch = engine.scratch();
    for &kind in SecretKind::all() {
        let rule = engine
            .rules()
            .position(kind.id())
            .unwrap_or_else(|| panic!("no rule with id {}", kind.id()));
        for seed in 0..400u64 {
            let mut rng = Rng::new(seed.wrapping_mul(7919) ^ rule as u64);
            let p = kind.generate(&mut rng);
            for (prefix, suffix) in [("", ""), (BEFORE, AFTER), (AFTER, BEFORE)] {
                let text = format!("{prefix}{}{suffix}", p.text);
                let found = engine.scan(&mut scratch, text.as_bytes());
                assert_eq!(found.len(), 1, "{kind:?} seed {seed}: {found:?}\n{text}");
                let m = found[0];
                assert_eq!(m.rule as usize, rule, "{kind:?} seed {seed}");
                assert_eq!(&text[m.secret_range()], p.value, "{kind:?} seed {seed}");
                assert_eq!(m.secret.0, prefix.len() + p.offset, "{kind:?} seed {seed}");
            }
        }
    }
}

#[test]
fn no_decoy_is_reported() {
    let engine = engine();
    let mut scratch = engine.scratch();
    for &kind in DecoyKind::all() {
        for seed in 0..400u64 {
            let mut rng = Rng::new(seed);
            let p = kind.generate(&mut rng);
            for (prefix, suffix) in [("", ""), (BEFORE, AFTER)] {
                let text = format!("{prefix}{}{suffix}", p.text);
                let found = engine.scan(&mut scratch, text.as_bytes());
                assert!(found.is_empty(), "{kind:?} seed {seed}: {found:?}\n{text}");
            }
        }
    }
}

#[test]
fn all_kinds_in_one_file_each_found_once() {
    let engine = engine();
    let mut scratch = engine.scratch();
    let mut rng = Rng::new(42);
    let mut text = String::new();
    let mut expected = Vec::new();
    for round in 0..3 {
        for &kind in SecretKind::all() {
            let p = kind.generate(&mut rng);
            text.push_str(BEFORE);
            expected.push((text.len() + p.offset, kind.id(), p.value.clone(), round));
            text.push_str(&p.text);
        }
        for &kind in DecoyKind::all() {
            text.push_str(&kind.generate(&mut rng).text);
        }
    }
    let found = engine.scan(&mut scratch, text.as_bytes()).to_vec();
    let got: Vec<(usize, &str, String)> = found
        .iter()
        .map(|m| {
            (
                m.secret.0,
                engine.rules().rules()[m.rule as usize].spec.id.as_str(),
                text[m.secret_range()].to_string(),
            )
        })
        .collect();
    let want: Vec<(usize, &str, String)> = expected
        .iter()
        .map(|(o, id, v, _)| (*o, *id, v.clone()))
        .collect();
    assert_eq!(got, want);
}
