//! What a run measures: a built-in stratum (generated, with ground truth)
//! or a named real repository declared in the workloads file
//! (`harness/workloads.toml`).
//!
//! [`WorkloadId`] is the key of every per-workload record in the documents
//! (results, compare, protocol). It is written as its name, so a stratum
//! reads `"medium"` exactly as before repositories could be measured; a
//! repository's name may not be a stratum's. [`WorkloadsFile`] is the
//! workloads file: each repository's path (or the environment variable
//! naming it), its selection, thread count, whether it gates, and whether
//! a machine without it skips it.

use crate::stratum::Stratum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A stratum or a named repository. Strata order first (in their order),
/// then repositories by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadId {
    Stratum(Stratum),
    Repo(String),
}

impl WorkloadId {
    /// A repository workload's id; the name must not be a stratum's and may
    /// hold only ASCII letters, digits, `-`, `_` and `.`.
    pub fn repo(name: &str) -> Result<WorkloadId, String> {
        if Stratum::from_name(name).is_some() {
            return Err(format!(
                "workload {name:?} has a stratum's name; choose another"
            ));
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(format!(
                "workload name {name:?} must be ASCII letters, digits, '-', '_' or '.'"
            ));
        }
        Ok(WorkloadId::Repo(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            WorkloadId::Stratum(s) => s.as_str(),
            WorkloadId::Repo(name) => name,
        }
    }

    /// The stratum, for a built-in workload.
    pub fn stratum(&self) -> Option<Stratum> {
        match self {
            WorkloadId::Stratum(s) => Some(*s),
            WorkloadId::Repo(_) => None,
        }
    }
}

impl From<Stratum> for WorkloadId {
    fn from(s: Stratum) -> WorkloadId {
        WorkloadId::Stratum(s)
    }
}

impl PartialEq<Stratum> for WorkloadId {
    fn eq(&self, other: &Stratum) -> bool {
        self.stratum() == Some(*other)
    }
}

impl std::str::FromStr for WorkloadId {
    type Err = String;
    fn from_str(s: &str) -> Result<WorkloadId, String> {
        match Stratum::from_name(s) {
            Some(st) => Ok(WorkloadId::Stratum(st)),
            None => WorkloadId::repo(s),
        }
    }
}

impl std::fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for WorkloadId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WorkloadId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<WorkloadId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which commits a repository workload scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoSelection {
    /// Every ref (`--all`).
    All,
    /// A range `A..B`.
    Range(String),
    /// These refs' histories.
    Refs(Vec<String>),
}

impl RepoSelection {
    pub fn describe(&self) -> String {
        match self {
            RepoSelection::All => "--all".into(),
            RepoSelection::Range(r) => r.clone(),
            RepoSelection::Refs(refs) => refs.join(" "),
        }
    }
}

/// One repository workload, resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoWorkload {
    pub id: WorkloadId,
    /// Where the repository is (a bare mirror or a checkout's `.git`).
    pub path: PathBuf,
    pub selection: RepoSelection,
    /// Scanner threads; `None`: the run's.
    pub threads: Option<usize>,
    /// Whether its gated metrics decide an A/B compare.
    pub gates: bool,
}

/// A workload the file declares but this machine does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// Why the workloads file or a workload in it was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a workloads file: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: workload `{name}`: {reason}")]
    Invalid {
        path: PathBuf,
        name: String,
        reason: String,
    },
    #[error("{path}: no workload `{name}` (declared: {declared})")]
    Unknown {
        path: PathBuf,
        name: String,
        declared: String,
    },
    #[error("workload `{name}`: the repository {repo} does not exist ({how})")]
    Missing {
        name: String,
        repo: PathBuf,
        how: String,
    },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    path: Option<PathBuf>,
    path_env: Option<String>,
    range: Option<String>,
    refs: Option<Vec<String>>,
    threads: Option<usize>,
    #[serde(default)]
    gate: bool,
    #[serde(default)]
    optional: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    workload: BTreeMap<String, RawWorkload>,
}

/// The workloads file, parsed and checked (paths are not resolved yet).
#[derive(Clone, Debug)]
pub struct WorkloadsFile {
    path: PathBuf,
    raw: BTreeMap<String, RawWorkload>,
}

impl WorkloadsFile {
    /// Parses `text`; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<WorkloadsFile, WorkloadError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| WorkloadError::Syntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        for (name, w) in &raw.workload {
            let invalid = |reason: String| WorkloadError::Invalid {
                path: path.to_owned(),
                name: name.clone(),
                reason,
            };
            WorkloadId::repo(name).map_err(invalid)?;
            if w.path.is_some() == w.path_env.is_some() {
                return Err(invalid("needs exactly one of `path` and `path_env`".into()));
            }
            if w.range.is_some() && w.refs.is_some() {
                return Err(invalid("gives both `range` and `refs`".into()));
            }
            if w.threads == Some(0) {
                return Err(invalid("`threads` must be at least 1".into()));
            }
        }
        Ok(WorkloadsFile {
            path: path.to_owned(),
            raw: raw.workload,
        })
    }

    pub fn read(path: &Path) -> Result<WorkloadsFile, WorkloadError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Io {
            path: path.to_owned(),
            source,
        })?;
        WorkloadsFile::parse(&text, path)
    }

    /// The declared names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.raw.keys().map(String::as_str).collect()
    }

    /// Resolves `names` against the environment (`env` reads a variable):
    /// each existing repository is returned; an optional one that is
    /// missing is skipped with the reason, a required one is an error.
    pub fn resolve(
        &self,
        names: &[String],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Vec<RepoWorkload>, Vec<Skipped>), WorkloadError> {
        let mut found = Vec::new();
        let mut skipped = Vec::new();
        for name in names {
            let Some(w) = self.raw.get(name) else {
                return Err(WorkloadError::Unknown {
                    path: self.path.clone(),
                    name: name.clone(),
                    declared: self.names().join(", "),
                });
            };
            let (repo, how) = match (&w.path, &w.path_env) {
                (Some(p), _) => {
                    let p = if p.is_relative() {
                        self.path.parent().unwrap_or(Path::new(".")).join(p)
                    } else {
                        p.clone()
                    };
                    (Some(p), "`path` in the workloads file".to_string())
                }
                (None, Some(var)) => (
                    env(var).filter(|v| !v.is_empty()).map(PathBuf::from),
                    format!("${var}"),
                ),
                (None, None) => (None, "no path".into()),
            };
            let missing = |repo: PathBuf| WorkloadError::Missing {
                name: name.clone(),
                repo,
                how: how.clone(),
            };
            let err = match repo {
                Some(p) if p.exists() => {
                    let selection = match (&w.range, &w.refs) {
                        (Some(r), _) => RepoSelection::Range(r.clone()),
                        (None, Some(refs)) => RepoSelection::Refs(refs.clone()),
                        (None, None) => RepoSelection::All,
                    };
                    found.push(RepoWorkload {
                        id: WorkloadId::Repo(name.clone()),
                        path: p,
                        selection,
                        threads: w.threads,
                        gates: w.gate,
                    });
                    continue;
                }
                Some(p) => missing(p),
                None => missing(PathBuf::from(format!("<unset: {how}>"))),
            };
            if w.optional {
                skipped.push(Skipped {
                    name: name.clone(),
                    reason: err.to_string(),
                });
            } else {
                return Err(err);
            }
        }
        Ok((found, skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_written_as_their_names() {
        let m: WorkloadId = "medium".parse().unwrap();
        assert_eq!(m, WorkloadId::Stratum(Stratum::Medium));
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"medium\"");
        let r: WorkloadId = serde_json::from_str("\"ripgrep\"").unwrap();
        assert_eq!(r, WorkloadId::Repo("ripgrep".into()));
        assert!(WorkloadId::repo("small").is_err());
        assert!(WorkloadId::repo("a b").is_err());
        assert!(WorkloadId::Stratum(Stratum::Large) < WorkloadId::Repo("a".into()));
    }

    #[test]
    fn the_file_resolves_paths_and_names_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("workloads.toml");
        std::fs::create_dir(dir.path().join("rg.git")).unwrap();
        let text = r#"
[workload.rg]
path = "rg.git"
threads = 1
gate = true

[workload.fd]
path_env = "FD_REPO"
range = "v1..v2"
optional = true

[workload.git]
path_env = "GIT_REPO"
"#;
        let w = WorkloadsFile::parse(text, &file).unwrap();
        assert_eq!(w.names(), ["fd", "git", "rg"]);
        let none = |_: &str| None;
        let (found, skipped) = w.resolve(&["rg".into(), "fd".into()], none).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, dir.path().join("rg.git"));
        assert_eq!(found[0].threads, Some(1));
        assert!(found[0].gates && found[0].selection == RepoSelection::All);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("$FD_REPO"), "{skipped:?}");
        let err = w.resolve(&["git".into()], none).unwrap_err().to_string();
        assert!(
            err.contains("workload `git`") && err.contains("$GIT_REPO"),
            "{err}"
        );
        let env =
            |v: &str| (v == "FD_REPO").then(|| dir.path().join("rg.git").display().to_string());
        let (found, _) = w.resolve(&["fd".into()], env).unwrap();
        assert_eq!(found[0].selection, RepoSelection::Range("v1..v2".into()));
        let err = w.resolve(&["nope".into()], none).unwrap_err().to_string();
        assert!(
            err.contains("no workload `nope`") && err.contains("fd, git, rg"),
            "{err}"
        );
        let bad = WorkloadsFile::parse("[workload.medium]\npath = \"x\"\n", &file)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("stratum's name"), "{bad}");
        let bad = WorkloadsFile::parse("[workload.x]\n", &file)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("exactly one of"), "{bad}");
    }

    #[test]
    fn the_committed_file_parses() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../workloads.toml"));
        let w = WorkloadsFile::read(path).unwrap();
        assert!(w.names().contains(&"ripgrep"));
        // Every committed workload is optional: a machine without it skips.
        let (_, skipped) = w
            .resolve(&["ripgrep".into(), "git".into()], |_| None)
            .unwrap();
        assert_eq!(skipped.len(), 2);
    }
}
