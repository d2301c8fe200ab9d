//! Rule files: parsing, validation and compilation.
//!
//! A rule file is TOML holding `[[rule]]` tables (see `docs/rules.md`). The
//! committed set under `scanner/rules/` is embedded into the binary at build
//! time ([`RuleSet::embedded`]); `--rules DIR` loads another directory
//! instead ([`RuleSet::load_dir`]).
//!
//! Main types: [`RuleSpec`] (one rule as written), [`Rule`] (compiled: regex,
//! maximum match length, lower-cased keywords), [`RuleSet`] (all rules, ids
//! unique, sorted by id), [`RulesError`] (every problem names the file and
//! the rule).
//!
//! Invariants established by [`RuleSet::from_sources`]: ids are unique and
//! non-empty; every regex compiles with Unicode off, has a capture group 1
//! (the secret) and a bounded maximum match length (at most
//! [`MAX_MATCH_LEN`]); every rule has at least one non-empty keyword.

use regex_automata::meta;
use regex_automata::util::syntax;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Upper bound on a rule's longest possible match, in bytes. It bounds the
/// confirmation window and therefore the chunk overlap.
pub const MAX_MATCH_LEN: usize = 16 * 1024;

/// How sure a match is to be a live credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A positive example: `text` must yield exactly one match whose capture is
/// `secret`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub text: String,
    pub secret: String,
}

/// One rule as written in a rule file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub confidence: Confidence,
    /// Literal anchors; every match of `regex` contains one of them (ASCII
    /// case-insensitively). The prefilter only looks for these.
    pub keywords: Vec<String>,
    /// The pattern; capture group 1 is the secret.
    pub regex: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Generic rules yield to specific ones (see the engine docs).
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from (file name), for error messages.
    pub source: String,
    pub regex: meta::Regex,
    /// Longest possible match of `regex`, in bytes.
    pub max_len: usize,
}

/// Problems with rule input; each names the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("rules directory {path}: cannot read: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("rules directory {path}: contains no *.toml rule files")]
    EmptyDir { path: PathBuf },
    #[error("rule file {file}: cannot read: {source}")]
    ReadFile {
        file: String,
        source: std::io::Error,
    },
    #[error("rule file {file}: invalid TOML: {message}")]
    Parse { file: String, message: String },
    #[error("rule file {file}: rule {id:?}: {problem}")]
    Invalid {
        file: String,
        id: String,
        problem: String,
    },
    #[error("rules: cannot build the keyword automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
    #[error("duplicate rule id {id:?}: defined in {first} and again in {second}")]
    DuplicateId {
        id: String,
        first: String,
        second: String,
    },
}

/// The full, validated rule set, sorted by id.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

/// The committed rule files, embedded by `build.rs`: (file name, contents).
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

impl RuleSet {
    /// The committed rule set (`scanner/rules/*.toml`), embedded at build time.
    pub fn embedded() -> Result<RuleSet, RulesError> {
        RuleSet::from_sources(
            EMBEDDED
                .iter()
                .map(|(name, text)| (format!("<embedded>/{name}"), (*text).to_string())),
        )
    }

    /// Loads every `*.toml` file of `dir` (not recursive), in name order.
    pub fn load_dir(dir: &Path) -> Result<RuleSet, RulesError> {
        let entries = std::fs::read_dir(dir).map_err(|source| RulesError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| RulesError::ReadDir {
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
        if files.is_empty() {
            return Err(RulesError::EmptyDir {
                path: dir.to_path_buf(),
            });
        }
        files.sort();
        let mut sources = Vec::with_capacity(files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| RulesError::ReadFile {
                file: path.display().to_string(),
                source,
            })?;
            sources.push((path.display().to_string(), text));
        }
        RuleSet::from_sources(sources)
    }

    /// Parses, validates and compiles rule files given as (name, text).
    pub fn from_sources(
        sources: impl IntoIterator<Item = (String, String)>,
    ) -> Result<RuleSet, RulesError> {
        let mut rules: Vec<Rule> = Vec::new();
        for (file, text) in sources {
            let parsed: RuleFile = toml::from_str(&text).map_err(|e| RulesError::Parse {
                file: file.clone(),
                message: e.to_string(),
            })?;
            for spec in parsed.rule {
                if let Some(prev) = rules.iter().find(|r| r.spec.id == spec.id) {
                    return Err(RulesError::DuplicateId {
                        id: spec.id,
                        first: prev.source.clone(),
                        second: file,
                    });
                }
                rules.push(compile(spec, &file)?);
            }
        }
        rules.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
        Ok(RuleSet { rules })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Index of the rule with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.rules
            .binary_search_by(|r| r.spec.id.as_str().cmp(id))
            .ok()
    }
}

fn compile(spec: RuleSpec, file: &str) -> Result<Rule, RulesError> {
    let invalid = |problem: String| RulesError::Invalid {
        file: file.to_string(),
        id: spec.id.clone(),
        problem,
    };
    let id_ok = !spec.id.is_empty()
        && spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(invalid(
            "id must be non-empty lower-case ASCII letters, digits and '-'".into(),
        ));
    }
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.is_empty()) {
        return Err(invalid("needs at least one keyword, none empty".into()));
    }
    if spec.keywords.iter().any(|k| !k.is_ascii()) {
        return Err(invalid("keywords must be ASCII".into()));
    }
    let syntax_config = syntax::Config::new().unicode(false).utf8(false);
    let hir = syntax::parse_with(&spec.regex, &syntax_config)
        .map_err(|e| invalid(format!("invalid regex: {e}")))?;
    let max_len = match hir.properties().maximum_len() {
        Some(n) if n <= MAX_MATCH_LEN => n,
        Some(n) => {
            return Err(invalid(format!(
                "regex can match {n} bytes; the limit is {MAX_MATCH_LEN}"
            )));
        }
        None => {
            return Err(invalid(
                "regex has no maximum match length; bound every repetition".into(),
            ));
        }
    };
    let regex = meta::Regex::builder()
        .syntax(syntax_config)
        .build(&spec.regex)
        .map_err(|e| invalid(format!("invalid regex: {e}")))?;
    if regex.captures_len() < 2 {
        return Err(invalid(
            "regex needs capture group 1 around the secret".into(),
        ));
    }
    if let Some(h) = spec.min_entropy
        && !(0.0..=8.0).contains(&h)
    {
        return Err(invalid(format!("min_entropy {h} outside 0..=8")));
    }
    Ok(Rule {
        source: file.to_string(),
        max_len,
        regex,
        spec,
    })
}
