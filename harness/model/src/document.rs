//! Versioned JSON documents on disk: the results file of a run and the
//! `compare.json` of a compare share how they are read and written.
//!
//! Every document has a top-level `schema: {major, minor}`. [`parse`] reads
//! that first and refuses another major version with an error naming the
//! file, the document kind and both versions, before it tries the rest
//! (whose shape may have changed); minor versions only add fields, which
//! older readers ignore. [`write`] stores pretty JSON with a final newline,
//! creating the parent directory. This is the only IO the model does.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// A document's `schema` field: majors break readers, minors only add fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SchemaVersion {
    pub major: u32,
    pub minor: u32,
}

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a {kind} file: {reason}")]
    Parse {
        path: PathBuf,
        kind: &'static str,
        reason: String,
    },
    #[error(
        "{path}: {kind} schema {found_major}.{found_minor} is not readable by this harness (schema {supported_major}.x)"
    )]
    Version {
        path: PathBuf,
        kind: &'static str,
        found_major: u32,
        found_minor: u32,
        supported_major: u32,
    },
}

#[derive(serde::Deserialize)]
struct VersionOnly {
    schema: SchemaVersion,
}

/// Parses a `kind` document (e.g. "results") whose readable major version is
/// `major`, checking the version before anything else.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    path: &Path,
    kind: &'static str,
    major: u32,
) -> Result<T, DocumentError> {
    let parse_err = |e: serde_json::Error| DocumentError::Parse {
        path: path.to_owned(),
        kind,
        reason: e.to_string(),
    };
    let v: VersionOnly = serde_json::from_str(text).map_err(parse_err)?;
    if v.schema.major != major {
        return Err(DocumentError::Version {
            path: path.to_owned(),
            kind,
            found_major: v.schema.major,
            found_minor: v.schema.minor,
            supported_major: major,
        });
    }
    serde_json::from_str(text).map_err(parse_err)
}

/// Reads and parses a document (see [`parse`]).
pub fn read<T: DeserializeOwned>(
    path: &Path,
    kind: &'static str,
    major: u32,
) -> Result<T, DocumentError> {
    let text = std::fs::read_to_string(path).map_err(|source| DocumentError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path, kind, major)
}

/// The text [`write`] stores: pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(value).map(|mut s| {
        s.push('\n');
        s
    })
}

/// Writes a document, creating its directory.
pub fn write<T: Serialize>(
    value: &T,
    path: &Path,
    kind: &'static str,
) -> Result<(), DocumentError> {
    let io = |source| DocumentError::Io {
        path: path.to_owned(),
        source,
    };
    let text = to_json(value).map_err(|e| DocumentError::Parse {
        path: path.to_owned(),
        kind,
        reason: e.to_string(),
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        schema: SchemaVersion,
        value: u32,
    }

    #[test]
    fn other_major_versions_are_refused_before_the_rest() {
        let p = Path::new("out/x.json");
        // Major 2 with a body this reader could not parse: the version speaks first.
        let err = parse::<Doc>(
            r#"{"schema":{"major":2,"minor":3},"value":"?"}"#,
            p,
            "thing",
            1,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "out/x.json: thing schema 2.3 is not readable by this harness (schema 1.x)"
        );
        let err = parse::<Doc>("[]", p, "thing", 1).unwrap_err().to_string();
        assert!(err.starts_with("out/x.json: not a thing file: "), "{err}");
    }

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/doc.json");
        let doc = Doc {
            schema: SchemaVersion { major: 1, minor: 4 },
            value: 7,
        };
        write(&doc, &path, "thing").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("}\n"), "{text}");
        assert_eq!(read::<Doc>(&path, "thing", 1).unwrap(), doc);
        let err = read::<Doc>(&dir.path().join("none.json"), "thing", 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("none.json: "), "{err}");
    }
}
