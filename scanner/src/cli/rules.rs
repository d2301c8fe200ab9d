//! `scanner rules check|list`: validate the rule set against its own
//! examples, or print it.

use anyhow::{Context as _, bail};
use scanner::detect::findings::Report;
use scanner::detect::suppress::Suppressions;
use scanner::detect::{self, FindingsSinkFactory, ScanOptions, check, dirscan};
use scanner::git::{self, Selection};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Run every rule's examples and negative examples; fail on any miss.
    /// With `--corpus`/`--corpus-repo`, also measure each rule on that text
    /// and warn about rules whose keywords start many searches and confirm
    /// none.
    Check {
        /// Rules directory (default: the embedded rule set).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// A directory tree of text to measure the rules on (repeatable).
        #[arg(long, value_name = "DIR")]
        corpus: Vec<PathBuf>,
        /// A git repository whose whole history (`--all`) to measure the
        /// rules on (repeatable).
        #[arg(long, value_name = "REPO")]
        corpus_repo: Vec<PathBuf>,
        /// Warn about a rule with at least this many candidates (keyword hits
        /// that start a regex search) per MiB of corpus and no confirmed
        /// match.
        #[arg(long, value_name = "N", default_value_t = 100.0)]
        warn_candidates_per_mib: f64,
    },
    /// Print the rules: id, category, confidence, keywords, name.
    List {
        /// Rules directory (default: the embedded rule set).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// One JSON object per rule (JSON Lines) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::Check {
            rules,
            corpus,
            corpus_repo,
            warn_candidates_per_mib,
        } => {
            let engine = detect::load_engine(rules.as_deref())?;
            let failures = check::check_rules(&engine);
            for f in &failures {
                eprintln!("FAIL {f}");
            }
            if !failures.is_empty() {
                bail!(
                    "rules check: {} failure(s) in {} rules",
                    failures.len(),
                    engine.rules().len()
                );
            }
            let (examples, negatives) = engine.rules().rules().iter().fold((0, 0), |(e, n), r| {
                (
                    e + r.spec.examples.len(),
                    n + r.spec.negative_examples.len(),
                )
            });
            println!(
                "rules check: ok: {} rules, {examples} examples, {negatives} negative examples, {} keywords",
                engine.rules().len(),
                engine.keywords().len()
            );
            if !corpus.is_empty() || !corpus_repo.is_empty() {
                let report = measure_on_corpus(&engine, &corpus, &corpus_repo)?;
                for line in idle_rule_warnings(&report, warn_candidates_per_mib) {
                    eprintln!("rules check: warning: {line}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::List { rules, json } => {
            let engine = detect::load_engine(rules.as_deref())?;
            let mut out = std::io::stdout().lock();
            for rule in engine.rules().rules() {
                let s = &rule.spec;
                if json {
                    let v = serde_json::json!({
                        "id": s.id, "name": s.name, "description": s.description,
                        "category": s.category, "confidence": s.confidence.as_str(),
                        "keywords": s.keywords, "generic": s.generic,
                        "min_entropy": s.min_entropy, "examples": s.examples.len(),
                        "anchored": rule.anchor.map(|a| [a.before_min, a.before_max]),
                        "probe_offset": rule.anchor.and_then(|a| a.probe).map(|p| p.offset),
                        "max_len": rule.max_len,
                        "anchored_dfa_bytes": rule.anchored_dfa.as_ref().map(|d| d.memory_usage()),
                        "negative_examples": s.negative_examples.len(),
                    });
                    writeln!(out, "{v}")?;
                } else {
                    writeln!(
                        out,
                        "{:<40} {:<13} {:<6} {:<40} {}",
                        s.id,
                        s.category,
                        s.confidence.as_str(),
                        s.keywords.join(","),
                        s.name
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Scans the corpus (directory trees, then repositories' whole histories)
/// with every rule and returns the merged report: per-rule candidates and
/// confirmations, and the bytes scanned.
fn measure_on_corpus(
    engine: &detect::Engine,
    dirs: &[PathBuf],
    repos: &[PathBuf],
) -> anyhow::Result<Report> {
    let factory = FindingsSinkFactory {
        engine,
        opts: ScanOptions::default(),
        progress: None,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut sinks = Vec::new();
    for dir in dirs {
        let files = dirscan::list_files(dir)?;
        sinks.extend(dirscan::scan_dir(&factory, &files, threads)?);
    }
    for repo in repos {
        let mut opts = git::Options::new(repo);
        opts.selection = Selection::All;
        opts.threads = threads;
        let (_, s) = git::scan(&opts, &factory)
            .with_context(|| format!("rules check --corpus-repo {}", repo.display()))?;
        sinks.extend(s);
    }
    Ok(detect::build_report(
        engine,
        sinks,
        &Suppressions::default(),
    ))
}

/// One line per rule whose candidates per MiB of the report's text reach
/// `per_mib` while none confirmed: each of its keyword hits starts a regex
/// search that never matches, which is the engine's cost without yield.
fn idle_rule_warnings(report: &Report, per_mib: f64) -> Vec<String> {
    let mib = report.stats.bytes as f64 / f64::from(1u32 << 20);
    if mib <= 0.0 {
        return Vec::new();
    }
    report
        .rules
        .iter()
        .filter(|r| r.confirmed == 0 && r.candidates as f64 / mib >= per_mib)
        .map(|r| {
            format!(
                "rule {}: {:.0} candidates per MiB of corpus ({} in {mib:.1} MiB), none confirmed: \
                 its keywords start searches that never match here; pick a rarer keyword, or let \
                 the regex fix a byte at a fixed distance after the keyword (a probe, docs/rules.md)",
                r.id,
                r.candidates as f64 / mib,
                r.candidates
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::idle_rule_warnings;
    use scanner::detect::findings::{Report, RuleStat};

    #[test]
    fn warns_only_about_frequent_rules_that_confirm_nothing() {
        let mut report = Report::default();
        report.stats.bytes = 4 << 20;
        let stat = |id: &str, candidates, confirmed| RuleStat {
            id: id.into(),
            candidates,
            confirmed,
            findings: confirmed,
        };
        report.rules = vec![
            stat("noisy", 4000, 0),
            stat("noisy-but-useful", 4000, 3),
            stat("quiet", 100, 0),
        ];
        let lines = idle_rule_warnings(&report, 100.0);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("rule noisy: 1000 candidates per MiB"),
            "{}",
            lines[0]
        );
    }
}
