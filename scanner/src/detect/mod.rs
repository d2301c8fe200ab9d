//! The detection half: rules, prefilter, confirmation, findings.
//!
//! - [`rules`]: rule files → validated, compiled [`rules::RuleSet`].
//! - [`engine`]: keyword prefilter, anchored or windowed regex confirmation,
//!   entropy gate → resolved matches per blob ([`engine::Engine`],
//!   [`engine::Scratch`]); [`prefilter`]: the dense keyword automaton.
//! - [`entropy`]: the Shannon entropy gate.
//! - [`findings`]: [`findings::Finding`], the [`findings::FindingsSink`] that
//!   plugs into the git pipeline, and the [`Report`] type;
//!   [`report::build_report`] merges the sinks and applies suppressions.
//! - [`suppress`]: ignore file and baseline; [`format`](mod@format): human,
//!   JSON, JSONL, SARIF; [`dirscan`]: `scan --path DIR`; [`check`]: `rules
//!   check`.
//!
//! Wiring a repository scan: build the engine with [`load_engine`], make a
//! [`FindingsSinkFactory`] over it, run the git pipeline with that factory
//! (one [`FindingsSink`] per worker), then pass the returned sinks to
//! [`build_report`] with the [`suppress::Suppressions`] to get the sorted,
//! deduplicated [`Report`].
//!
//! See `docs/rules.md` for the rule format and the engine design.

pub mod check;
pub mod dirscan;
pub mod engine;
pub mod entropy;
pub mod findings;
pub mod format;
pub mod prefilter;
pub mod report;
pub mod rules;
pub mod suppress;

pub use engine::{Engine, RawMatch, RuleCounters, Scratch, is_binary};
pub use findings::{Finding, FindingsSink, FindingsSinkFactory, Report, ScanOptions};
pub use report::build_report;
pub use rules::{RuleSet, RulesError};

/// The engine over `--rules DIR` when given, else over the embedded rules.
/// Every problem with the rules surfaces here, before any scanning starts.
pub fn load_engine(rules_dir: Option<&std::path::Path>) -> Result<Engine, RulesError> {
    let rules = match rules_dir {
        Some(dir) => RuleSet::load_dir(dir)?,
        None => RuleSet::embedded()?,
    };
    Ok(Engine::new(rules)?)
}
