//! Builds a corpus on disk: fast-import, repack into the spec's packs,
//! multi-pack-index, commit-graph, manifest; cached by the spec's key.
//!
//! Layout under the corpora root (default `target/corpora/`):
//! `<name>/repo.git` (bare repository), `<name>/manifest.json`,
//! `<name>/cache-key`. A build goes to `<name>.tmp-<pid>` and is renamed into
//! place only when complete, so an interrupted build never looks cached.
//!
//! git runs with `GIT_CONFIG_NOSYSTEM=1` and `GIT_CONFIG_GLOBAL=/dev/null`, so
//! no machine's configuration changes the result.

use crate::history::{self, History, IntroKind, PlantWhat};
use crate::manifest::{Introduction, MANIFEST_VERSION, Manifest, Occurrence, ScanSelection, Stats};
use crate::secrets::fingerprint;
use crate::spec::{Spec, Stratum, StratumSpec};
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Why a corpus could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("`git {args}` failed in {dir}: {stderr}")]
    Git {
        args: String,
        dir: PathBuf,
        stderr: String,
    },
    #[error("manifest {path} is unreadable: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("fast-import marks file {path} has no object for mark :{mark}")]
    Marks { path: PathBuf, mark: u32 },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BuildError {
    let context = context.into();
    move |source| BuildError::Io { context, source }
}

/// A corpus ready on disk.
#[derive(Debug)]
pub struct Built {
    pub dir: PathBuf,
    pub repo: PathBuf,
    pub manifest: Manifest,
    /// `true` when the cache was reused and nothing was generated.
    pub cached: bool,
}

/// `$SCANNER_CORPORA_DIR`, else `target/corpora` in this workspace.
pub fn default_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("SCANNER_CORPORA_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("corpora")
}

/// Builds (or reuses) the benchmark-sized corpus of `stratum` under `root`.
pub fn build_stratum(stratum: Stratum, root: &Path) -> Result<Built, BuildError> {
    build(&stratum.spec(), root)
}

/// Loads a built corpus's manifest, checking its version.
pub fn load_manifest(path: &Path) -> Result<Manifest, BuildError> {
    let bad = |reason: String| BuildError::Manifest {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if m.version != MANIFEST_VERSION {
        return Err(bad(format!(
            "version {} is not the supported version {MANIFEST_VERSION}",
            m.version
        )));
    }
    Ok(m)
}

/// Builds the corpus for `spec` under `root/<spec.name>`, unless a complete
/// build with the same cache key is already there.
pub fn build(spec: &Spec, root: &Path) -> Result<Built, BuildError> {
    let key = spec.cache_key();
    let dir = root.join(&spec.name);
    std::fs::create_dir_all(root).map_err(io_err(format!("creating {}", root.display())))?;
    // Test binaries and xtask may build the same corpus at once: one builds,
    // the others wait and then find it cached.
    let lock_path = root.join(format!("{}.lock", spec.name));
    let lock = std::fs::File::create(&lock_path)
        .map_err(io_err(format!("creating {}", lock_path.display())))?;
    lock.lock()
        .map_err(io_err(format!("locking {}", lock_path.display())))?;
    let manifest_path = dir.join("manifest.json");
    if std::fs::read_to_string(dir.join("cache-key")).is_ok_and(|k| k.trim() == key)
        && let Ok(manifest) = load_manifest(&manifest_path)
    {
        {
            return Ok(Built {
                repo: dir.join("repo.git"),
                dir,
                manifest,
                cached: true,
            });
        }
    }
    let started = Instant::now();
    // Under the lock, any leftover temporary folder is from a build that died.
    remove_stale_tmp(root, &spec.name)?;
    let tmp = root.join(format!("{}.tmp-{}", spec.name, std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(io_err(format!("creating {}", tmp.display())))?;
    let result = generate_into(spec, &tmp);
    let mut manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    manifest.stats.generation_seconds = started.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| BuildError::Manifest {
        path: manifest_path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(tmp.join("manifest.json"), json).map_err(io_err("writing manifest.json"))?;
    std::fs::write(tmp.join("cache-key"), format!("{key}\n"))
        .map_err(io_err("writing cache-key"))?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(io_err(format!("removing stale {}", dir.display())))?;
    }
    std::fs::rename(&tmp, &dir).map_err(io_err(format!("moving {} into place", tmp.display())))?;
    Ok(Built {
        repo: dir.join("repo.git"),
        dir,
        manifest,
        cached: false,
    })
}

fn remove_stale_tmp(root: &Path, name: &str) -> Result<(), BuildError> {
    let prefix = format!("{name}.tmp-");
    for entry in std::fs::read_dir(root).map_err(io_err(format!("listing {}", root.display())))? {
        let entry = entry.map_err(io_err(format!("listing {}", root.display())))?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let p = entry.path();
            std::fs::remove_dir_all(&p).map_err(io_err(format!("removing {}", p.display())))?;
        }
    }
    Ok(())
}

/// A git invocation with configuration isolated from the machine.
pub fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
        .arg("--git-dir")
        .arg(repo);
    c
}

/// Runs `cmd` with optional stdin, returning stdout; errors carry stderr.
pub fn run_git(mut cmd: Command, repo: &Path, stdin: Option<&[u8]>) -> Result<Vec<u8>, BuildError> {
    let args = cmd
        .get_args()
        .skip(2)
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(io_err(format!("running git {args}")))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input)
            .map_err(io_err(format!("feeding git {args}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(io_err(format!("waiting for git {args}")))?;
    if !out.status.success() {
        return Err(BuildError::Git {
            args,
            dir: repo.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out.stdout)
}

fn generate_into(spec: &Spec, tmp: &Path) -> Result<Manifest, BuildError> {
    let repo = tmp.join("repo.git");
    let mut init = git(&repo);
    init.args(["init", "--bare", "--quiet", "--initial-branch=main"])
        .arg(&repo);
    // `git --git-dir X init --bare X` is fine; init creates the folder.
    run_git(init, &repo, None)?;

    let marks_path = tmp.join("marks");
    let mut fi = git(&repo);
    fi.args(["fast-import", "--quiet", "--done"])
        .arg(format!("--export-marks={}", marks_path.display()));
    fi.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = fi.spawn().map_err(io_err("starting git fast-import"))?;
    let stdin = child.stdin.take().ok_or_else(|| BuildError::Io {
        context: "git fast-import".into(),
        source: std::io::Error::other("no stdin pipe"),
    })?;
    let generated = history::generate(spec, BufWriter::with_capacity(1 << 20, stdin));
    let (hist, writer) = match generated {
        Ok(x) => x,
        Err(e) => {
            let out = child
                .wait_with_output()
                .map_err(io_err("waiting for git fast-import"))?;
            return Err(BuildError::Git {
                args: "fast-import".into(),
                dir: repo,
                stderr: format!("{e}; {}", String::from_utf8_lossy(&out.stderr).trim()),
            });
        }
    };
    drop(writer);
    let out = child
        .wait_with_output()
        .map_err(io_err("waiting for git fast-import"))?;
    if !out.status.success() {
        return Err(BuildError::Git {
            args: "fast-import".into(),
            dir: repo,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let marks = read_marks(&marks_path)?;
    let oid = |mark: u32| {
        marks.get(&mark).cloned().ok_or_else(|| BuildError::Marks {
            path: marks_path.clone(),
            mark,
        })
    };

    repack(&repo, &hist, &oid)?;
    if spec.multi_pack_index {
        let mut c = git(&repo);
        c.args(["multi-pack-index", "write"]);
        run_git(c, &repo, None)?;
    }
    if spec.commit_graph {
        let mut c = git(&repo);
        c.args(["commit-graph", "write", "--reachable"]);
        run_git(c, &repo, None)?;
    }
    let mut c = git(&repo);
    c.args(["pack-refs", "--all"]);
    run_git(c, &repo, None)?;
    std::fs::remove_file(&marks_path).map_err(io_err("removing marks"))?;

    let (packs, pack_bytes) = pack_files(&repo)?;
    manifest_for(spec, &hist, &oid, packs, pack_bytes)
}

fn read_marks(path: &Path) -> Result<HashMap<u32, String>, BuildError> {
    let text =
        std::fs::read_to_string(path).map_err(io_err(format!("reading {}", path.display())))?;
    let mut marks = HashMap::new();
    for line in text.lines() {
        let parsed = line
            .strip_prefix(':')
            .and_then(|l| l.split_once(' '))
            .and_then(|(m, o)| Some((m.parse::<u32>().ok()?, o.to_string())));
        match parsed {
            Some((m, o)) => {
                marks.insert(m, o);
            }
            None => {
                return Err(BuildError::Manifest {
                    path: path.to_owned(),
                    reason: format!("bad marks line {line:?}"),
                });
            }
        }
    }
    Ok(marks)
}

/// Replaces fast-import's packs with `spec.packs` well-deltified packs, one
/// per phase of history, so older history sits in older packs as after
/// real-life incremental repacks.
fn repack(
    repo: &Path,
    hist: &History,
    oid: &dyn Fn(u32) -> Result<String, BuildError>,
) -> Result<(), BuildError> {
    let (old, _) = pack_files(repo)?;
    let mut previous: Vec<usize> = Vec::new();
    for tips in &hist.phase_tips {
        let mut input = String::new();
        for &t in tips {
            input.push_str(&oid(hist.commits[t].mark)?);
            input.push('\n');
        }
        for &t in &previous {
            input.push('^');
            input.push_str(&oid(hist.commits[t].mark)?);
            input.push('\n');
        }
        let mut c = git(repo);
        c.args([
            "pack-objects",
            "--revs",
            "--no-reuse-delta",
            "--delta-base-offset",
            "--window=10",
            "--depth=50",
            "--threads=2",
            "-q",
        ]);
        c.arg(repo.join("objects/pack/pack"));
        run_git(c, repo, Some(input.as_bytes()))?;
        previous = tips.clone();
    }
    for name in old {
        for ext in ["pack", "idx", "rev"] {
            let p = repo.join("objects/pack").join(format!("{name}.{ext}"));
            if p.exists() {
                std::fs::remove_file(&p).map_err(io_err(format!("removing {}", p.display())))?;
            }
        }
    }
    Ok(())
}

/// Pack base names (`pack-<hash>`) and their total `.pack` bytes.
fn pack_files(repo: &Path) -> Result<(Vec<String>, u64), BuildError> {
    let dir = repo.join("objects/pack");
    let mut names = Vec::new();
    let mut bytes = 0;
    for entry in std::fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
        let entry = entry.map_err(io_err(format!("listing {}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".pack") {
            bytes += entry
                .metadata()
                .map_err(io_err(format!("stat {name}")))?
                .len();
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok((names, bytes))
}

fn change_name(kind: IntroKind) -> String {
    match kind {
        IntroKind::Added => "added".into(),
        IntroKind::Modified => "modified".into(),
    }
}

fn manifest_for(
    spec: &Spec,
    hist: &History,
    oid: &dyn Fn(u32) -> Result<String, BuildError>,
    packs: Vec<String>,
    pack_bytes: u64,
) -> Result<Manifest, BuildError> {
    let commit_oid = |c: usize| oid(hist.commits[c].mark);
    // Introductions of value-bearing blobs, grouped by blob, in canonical
    // order: commit creation order is committer-time order (times strictly
    // increase), then path bytes.
    let mut by_blob: HashMap<u32, Vec<&history::Intro>> = HashMap::new();
    for i in &hist.intros {
        by_blob.entry(i.blob).or_default().push(i);
    }
    let mut secrets = Vec::new();
    let mut decoys = Vec::new();
    let mut blob_ids: Vec<u32> = by_blob.keys().copied().collect();
    blob_ids.sort_unstable();
    for b in blob_ids {
        let mut intros = by_blob.remove(&b).unwrap_or_default();
        intros.sort_by(|x, y| (x.commit, x.path.as_bytes()).cmp(&(y.commit, y.path.as_bytes())));
        let Some(first) = intros.first() else {
            continue;
        };
        let to_intro = |i: &history::Intro| -> Result<Introduction, BuildError> {
            Ok(Introduction {
                commit: commit_oid(i.commit)?,
                path: i.path.to_string(),
                change: change_name(i.kind),
            })
        };
        let first = to_intro(first)?;
        let selection = match intros.iter().find(|i| hist.in_selection(i.commit)) {
            Some(i) => Some(to_intro(i)?),
            None => None,
        };
        let blob = &hist.blobs[b as usize];
        let blob_oid = oid(blob.mark)?;
        for site in &blob.sites {
            let plant = &hist.plants[site.plant as usize];
            let (kind, list) = match plant.what {
                PlantWhat::Secret(k) => (k.id(), &mut secrets),
                PlantWhat::Decoy(k) => (k.id(), &mut decoys),
            };
            list.push(Occurrence {
                kind: kind.to_string(),
                fingerprint: fingerprint(plant.value.as_bytes()),
                blob: blob_oid.clone(),
                first: first.clone(),
                selection: selection.clone(),
                line: site.line,
                column: site.column,
                offset: site.offset,
                length: plant.value.len(),
                binary: blob.binary,
            });
        }
    }
    let sort = |v: &mut Vec<Occurrence>| {
        v.sort_by(|a, b| (&a.blob, a.offset, &a.kind).cmp(&(&b.blob, b.offset, &b.kind)))
    };
    sort(&mut secrets);
    sort(&mut decoys);
    let selection = match hist.range {
        Some((base, tip)) => ScanSelection::Range {
            base: commit_oid(base)?,
            tip: commit_oid(tip)?,
        },
        None => ScanSelection::All,
    };
    let s = &hist.stats;
    let stats = Stats {
        commits: s.commits,
        merges: s.merges,
        refs: hist.refs.len(),
        introductions: s.introductions,
        unique_blobs: s.unique_blobs,
        duplicate_ratio: if s.introductions == 0 {
            0.0
        } else {
            1.0 - s.unique_blobs as f64 / s.introductions as f64
        },
        blob_bytes: s.blob_bytes,
        head_tree_entries: s.head_tree_entries,
        large_blobs: s.large_blobs,
        packs: packs.len(),
        pack_bytes,
        multi_pack_index: spec.multi_pack_index,
        commit_graph: spec.commit_graph,
        selection_commits: (0..hist.commits.len())
            .filter(|&c| hist.in_selection(c))
            .count(),
        generation_seconds: 0.0,
    };
    Ok(Manifest {
        version: MANIFEST_VERSION,
        stratum: spec.name.clone(),
        spec_key: spec.cache_key(),
        repo: "repo.git".into(),
        head: commit_oid(hist.head)?,
        selection,
        dedupe_budget_bytes: spec.dedupe_budget_bytes,
        stats,
        secrets,
        decoys,
    })
}
