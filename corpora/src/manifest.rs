//! The ground-truth manifest each corpus ships with.
//!
//! It lists every planted secret occurrence — one entry per (secret, blob) —
//! with the blob's canonical introduction (the first by committer time, then
//! commit id, then path; see `docs/metrics.md`), the position of the value in
//! the blob, and a SHA-256 fingerprint of the value (never the value itself);
//! then every decoy the same way. A scanner run over the stratum's selection
//! must report exactly the secrets whose `selection` is present (and, for
//! blobs marked `binary`, only when binary scanning is on), and no decoy.

use serde::{Deserialize, Serialize};

/// Bump the major number when a reader of an older manifest would misread it.
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub stratum: String,
    /// Cache key of the spec this corpus was generated from.
    pub spec_key: String,
    /// Path of the bare repository, relative to the manifest's folder.
    pub repo: String,
    /// `refs/heads/main`.
    pub head: String,
    pub selection: ScanSelection,
    /// Dedupe memory budget the benchmark uses for this stratum, if not the default.
    pub dedupe_budget_bytes: Option<u64>,
    pub stats: Stats,
    pub secrets: Vec<Occurrence>,
    pub decoys: Vec<Occurrence>,
}

/// Which commits the benchmark scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScanSelection {
    /// `--all`.
    All,
    /// `--range base..tip` with `git rev-list` semantics.
    Range { base: String, tip: String },
}

impl ScanSelection {
    /// The command-line form (`--all` or `BASE..TIP`).
    pub fn describe(&self) -> String {
        match self {
            ScanSelection::All => "--all".into(),
            ScanSelection::Range { base, tip } => format!("{base}..{tip}"),
        }
    }
}

/// A commit introducing a blob at a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Introduction {
    pub commit: String,
    pub path: String,
    /// `added` or `modified`.
    pub change: String,
}

/// One planted value inside one blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// Secret: the rule id that must report it. Decoy: the decoy kind.
    pub kind: String,
    /// SHA-256 hex of the value.
    pub fingerprint: String,
    pub blob: String,
    /// Canonical introduction over the whole history (`--all`).
    pub first: Introduction,
    /// Canonical introduction within the benchmark selection, if any.
    pub selection: Option<Introduction>,
    /// 1-based line and byte column of the value's first byte.
    pub line: usize,
    pub column: usize,
    /// 0-based byte offset and length of the value in the blob.
    pub offset: usize,
    pub length: usize,
    /// The blob is binary by the default heuristic (NUL in the first 8000 bytes).
    pub binary: bool,
}

/// Measured shape of the corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub commits: usize,
    pub merges: usize,
    pub refs: usize,
    /// Blob introductions, `git log --all -m --raw --diff-filter=AM` semantics
    /// plus root commits' files.
    pub introductions: u64,
    pub unique_blobs: u64,
    /// `1 - unique_blobs / introductions`.
    pub duplicate_ratio: f64,
    pub blob_bytes: u64,
    pub head_tree_entries: usize,
    pub large_blobs: u64,
    pub packs: usize,
    pub pack_bytes: u64,
    pub multi_pack_index: bool,
    pub commit_graph: bool,
    /// Commits and introductions inside the benchmark selection.
    pub selection_commits: usize,
    pub generation_seconds: f64,
}

/// A finding as the ground truth states it: what a correct scan of the
/// stratum's selection reports, in a form independent of the scanner's types.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpectedFinding {
    pub rule_id: String,
    pub fingerprint: String,
    pub blob: String,
    pub commit: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

impl std::fmt::Display for ExpectedFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} in blob {} at {}:{}:{} (commit {}, byte {})",
            self.rule_id, self.blob, self.path, self.line, self.column, self.commit, self.offset
        )
    }
}

/// How a scan's findings differ from the ground truth.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TruthDiff {
    pub missing: Vec<ExpectedFinding>,
    pub unexpected: Vec<ExpectedFinding>,
}

impl TruthDiff {
    pub fn is_exact(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty()
    }
}

impl std::fmt::Display for TruthDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} missing, {} unexpected",
            self.missing.len(),
            self.unexpected.len()
        )?;
        for m in self.missing.iter().take(5) {
            write!(f, "\n  missing: {m}")?;
        }
        for u in self.unexpected.iter().take(5) {
            write!(f, "\n  unexpected: {u}")?;
        }
        Ok(())
    }
}

impl Manifest {
    /// The findings a scan of the benchmark selection must report: every
    /// secret occurrence the selection introduces, binary blobs only when
    /// `scan_binary`; never a decoy.
    pub fn expected_findings(
        &self,
        scan_binary: bool,
    ) -> std::collections::BTreeSet<ExpectedFinding> {
        self.secrets
            .iter()
            .filter(|o| scan_binary || !o.binary)
            .filter_map(|o| {
                let intro = o.selection.as_ref()?;
                Some(ExpectedFinding {
                    rule_id: o.kind.clone(),
                    fingerprint: o.fingerprint.clone(),
                    blob: o.blob.clone(),
                    commit: intro.commit.clone(),
                    path: intro.path.clone(),
                    line: o.line,
                    column: o.column,
                    offset: o.offset,
                })
            })
            .collect()
    }

    /// Compares `found` with [`Self::expected_findings`].
    pub fn compare(
        &self,
        found: &std::collections::BTreeSet<ExpectedFinding>,
        scan_binary: bool,
    ) -> TruthDiff {
        let expected = self.expected_findings(scan_binary);
        TruthDiff {
            missing: expected.difference(found).cloned().collect(),
            unexpected: found.difference(&expected).cloned().collect(),
        }
    }
}
