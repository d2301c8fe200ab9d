//! Output formats for a [`Report`]: human (optionally ANSI-colored), JSON
//! (the whole report; also the `--baseline` input), JSON Lines (one finding
//! per line) and SARIF 2.1.0.
//!
//! All writers are deterministic: they print findings in report order and
//! never include timestamps or absolute paths that were not in the input.

use super::engine::Engine;
use super::findings::Report;
use serde_json::{Value, json};
use std::io::{self, Write};

/// Output format selected with `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
}

/// Writes `report` in `format`; `color` only affects `human`.
pub fn write(
    format: Format,
    report: &Report,
    engine: &Engine,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => write_human(report, color, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Jsonl => {
            for f in &report.findings {
                serde_json::to_writer(&mut *out, f)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(report, engine))?;
            writeln!(out)
        }
    }
}

fn write_human(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let (bold, red, dim, reset) = if color {
        ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    for f in &report.findings {
        // A blob a ref names directly has no path: show the ref instead.
        let place = match (&f.tag, f.path.is_empty()) {
            (Some(t), true) => t.as_str(),
            _ => f.path.as_str(),
        };
        writeln!(
            out,
            "{bold}{red}{}{reset} {bold}{}:{}:{}{reset} ({})",
            f.rule_id, place, f.start_line, f.start_column, f.rule_name
        )?;
        if let Some(c) = &f.commit {
            writeln!(out, "  {dim}commit {c}  blob {}{reset}", f.blob)?;
        } else if let Some(t) = &f.tag {
            writeln!(out, "  {dim}ref {t}  blob {}{reset}", f.blob)?;
        } else {
            writeln!(out, "  {dim}blob {}{reset}", f.blob)?;
        }
        writeln!(out, "  {dim}fingerprint {}{reset}", f.fingerprint)?;
        for line in f.snippet.lines() {
            writeln!(out, "  | {line}")?;
        }
    }
    if !report.rules.is_empty() {
        let top: Vec<String> = report
            .rules
            .iter()
            .take(3)
            .map(|r| format!("{} {}/{}", r.id, r.candidates, r.confirmed))
            .collect();
        writeln!(
            out,
            "{dim}most candidates (candidates/confirmed): {}{reset}",
            top.join(", ")
        )?;
    }
    if !report.skipped.is_empty() {
        writeln!(
            out,
            "{bold}partial scan:{reset} {} object(s) skipped (see --format json for the list)",
            report.skipped.len()
        )?;
    }
    let s = &report.stats;
    writeln!(
        out,
        "{bold}{} finding(s){reset} in {} blob(s), {} bytes ({} binary skipped; suppressed: {} inline, {} ignored, {} in baseline)",
        report.findings.len(),
        s.blobs,
        s.bytes,
        s.binary_skipped,
        s.suppressed_inline,
        s.suppressed_ignore,
        s.suppressed_baseline
    )
}

/// The SARIF 2.1.0 log for `report`.
pub fn sarif(report: &Report, engine: &Engine) -> Value {
    let rules = engine.rules().rules();
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.spec.id,
                "name": r.spec.name,
                "shortDescription": { "text": r.spec.name },
                "fullDescription": { "text": r.spec.description },
                "defaultConfiguration": { "level": level(r.spec.confidence.as_str()) },
                "properties": { "category": r.spec.category, "confidence": r.spec.confidence.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut region = json!({
                "startLine": f.start_line,
                "startColumn": f.start_column,
                "endLine": f.end_line,
                "endColumn": f.end_column,
                "byteOffset": f.byte_start,
                "byteLength": f.byte_end - f.byte_start,
                "snippet": { "text": f.snippet },
            });
            if f.end_line < f.start_line {
                region["endLine"] = json!(f.start_line);
            }
            let mut props = json!({ "blob": f.blob });
            if let Some(c) = &f.commit {
                props["commit"] = json!(c);
            }
            if let Some(t) = &f.tag {
                props["tag"] = json!(t);
            }
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level(&f.confidence),
                "message": { "text": format!("{} found in {}", f.rule_name, f.path) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path) },
                        "region": region,
                    }
                }],
                "partialFingerprints": { "secretSha256/v1": f.fingerprint },
                "properties": props,
            });
            if let Some(i) = rules.iter().position(|r| r.spec.id == f.rule_id) {
                result["ruleIndex"] = json!(i);
            }
            result
        })
        .collect();
    // A partial scan's skipped objects, one warning each.
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| {
            json!({
                "level": "warning",
                "message": { "text": format!("object {} skipped: {}", s.oid, s.reason) },
                "descriptor": { "id": "partial-scan" },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "scanner",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/scanner-rs",
                "rules": driver_rules,
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
        }]
    })
}

fn level(confidence: &str) -> &'static str {
    match confidence {
        "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

/// A relative URI reference for a path: percent-encode what is not allowed.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
