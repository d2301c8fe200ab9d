//! `scanner rules check|list`: validate the rule set against its own
//! examples, or print it.

use anyhow::bail;
use scanner::detect::{self, check};
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
    Check {
        /// Rules directory (default: the embedded rule set).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
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
        RulesCommand::Check { rules } => {
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
