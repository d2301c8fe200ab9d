//! `scan --path DIR`: scanning a plain directory tree.
//!
//! Files are listed with the `ignore` crate: `.gitignore`, `.ignore` and
//! git's global/exclude files are respected (also outside a git checkout),
//! hidden files are scanned (`.env` matters), the `.git` directory is
//! skipped, symbolic links are not followed. The listing is sorted, then
//! `threads` workers pull files by index, each reading into its own reused
//! buffer and feeding its own sink; the sinks are returned for merging.

use super::findings::{FindingsSink, Origin};
use crate::sink::SinkFactory;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum DirScanError {
    #[error("scan path {path}: {message}")]
    Walk { path: PathBuf, message: String },
    #[error("scan path {path}: cannot read file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Lists the files under `root` (sorted, relative `/`-separated paths).
pub fn list_files(root: &Path) -> Result<Vec<(PathBuf, String, u64)>, DirScanError> {
    let meta = std::fs::metadata(root).map_err(|e| DirScanError::Walk {
        path: root.to_path_buf(),
        message: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(DirScanError::Walk {
            path: root.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| DirScanError::Walk {
            path: root.to_path_buf(),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let full = entry.path().to_path_buf();
        let rel = full.strip_prefix(root).unwrap_or(&full);
        let rel_str = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        files.push((full, rel_str, len));
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

/// Scans the files under `root` with `threads` workers (at least 1).
pub fn scan_dir<'e, F>(
    factory: &F,
    files: &[(PathBuf, String, u64)],
    threads: usize,
) -> Result<Vec<FindingsSink<'e>>, DirScanError>
where
    F: SinkFactory<Sink = FindingsSink<'e>>,
{
    let next = AtomicUsize::new(0);
    let error: Mutex<Option<DirScanError>> = Mutex::new(None);
    let threads = threads.max(1);
    let sinks = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let next = &next;
                let error = &error;
                let mut sink = factory.make(w);
                s.spawn(move || {
                    let mut buf = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((full, rel, _)) = files.get(i) else {
                            break;
                        };
                        buf.clear();
                        let read = std::fs::File::open(full)
                            .and_then(|mut f| std::io::Read::read_to_end(&mut f, &mut buf));
                        if let Err(source) = read {
                            if let Ok(mut e) = error.lock() {
                                e.get_or_insert(DirScanError::Read {
                                    path: full.clone(),
                                    source,
                                });
                            }
                            next.store(usize::MAX / 2, Ordering::Relaxed);
                            break;
                        }
                        let origin = Origin {
                            blob: None,
                            commit: None,
                            tag: None,
                            path: rel.as_bytes(),
                        };
                        sink.scan_blob(&origin, &buf);
                    }
                    sink
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect::<Vec<_>>()
    });
    if let Some(e) = error.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(sinks)
}
