//! The report of a scan: the workers' sinks merged, suppressions applied.
//!
//! [`build_report`] is where findings ([`super::findings`]) meet the ignore
//! file and baseline ([`super::suppress`]); keeping it apart from both is
//! what lets `suppress` read findings (and baseline reports) without the
//! two importing each other.

use super::engine::{Engine, RuleCounters};
use super::findings::{FindingsSink, REPORT_VERSION, Report, RuleStat, ScanStats};
use super::suppress::Suppressions;

/// Merges the sinks of a scan into the final report: findings sorted by
/// (path, commit, blob, byte offset, rule id), deduplicated per (rule,
/// secret, blob), ignore-file and baseline suppressions applied, statistics
/// and per-rule counters summed.
pub fn build_report<'e>(
    engine: &Engine,
    sinks: impl IntoIterator<Item = FindingsSink<'e>>,
    suppress: &Suppressions,
) -> Report {
    let n = engine.rules().len();
    let mut counters = vec![RuleCounters::default(); n];
    let mut stats = ScanStats::default();
    let mut findings = Vec::new();
    for sink in sinks {
        for (acc, c) in counters.iter_mut().zip(sink.counters()) {
            acc.candidates += c.candidates;
            acc.confirmed += c.confirmed;
        }
        let s = &sink.stats;
        stats.blobs += s.blobs;
        stats.bytes += s.bytes;
        stats.binary_skipped += s.binary_skipped;
        stats.suppressed_inline += s.suppressed_inline;
        findings.extend(sink.findings);
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|b, a| {
        a.blob == b.blob && a.rule_id == b.rule_id && a.fingerprint == b.fingerprint
    });
    findings.retain(|f| {
        if suppress.ignores(f) {
            stats.suppressed_ignore += 1;
            false
        } else if suppress.in_baseline(f) {
            stats.suppressed_baseline += 1;
            false
        } else {
            true
        }
    });
    let mut rules: Vec<RuleStat> = engine
        .rules()
        .rules()
        .iter()
        .zip(&counters)
        .filter(|(_, c)| c.candidates > 0)
        .map(|(r, c)| RuleStat {
            id: r.spec.id.clone(),
            candidates: c.candidates,
            confirmed: c.confirmed,
            findings: findings.iter().filter(|f| f.rule_id == r.spec.id).count() as u64,
        })
        .collect();
    rules.sort_by(|a, b| {
        b.candidates
            .cmp(&a.candidates)
            .then_with(|| a.id.cmp(&b.id))
    });
    Report {
        version: REPORT_VERSION,
        findings,
        stats,
        rules,
        skipped: Vec::new(),
    }
}
