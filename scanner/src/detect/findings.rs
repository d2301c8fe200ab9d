//! Findings: what a security engineer acts on, and the sink that makes them.
//!
//! Main types: [`Finding`] (rule, location, fingerprint, redacted snippet),
//! [`FindingsSink`] (a [`BlobSink`] that runs the engine over each blob with
//! its own [`Scratch`] and collects findings), [`FindingsSinkFactory`] (one
//! sink per worker), and [`Report`] (sorted, deduplicated, suppressed
//! findings plus scan statistics and per-rule counters) built by
//! [`super::report::build_report`] from the sinks the pipeline hands back.
//!
//! Conventions: lines and columns are 1-based, columns count bytes; byte
//! spans are 0-based, half-open `[start, end)` in the blob; `end_line` /
//! `end_column` locate the byte just after the secret (SARIF's convention).
//! The fingerprint is the SHA-256 hex of the secret bytes, identical to
//! `corpora::secrets::fingerprint`. The secret itself is only kept when
//! `show_secrets` is set.
//!
//! Invariants: one finding per (rule, secret, blob), the first occurrence in
//! the blob; the report is ordered by (path, commit, blob, byte offset, rule
//! id); blobs without matches allocate nothing in the sink.

use super::engine::{Engine, RawMatch, RuleCounters, Scratch, is_binary};
use crate::sink::{BlobContext, BlobSink};
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Inline allow marker: a finding whose first or last line contains this
/// text is suppressed.
pub const ALLOW_MARKER: &str = "scanner:allow";

/// Snippets are cut to at most this many bytes either side of the secret.
const SNIPPET_CONTEXT: usize = 80;

/// Replaces the secret in snippets unless `--show-secrets`.
pub const REDACTED: &str = "«REDACTED»";

/// SHA-256 of the secret, lower-case hex (same as `corpora::secrets::fingerprint`).
pub fn fingerprint(secret: &[u8]) -> String {
    hex::encode(Sha256::digest(secret))
}

/// One reported secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub confidence: String,
    /// Path from the scan root, `/`-separated (lossy UTF-8).
    pub path: String,
    /// Commit that introduced the blob; absent for directory scans and for
    /// blobs reached only through a ref (then `tag` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Full name of the ref (lossy UTF-8) that names the blob, or a tree
    /// holding it at `path`, when no scanned commit introduces the blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Git blob id of the content (computed for directory scans).
    pub blob: String,
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    /// SHA-256 hex of the secret bytes.
    pub fingerprint: String,
    /// The line around the secret, the secret redacted unless shown.
    pub snippet: String,
    /// The secret itself, only with `--show-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Finding {
    /// The report's total order.
    pub(super) fn sort_key(&self) -> (&str, Option<&str>, &str, usize, &str) {
        (
            &self.path,
            self.commit.as_deref(),
            &self.blob,
            self.byte_start,
            &self.rule_id,
        )
    }
}

/// Options that shape findings.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScanOptions {
    /// Keep the secret in the finding and the snippet.
    pub show_secrets: bool,
    /// Scan blobs that git's heuristic calls binary.
    pub scan_binary: bool,
}

/// Progress callback: called with the byte count of each blob done.
pub type ProgressFn<'a> = dyn Fn(u64) + Send + Sync + 'a;

/// Where a blob came from: git context, or a file of a directory scan.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// Blob id when known; computed from the bytes (lazily) when not.
    pub blob: Option<&'a ObjectId>,
    pub commit: Option<&'a ObjectId>,
    /// The ref that introduces the blob when no commit does (git only).
    pub tag: Option<&'a [u8]>,
    pub path: &'a [u8],
}

/// Counts for a scan, summed over sinks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanStats {
    pub blobs: u64,
    pub bytes: u64,
    pub binary_skipped: u64,
    pub suppressed_inline: u64,
    pub suppressed_ignore: u64,
    pub suppressed_baseline: u64,
}

/// Per-rule cost and yield.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleStat {
    pub id: String,
    pub candidates: u64,
    pub confirmed: u64,
    pub findings: u64,
}

/// A finished scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Format version of this JSON document.
    pub version: u32,
    pub findings: Vec<Finding>,
    pub stats: ScanStats,
    /// Rules with at least one candidate, most candidates first.
    pub rules: Vec<RuleStat>,
    /// Objects the scan could not read (a partial scan), with why; empty
    /// for a complete one. Ids and reasons only, never content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedObject>,
}

/// An object a partial scan skipped, as the report states it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedObject {
    pub oid: String,
    pub reason: String,
}

/// Current [`Report::version`].
pub const REPORT_VERSION: u32 = 1;

/// Collects findings for one worker thread.
pub struct FindingsSink<'e> {
    engine: &'e Engine,
    opts: ScanOptions,
    progress: Option<&'e ProgressFn<'e>>,
    scratch: Scratch,
    pub(super) findings: Vec<Finding>,
    pub(super) stats: ScanStats,
}

impl std::fmt::Debug for FindingsSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FindingsSink")
            .field("findings", &self.findings.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<'e> FindingsSink<'e> {
    pub fn new(
        engine: &'e Engine,
        opts: ScanOptions,
        progress: Option<&'e ProgressFn<'e>>,
    ) -> Self {
        FindingsSink {
            engine,
            opts,
            progress,
            scratch: engine.scratch(),
            findings: Vec::new(),
            stats: ScanStats::default(),
        }
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn stats(&self) -> &ScanStats {
        &self.stats
    }

    pub fn counters(&self) -> &[RuleCounters] {
        self.scratch.counters()
    }

    /// Scans one blob and records its findings.
    pub fn scan_blob(&mut self, origin: &Origin<'_>, bytes: &[u8]) {
        self.stats.blobs += 1;
        self.stats.bytes += bytes.len() as u64;
        if let Some(p) = self.progress {
            p(bytes.len() as u64);
        }
        if !self.opts.scan_binary && is_binary(bytes) {
            self.stats.binary_skipped += 1;
            return;
        }
        let engine = self.engine;
        let matches = engine.scan(&mut self.scratch, bytes);
        if matches.is_empty() {
            return;
        }
        let blob = match origin.blob {
            Some(oid) => oid.to_string(),
            None => git_blob_id(bytes),
        };
        let commit = origin.commit.map(|c| c.to_string());
        let tag = origin.tag.map(|t| String::from_utf8_lossy(t).into_owned());
        let path = String::from_utf8_lossy(origin.path).into_owned();
        let mut lines = LineCounter::default();
        for m in matches {
            let (start_line, start_column) = lines.locate(bytes, m.secret.0);
            let (end_line, end_column) = lines.peek(bytes, m.secret.1);
            if allowed(bytes, m) {
                self.stats.suppressed_inline += 1;
                continue;
            }
            let rule = &engine.rules().rules()[m.rule as usize].spec;
            let secret = &bytes[m.secret_range()];
            self.findings.push(Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                confidence: rule.confidence.as_str().to_string(),
                path: path.clone(),
                commit: commit.clone(),
                tag: tag.clone(),
                blob: blob.clone(),
                start_line,
                start_column,
                end_line,
                end_column,
                byte_start: m.secret.0,
                byte_end: m.secret.1,
                fingerprint: fingerprint(secret),
                snippet: snippet(bytes, m, self.opts.show_secrets),
                secret: self
                    .opts
                    .show_secrets
                    .then(|| String::from_utf8_lossy(secret).into_owned()),
            });
        }
    }
}

impl BlobSink for FindingsSink<'_> {
    type Error = std::convert::Infallible;

    fn blob(&mut self, ctx: &BlobContext<'_>, bytes: &[u8]) -> Result<(), Self::Error> {
        let origin = Origin {
            blob: Some(ctx.oid),
            commit: ctx.commit(),
            tag: ctx.ref_name(),
            path: ctx.path,
        };
        self.scan_blob(&origin, bytes);
        Ok(())
    }
}

/// Makes one [`FindingsSink`] per worker over a shared engine.
pub struct FindingsSinkFactory<'e> {
    pub engine: &'e Engine,
    pub opts: ScanOptions,
    pub progress: Option<&'e ProgressFn<'e>>,
}

impl std::fmt::Debug for FindingsSinkFactory<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FindingsSinkFactory")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl<'e> crate::sink::SinkFactory for FindingsSinkFactory<'e> {
    type Sink = FindingsSink<'e>;

    fn make(&self, _worker: usize) -> FindingsSink<'e> {
        FindingsSink::new(self.engine, self.opts, self.progress)
    }
}

/// Git blob id (SHA-1 of `blob <len>\0` + bytes), hex.
pub fn git_blob_id(bytes: &[u8]) -> String {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, bytes)
        .map(|oid| oid.to_string())
        .unwrap_or_default()
}

/// Incremental 1-based line/column computation over increasing offsets.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    fn locate(&mut self, bytes: &[u8], offset: usize) -> (usize, usize) {
        if offset < self.pos {
            *self = LineCounter::default();
        }
        for (i, &b) in bytes[self.pos..offset].iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = offset;
        (self.line + 1, offset - self.line_start + 1)
    }

    fn peek(&self, bytes: &[u8], offset: usize) -> (usize, usize) {
        let mut c = LineCounter { ..*self };
        c.locate(bytes, offset)
    }
}

fn line_bounds(bytes: &[u8], offset: usize) -> (usize, usize) {
    let start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let end = bytes[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| offset + p);
    (start, end)
}

fn allowed(bytes: &[u8], m: &RawMatch) -> bool {
    let marker = ALLOW_MARKER.as_bytes();
    let has = |(s, e): (usize, usize)| bytes[s..e].windows(marker.len()).any(|w| w == marker);
    has(line_bounds(bytes, m.secret.0)) || has(line_bounds(bytes, m.secret.1.saturating_sub(1)))
}

fn snippet(bytes: &[u8], m: &RawMatch, show: bool) -> String {
    let (ls, _) = line_bounds(bytes, m.secret.0);
    let (_, le) = line_bounds(bytes, m.secret.1.saturating_sub(1).max(m.secret.0));
    let start = ls.max(m.secret.0.saturating_sub(SNIPPET_CONTEXT));
    let end = le.min(m.secret.1 + SNIPPET_CONTEXT);
    let mut out = String::from_utf8_lossy(&bytes[start..m.secret.0]).into_owned();
    if show {
        out.push_str(&String::from_utf8_lossy(&bytes[m.secret_range()]));
    } else {
        out.push_str(REDACTED);
    }
    out.push_str(&String::from_utf8_lossy(&bytes[m.secret.1..end]));
    out
}
