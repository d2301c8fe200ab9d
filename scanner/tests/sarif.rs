//! SARIF output validates against the SARIF 2.1.0 JSON schema
//! (`tests/data/sarif-2.1.0-rtm.5.json`, as shipped in @microsoft/jest-sarif).

use corpora::rng::Rng;
use corpora::secrets::SecretKind;
use scanner::detect::findings::Origin;
use scanner::detect::suppress::Suppressions;
use scanner::detect::{Engine, FindingsSink, RuleSet, ScanOptions, build_report, format};

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-2.1.0-rtm.5.json")).expect("schema json");
    // The schema's `language` patterns have a stray `]`, a literal under
    // ECMAScript's Annex B but rejected by Rust regex syntax; escape it (same
    // meaning) so the schema compiles. Our output never sets `language`.
    let fixed = escape_stray_bracket(&mut schema);
    assert_eq!(fixed, 2);
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let engine = Engine::new(RuleSet::embedded().expect("rules")).expect("engine");
    let mut rng = Rng::new(3);
    for show_secrets in [false, true] {
        let mut sink = FindingsSink::new(
            &engine,
            ScanOptions {
                show_secrets,
                scan_binary: false,
            },
            None,
        );
        for (i, &kind) in SecretKind::all().iter().enumerate() {
            let text = format!("x\n{}", kind.generate(&mut rng).text);
            let path = format!("src/dir {i}/file #{i}.txt");
            sink.scan_blob(
                &Origin {
                    blob: None,
                    commit: None,
                    path: path.as_bytes(),
                },
                text.as_bytes(),
            );
        }
        let report = build_report(&engine, [sink], &Suppressions::default());
        assert_eq!(report.findings.len(), SecretKind::all().len());
        let log = format::sarif(&report, &engine);
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let results = log["runs"][0]["results"].as_array().expect("results");
        assert_eq!(results.len(), report.findings.len());
        // The validator does reject what the schema forbids.
        let mut broken = log.clone();
        broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
        assert!(!validator.is_valid(&broken));
    }
    let empty = format::sarif(&Default::default(), &engine);
    assert!(validator.is_valid(&empty));
}

fn escape_stray_bracket(v: &mut serde_json::Value) -> usize {
    const STRAY: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match v {
        serde_json::Value::String(s) if s == STRAY => {
            *s = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$".to_string();
            1
        }
        serde_json::Value::Array(a) => a.iter_mut().map(escape_stray_bracket).sum(),
        serde_json::Value::Object(o) => o.values_mut().map(escape_stray_bracket).sum(),
        _ => 0,
    }
}
