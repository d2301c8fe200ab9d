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
//! [`MAX_MATCH_LEN`]); every rule has at least one keyword, each at least
//! [`MIN_KEYWORD_LEN`] bytes.

use regex_automata::dfa::{StartKind, dense};
use regex_automata::meta;
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Shortest keyword accepted: one-byte anchors would make the prefilter
/// fire on nearly every byte.
pub const MIN_KEYWORD_LEN: usize = 2;

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
    /// Where matches start relative to a keyword, when the regex pins it.
    pub anchor: Option<Anchor>,
    /// For anchored rules, a small fully compiled forward DFA (anchored
    /// starts only) that finds a match's end without a per-search cache;
    /// `None` when the DFA would exceed [`ANCHORED_DFA_LIMIT`].
    pub anchored_dfa: Option<dense::DFA<Vec<u32>>>,
}

/// Size limit of a rule's anchored DFA (and of its determinization).
pub const ANCHORED_DFA_LIMIT: usize = 256 * 1024;

fn anchored_dfa(pattern: &str, syntax_config: syntax::Config) -> Option<dense::DFA<Vec<u32>>> {
    dense::Builder::new()
        .syntax(syntax_config)
        .thompson(thompson::Config::new().utf8(false))
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .dfa_size_limit(Some(ANCHORED_DFA_LIMIT))
                .determinize_size_limit(Some(ANCHORED_DFA_LIMIT)),
        )
        .build(pattern)
        .ok()
}

/// A rule whose every match has, at a bounded distance from the match
/// start, a prefix spelling one of its keywords: a match then starts between
/// `before_min` and `before_max` bytes before some keyword hit, so the engine
/// can try a few anchored searches instead of scanning a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub before_min: usize,
    pub before_max: usize,
    /// The minimum over the prefix paths that do not assert `^` (which only
    /// holds at offset 0 of the blob); `None` when every path asserts it.
    pub before_min_off_start: Option<usize>,
    /// A byte every match has at a fixed distance from the keyword's start
    /// (see [`Probe`]); `None` when the regex pins none.
    pub probe: Option<Probe>,
}

/// A check the engine makes on a keyword hit before any regex search: the
/// byte `offset` bytes after the keyword's first byte must be in `bytes`.
/// It holds for every match whose anchoring keyword starts at the hit,
/// because the regex spells fixed-length pieces from the keyword up to that
/// byte, so a hit that fails it cannot start a match. (`pat` in `path`:
/// an Airtable token has a `.` 17 bytes after its `pat`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub offset: usize,
    pub bytes: ByteSet,
}

/// A set of bytes, as a bitmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }
    #[inline]
    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
    fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

/// Probes are only worth it for bytes this rare: a set of at most this
/// many bytes.
const MAX_PROBE_SET: u32 = 4;

/// The bytes a one-byte piece of a regex can match, if it is one.
fn byte_set(hir: &Hir) -> Option<ByteSet> {
    let mut set = ByteSet::default();
    match hir.kind() {
        HirKind::Literal(lit) if lit.0.len() == 1 => set.insert(lit.0[0]),
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set.insert(b);
                }
                if set.len() > MAX_PROBE_SET {
                    return None;
                }
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                // Only ASCII: a wider character is several bytes.
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                if hi > 0x7f {
                    return None;
                }
                for b in lo..=hi {
                    set.insert(u8::try_from(b).ok()?);
                }
                if set.len() > MAX_PROBE_SET {
                    return None;
                }
            }
        }
        _ => return None,
    }
    (set.len() <= MAX_PROBE_SET).then_some(set)
}

/// The most selective [`Probe`] in `seq` (which begins with the keyword, at
/// offset 0): walks the pieces while each has one fixed length, and keeps
/// the smallest byte set seen at or past `keyword_len`.
fn find_probe(seq: &[&Hir], keyword_len: usize) -> Option<Probe> {
    let mut best: Option<Probe> = None;
    let mut offset = 0usize;
    for h in seq {
        let props = h.properties();
        let (min, max) = (props.minimum_len()?, props.maximum_len()?);
        if min != max {
            break;
        }
        let candidates: Vec<(usize, ByteSet)> = match h.kind() {
            HirKind::Literal(lit) => {
                let mut v = Vec::new();
                for (k, &b) in lit.0.iter().enumerate() {
                    let mut one = ByteSet::default();
                    one.insert(b);
                    v.push((offset + k, one));
                }
                v
            }
            _ => byte_set(h).map(|set| (offset, set)).into_iter().collect(),
        };
        for (at, set) in candidates {
            if at >= keyword_len && best.is_none_or(|b| set.len() < b.bytes.len()) {
                best = Some(Probe {
                    offset: at,
                    bytes: set,
                });
            }
        }
        offset += min;
    }
    best
}

/// Anchors farther than this many candidate start offsets are not worth it;
/// such rules use windows.
const MAX_ANCHOR_SPREAD: usize = 8;

/// Finds the first position of the regex's top-level sequence from which
/// every matching string begins with one of `keywords` (ASCII
/// case-insensitively), and the range of lengths of what precedes it.
fn find_anchor(hir: &Hir, keywords: &[String]) -> Option<Anchor> {
    let lower: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.to_ascii_lowercase().into_bytes())
        .collect();
    let need = lower.iter().map(Vec::len).max()?;
    let mut atoms = Vec::new();
    flatten(hir, &mut atoms);
    let (mut before_min, mut before_max) = (0usize, 0usize);
    let mut off_start = Some(0usize);
    let starts_with_keyword = |seq: &[&Hir]| {
        let mut prefixes = Vec::new();
        let mut budget = 256usize;
        folded_prefixes(seq, need, &mut Vec::new(), &mut prefixes, &mut budget)
            && !prefixes.is_empty()
            && prefixes
                .iter()
                .all(|p| lower.iter().any(|k| p.starts_with(k)))
    };
    let anchor = |before_min: usize, before_max: usize, off_start: Option<usize>, probe| {
        (before_max - before_min <= MAX_ANCHOR_SPREAD).then_some(Anchor {
            before_min,
            before_max,
            before_min_off_start: off_start,
            probe,
        })
    };
    // Every keyword occurrence is checked as it was found; the probe looks
    // past the longest one.
    let longest = lower.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..atoms.len() {
        if starts_with_keyword(&atoms[i..]) {
            let probe = find_probe(&atoms[i..], longest);
            return anchor(before_min, before_max, off_start, probe);
        }
        // A keyword may start inside a multi-byte literal.
        if let HirKind::Literal(lit) = atoms[i].kind() {
            for j in 1..lit.0.len() {
                let tail = Hir::literal(lit.0[j..].to_vec());
                let mut seq = vec![&tail];
                seq.extend_from_slice(&atoms[i + 1..]);
                if starts_with_keyword(&seq) {
                    return anchor(
                        before_min + j,
                        before_max + j,
                        off_start.map(|m| m + j),
                        None,
                    );
                }
            }
        }
        let props = atoms[i].properties();
        before_min += props.minimum_len()?;
        before_max += props.maximum_len()?;
        off_start = off_start
            .zip(min_len_off_start(atoms[i]))
            .map(|(a, b)| a + b);
    }
    None
}

/// Minimum match length of `hir` over the paths that do not assert `^`
/// (start of input); `None` when every path asserts it.
fn min_len_off_start(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Look(Look::Start) => None,
        HirKind::Capture(c) => min_len_off_start(&c.sub),
        HirKind::Concat(subs) => subs.iter().map(min_len_off_start).sum(),
        HirKind::Alternation(branches) => branches.iter().filter_map(min_len_off_start).min(),
        _ => hir.properties().minimum_len(),
    }
}

fn flatten<'h>(hir: &'h Hir, out: &mut Vec<&'h Hir>) {
    match hir.kind() {
        HirKind::Concat(subs) => subs.iter().for_each(|s| flatten(s, out)),
        HirKind::Capture(c) => flatten(&c.sub, out),
        _ => out.push(hir),
    }
}

/// Enumerates the ASCII-lower-cased prefixes (up to `need` bytes) of the
/// strings matched by the sequence `seq`. Returns false when the language is
/// too large or not a plain sequence of (case-folded) bytes up to `need`.
fn folded_prefixes(
    seq: &[&Hir],
    need: usize,
    cur: &mut Vec<u8>,
    out: &mut Vec<Vec<u8>>,
    budget: &mut usize,
) -> bool {
    if cur.len() >= need || seq.is_empty() {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        out.push(cur.clone());
        return true;
    }
    let rest = &seq[1..];
    match seq[0].kind() {
        HirKind::Empty | HirKind::Look(_) => folded_prefixes(rest, need, cur, out, budget),
        HirKind::Literal(lit) => {
            let n = cur.len();
            cur.extend(lit.0.iter().map(u8::to_ascii_lowercase));
            let ok = folded_prefixes(rest, need, cur, out, budget);
            cur.truncate(n);
            ok
        }
        HirKind::Class(class) => match folded_byte(class) {
            Some(b) => {
                cur.push(b);
                let ok = folded_prefixes(rest, need, cur, out, budget);
                cur.pop();
                ok
            }
            None => {
                // The prefix ends here; it must already start with a keyword.
                *budget = budget.saturating_sub(1);
                out.push(cur.clone());
                *budget > 0
            }
        },
        HirKind::Concat(_) | HirKind::Capture(_) => {
            let mut expanded = Vec::new();
            flatten(seq[0], &mut expanded);
            expanded.extend_from_slice(rest);
            folded_prefixes(&expanded, need, cur, out, budget)
        }
        HirKind::Alternation(branches) => branches.iter().all(|b| {
            let mut expanded = Vec::new();
            flatten(b, &mut expanded);
            expanded.extend_from_slice(rest);
            folded_prefixes(&expanded, need, cur, out, budget)
        }),
        HirKind::Repetition(rep) if rep.max == Some(1) => {
            // `x?` is `x|` and `x{1}` is `x`.
            let mut expanded = Vec::new();
            flatten(&rep.sub, &mut expanded);
            expanded.extend_from_slice(rest);
            folded_prefixes(&expanded, need, cur, out, budget)
                && (rep.min > 0 || folded_prefixes(rest, need, cur, out, budget))
        }
        HirKind::Repetition(_) => {
            *budget = budget.saturating_sub(1);
            out.push(cur.clone());
            *budget > 0
        }
    }
}

/// The lower-cased byte when `class` is one byte or one ASCII letter in
/// both cases.
fn folded_byte(class: &Class) -> Option<u8> {
    let mut bytes = Vec::new();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                if usize::from(r.end() - r.start()) + bytes.len() >= 2 {
                    return None;
                }
                bytes.extend(r.start()..=r.end());
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                let (s, e) = (u32::from(r.start()), u32::from(r.end()));
                if e >= 0x80 || (e - s) as usize + bytes.len() >= 2 {
                    return None;
                }
                bytes.extend((s..=e).filter_map(|v| u8::try_from(v).ok()));
            }
        }
    }
    match bytes.as_slice() {
        [b] => Some(b.to_ascii_lowercase()),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
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
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.len() < MIN_KEYWORD_LEN) {
        return Err(invalid(format!(
            "needs at least one keyword, each at least {MIN_KEYWORD_LEN} bytes"
        )));
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
    let anchor = find_anchor(&hir, &spec.keywords);
    let anchored_dfa = anchor.and_then(|_| anchored_dfa(&spec.regex, syntax_config));
    Ok(Rule {
        anchored_dfa,
        source: file.to_string(),
        max_len,
        anchor,
        regex,
        spec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(regex: &str, keywords: &[&str]) -> RuleSpec {
        RuleSpec {
            id: "t".into(),
            name: "t".into(),
            description: "t".into(),
            category: "t".into(),
            confidence: Confidence::High,
            keywords: keywords.iter().map(|k| (*k).to_string()).collect(),
            regex: regex.into(),
            min_entropy: None,
            generic: false,
            examples: Vec::new(),
            negative_examples: Vec::new(),
        }
    }

    fn anchor_of(regex: &str, keywords: &[&str]) -> Option<(usize, usize)> {
        let rule = compile(spec_of(regex, keywords), "test.toml").expect("compiles");
        rule.anchor.map(|a| (a.before_min, a.before_max))
    }

    fn probe_of(regex: &str, keywords: &[&str]) -> Option<(usize, Vec<u8>)> {
        let rule = compile(spec_of(regex, keywords), "test.toml").expect("compiles");
        let probe = rule.anchor?.probe?;
        Some((
            probe.offset,
            (0..=255u8).filter(|&b| probe.bytes.contains(b)).collect(),
        ))
    }

    #[test]
    fn probes_pin_the_rarest_fixed_offset_byte_past_the_keyword() {
        // The Airtable token's `.` sits 17 bytes after its `pat`.
        assert_eq!(
            probe_of(
                r"(?:^|[^0-9A-Za-z])(pat[A-Za-z0-9]{14}\.[0-9a-f]{64})(?:[^0-9A-Za-z]|$)",
                &["pat"]
            ),
            Some((17, b".".to_vec()))
        );
        // Case-insensitive letters are a set of two.
        assert_eq!(
            probe_of(r"\b(abc_[0-9]{4}(?i:x)[0-9]{2})", &["abc_"]),
            Some((8, b"Xx".to_vec()))
        );
        // Only wide classes past the keyword: nothing to probe.
        assert_eq!(probe_of(r"\b(ghp_[A-Za-z0-9]{36})\b", &["ghp_"]), None);
        // A variable length ends the fixed offsets.
        assert_eq!(
            probe_of(r"\b(xoxb-[0-9]{10,13}-[a-z]{4})", &["xoxb-"]),
            None
        );
    }

    #[test]
    fn start_of_input_paths_are_told_apart() {
        let spec = |regex: &str| spec_of(regex, &["ghp_"]);
        let anchor = |r: &str| {
            compile(spec(r), "t.toml")
                .expect("compiles")
                .anchor
                .expect("anchor")
        };
        assert_eq!(
            anchor(r"(?:^|[^a-z])(ghp_[a-z]{4})").before_min_off_start,
            Some(1)
        );
        // `^` before the keyword-bearing part: a start-only path.
        let a = anchor(r"^[a-z]{0,2}(ghp_[a-z]{4})");
        assert_eq!(
            (a.before_min, a.before_max, a.before_min_off_start),
            (0, 2, None)
        );
        // `^` as the first atom of the keyword-bearing part: the regex checks it.
        assert_eq!(anchor(r"^(ghp_[a-z]{4})").before_min_off_start, Some(0));
        assert_eq!(anchor(r"(ghp_[a-z]{4})").before_min_off_start, Some(0));
    }

    #[test]
    fn anchors_are_found_where_the_regex_pins_a_keyword() {
        // Leading boundary byte or start of input, then the prefix.
        let r = r"(?:^|[^0-9A-Za-z_])(ghp_[0-9A-Za-z]{36})(?:[^0-9A-Za-z_]|$)";
        assert_eq!(anchor_of(r, &["ghp_"]), Some((0, 1)));
        // Case-insensitive alternation of keywords.
        let r = r#"(?i:(?:password|passwd|pwd)[a-z_]{0,9})\s{0,2}=\s{0,2}"([a-z]{8,20})""#;
        assert_eq!(anchor_of(r, &["password", "passwd", "pwd"]), Some((0, 0)));
        // Optional parts inside the keyword-bearing prefix.
        let r = r"(?i:aws_?secret_?key)=([A-Za-z0-9]{40})";
        assert_eq!(anchor_of(r, &["aws_secret", "awssecret"]), Some((0, 0)));
        // A keyword inside a longer literal.
        let r = r"(https://hooks\.example\.com/[a-z]{8})";
        assert_eq!(anchor_of(r, &["hooks.example.com/"]), Some((8, 8)));
        // A keyword after a variable-length part: too spread, windows instead.
        let r = r"([a-z]{1,40}T3BlbkFJ[a-z]{20})";
        assert_eq!(anchor_of(r, &["T3BlbkFJ"]), None);
        // Not every branch starts with a keyword: no anchor.
        let r = r"((?:abc|xyz)[0-9]{4})";
        assert_eq!(anchor_of(r, &["abc"]), None);
    }
}
