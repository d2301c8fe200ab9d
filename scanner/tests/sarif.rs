//! SARIF output validates against the SARIF 2.1.0 JSON schema, in two
//! published copies kept under `tests/data/`:
//! - `sarif-schema-2.1.0.json`: the OASIS schema (draft-07, `$id`
//!   oasis-tcs/sarif-spec `Schemata/sarif-schema-2.1.0.json`) as vendored by
//!   the `serde-sarif` 0.8.0 crate (MIT);
//! - `sarif-2.1.0-rtm.5.json`: the schemastore 2.1.0-rtm.5 schema (draft-04)
//!   as shipped in the `@microsoft/jest-sarif` npm package (MIT).

use corpora::rng::Rng;
use corpora::secrets::SecretKind;
use scanner::detect::findings::{Origin, SkippedObject};
use scanner::detect::suppress::Suppressions;
use scanner::detect::{Engine, FindingsSink, RuleSet, ScanOptions, build_report, format};

fn validator(text: &str) -> jsonschema::Validator {
    let mut schema: serde_json::Value = serde_json::from_str(text).expect("schema json");
    // The schema's `language` patterns have a stray `]`, a literal under
    // ECMAScript's Annex B but rejected by Rust regex syntax; escape it (same
    // meaning) so the schema compiles. Our output never sets `language`.
    assert!(escape_stray_bracket(&mut schema) >= 1);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    for schema in [
        include_str!("data/sarif-schema-2.1.0.json"),
        include_str!("data/sarif-2.1.0-rtm.5.json"),
    ] {
        check_against(&validator(schema));
    }
}

fn check_against(validator: &jsonschema::Validator) {
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
                    tag: None,
                    path: path.as_bytes(),
                },
                text.as_bytes(),
            );
        }
        let mut report = build_report(&engine, [sink], &Suppressions::default());
        assert_eq!(report.findings.len(), SecretKind::all().len());
        if show_secrets {
            // A partial scan's skipped objects become notifications.
            report.skipped = vec![SkippedObject {
                oid: "1".repeat(40),
                reason: "damaged tree, its blobs not scanned".into(),
            }];
        }
        let log = format::sarif(&report, &engine);
        let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .expect("notifications");
        assert_eq!(notes.len(), report.skipped.len());
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
