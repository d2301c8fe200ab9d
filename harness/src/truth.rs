//! Findings against the corpora's ground truth.
//!
//! A benchmark that silently stopped finding secrets is not a benchmark:
//! every measured iteration's findings are converted to the manifest's
//! neutral [`ExpectedFinding`] form and must equal the manifest's expected
//! set exactly.

use corpora::manifest::{ExpectedFinding, Manifest, TruthDiff};
use scanner::detect::Report;
use std::collections::BTreeSet;

/// The report's findings in ground-truth form.
pub fn found(report: &Report) -> BTreeSet<ExpectedFinding> {
    report
        .findings
        .iter()
        .map(|f| ExpectedFinding {
            rule_id: f.rule_id.clone(),
            fingerprint: f.fingerprint.clone(),
            blob: f.blob.clone(),
            commit: f.commit.clone().unwrap_or_default(),
            path: f.path.clone(),
            line: f.start_line,
            column: f.start_column,
            offset: f.byte_start,
        })
        .collect()
}

/// How `found` (see [`found`]) differs from what `manifest` says a scan
/// must find. Taking the converted set lets the caller also digest it.
pub fn check(
    manifest: &Manifest,
    found: &BTreeSet<ExpectedFinding>,
    scan_binary: bool,
) -> TruthDiff {
    manifest.compare(found, scan_binary)
}
