//! Suppression of known or accepted findings, applied after the scan.
//!
//! - Ignore file (`--ignore-file`, default `.scannerignore` at the scanned
//!   root): one entry per line; `#` starts a comment; a 64-hex-digit entry is
//!   a secret fingerprint (optionally `rule-id:fingerprint` to limit it to
//!   one rule); anything else is a path glob (gitignore-like `globset`
//!   syntax, matched against the finding's path).
//! - Baseline (`--baseline PREVIOUS_REPORT.json`): a JSON report written by
//!   `scanner scan --format json`; findings whose (rule id, fingerprint) pair
//!   appears in it are not reported again, wherever they moved.
//! - The inline allow marker is handled while scanning (it needs the bytes;
//!   see `findings::ALLOW_MARKER`).
//!
//! Every error names the file (and line) at fault and is raised while
//! loading, before any scanning starts.

use super::findings::{Finding, Report};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("ignore file {path}: cannot read: {source}")]
    IgnoreRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ignore file {path}, line {line}: invalid glob {glob:?}: {message}")]
    IgnoreGlob {
        path: PathBuf,
        line: usize,
        glob: String,
        message: String,
    },
    #[error("baseline {path}: cannot read: {source}")]
    BaselineRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline {path}: not a scanner JSON report: {message}")]
    BaselineParse { path: PathBuf, message: String },
}

/// Everything that can hide a finding after the scan.
#[derive(Debug, Default)]
pub struct Suppressions {
    fingerprints: HashSet<(Option<String>, String)>,
    globs: Option<GlobSet>,
    baseline: HashSet<(String, String)>,
}

impl Suppressions {
    /// Parses ignore-file text; `path` names it in errors.
    pub fn add_ignore_text(&mut self, path: &Path, text: &str) -> Result<(), SuppressError> {
        let mut builder = GlobSetBuilder::new();
        let mut any_glob = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (rule, fp) = match line.split_once(':') {
                Some((r, f)) if is_fingerprint(f) => (Some(r.to_string()), f),
                _ => (None, line),
            };
            if is_fingerprint(fp) {
                self.fingerprints.insert((rule, fp.to_ascii_lowercase()));
                continue;
            }
            let glob = Glob::new(line).map_err(|e| SuppressError::IgnoreGlob {
                path: path.to_path_buf(),
                line: i + 1,
                glob: line.to_string(),
                message: e.kind().to_string(),
            })?;
            builder.add(glob);
            any_glob = true;
        }
        if any_glob {
            let set = builder.build().map_err(|e| SuppressError::IgnoreGlob {
                path: path.to_path_buf(),
                line: 0,
                glob: String::new(),
                message: e.to_string(),
            })?;
            self.globs = Some(set);
        }
        Ok(())
    }

    /// Loads an ignore file.
    pub fn add_ignore_file(&mut self, path: &Path) -> Result<(), SuppressError> {
        let text = std::fs::read_to_string(path).map_err(|source| SuppressError::IgnoreRead {
            path: path.to_path_buf(),
            source,
        })?;
        self.add_ignore_text(path, &text)
    }

    /// Loads a baseline report (`--format json` output).
    pub fn add_baseline_file(&mut self, path: &Path) -> Result<(), SuppressError> {
        let text = std::fs::read_to_string(path).map_err(|source| SuppressError::BaselineRead {
            path: path.to_path_buf(),
            source,
        })?;
        let report: Report =
            serde_json::from_str(&text).map_err(|e| SuppressError::BaselineParse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        for f in report.findings {
            if !is_fingerprint(&f.fingerprint) {
                return Err(SuppressError::BaselineParse {
                    path: path.to_path_buf(),
                    message: format!("finding {} has an invalid fingerprint", f.rule_id),
                });
            }
            self.baseline.insert((f.rule_id, f.fingerprint));
        }
        Ok(())
    }

    /// Whether the ignore file hides `f`.
    pub fn ignores(&self, f: &Finding) -> bool {
        self.fingerprints.contains(&(None, f.fingerprint.clone()))
            || self
                .fingerprints
                .contains(&(Some(f.rule_id.clone()), f.fingerprint.clone()))
            || self.globs.as_ref().is_some_and(|g| g.is_match(&f.path))
    }

    /// Whether `f` was already reported in the baseline.
    pub fn in_baseline(&self, f: &Finding) -> bool {
        !self.baseline.is_empty()
            && self
                .baseline
                .contains(&(f.rule_id.clone(), f.fingerprint.clone()))
    }
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
