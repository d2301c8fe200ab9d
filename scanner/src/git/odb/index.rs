//! The scan's packs and the one lookup from object id to pack offset.

use super::file::PackFile;
use super::idx::Idx;
use crate::git::error::{Error, Result};
use gix::ObjectId;
use gix::odb::pack;
use std::path::{Path, PathBuf};

/// How to find an object inside one pack (for ref-delta bases).
enum PackLookup {
    /// Covered by multi-pack-index `midx` under its pack id `pack`.
    Midx {
        midx: u32,
        pack: u32,
    },
    Idx(Box<Idx>),
}

/// An index file, in the order lookups consult them.
enum IndexFile {
    Midx(u32),
    /// The `.idx` of pack id `pack`.
    Idx(u32),
}

/// A pack as opened: mapped, or why it cannot be read (its blobs are then
/// skipped, the scan goes on).
pub type OpenedPack = std::result::Result<PackFile, String>;

/// Every pack of the object directory and its alternates, with their
/// indexes and memory maps; opened once per scan, shared read-only.
///
/// Invariants: a pack id indexes `paths`, `files` and `lookups` alike; the
/// first index (per object directory: multi-pack-index first, then the
/// `.idx` files it does not cover, by name) that has an object wins.
pub struct Packs {
    /// `.pack` files, by pack id.
    pub paths: Vec<PathBuf>,
    files: Vec<OpenedPack>,
    lookups: Vec<PackLookup>,
    midx: Vec<pack::multi_index::File>,
    order: Vec<IndexFile>,
    /// The repository is a partial clone (has `.promisor` packs).
    pub promisor: bool,
    /// The object directory, then its alternates.
    pub object_dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for Packs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packs")
            .field("paths", &self.paths)
            .field(
                "midx",
                &self.midx.iter().map(|m| m.path()).collect::<Vec<_>>(),
            )
            .field("promisor", &self.promisor)
            .finish_non_exhaustive()
    }
}

fn index_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Index {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Runs `f`, turning a panic inside gix's index accessors (possible on a
/// corrupt index whose header validated) into an error naming the file.
fn guarded<T>(path: &Path, f: impl FnOnce() -> std::result::Result<T, String>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(index_err(path, e)),
        Err(_) => Err(index_err(path, "index data out of bounds")),
    }
}

/// Merge-join of one index (sorted ids `oid_at(0..n)`) against the sorted
/// ids `want(0..found.len())`: every still-unresolved `found[j]` present
/// gets `locate(i)`. Returns how many it resolved.
fn merge_join(
    want: &impl Fn(usize) -> ObjectId,
    found: &mut [Option<(u32, u64)>],
    n: u32,
    oid_at: impl Fn(u32) -> ObjectId,
    mut locate: impl FnMut(u32) -> std::result::Result<(u32, u64), String>,
) -> std::result::Result<u64, String> {
    let (mut i, mut j, mut count) = (0u32, 0usize, 0u64);
    while i < n && j < found.len() {
        match oid_at(i).cmp(&want(j)) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if found[j].is_none() {
                    found[j] = Some(locate(i)?);
                    count += 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    Ok(count)
}

impl Packs {
    /// Opens the indexes and maps the packs of `objects_dir` and (recursively)
    /// its alternates. A corrupt index is an error naming it; a pack that
    /// cannot be mapped is kept as the reason its objects are skipped.
    pub fn open(objects_dir: &Path) -> Result<Packs> {
        let mut packs = Packs::none(object_dirs(objects_dir)?);
        for dir in packs.object_dirs.clone() {
            packs.add_pack_dir(&dir.join("pack"))?;
        }
        packs.files = packs
            .paths
            .iter()
            .enumerate()
            .map(|(id, p)| PackFile::open(id as u32, p))
            .collect();
        Ok(packs)
    }

    /// No packs at all (every lookup misses); for the fuzz targets.
    #[cfg(feature = "internals")]
    pub fn empty() -> Packs {
        Packs::none(Vec::new())
    }

    fn none(object_dirs: Vec<PathBuf>) -> Packs {
        Packs {
            paths: Vec::new(),
            files: Vec::new(),
            lookups: Vec::new(),
            midx: Vec::new(),
            order: Vec::new(),
            promisor: false,
            object_dirs,
        }
    }

    /// Registers one pack directory: its multi-pack-index, then the `.idx`
    /// files it does not cover, in name order.
    fn add_pack_dir(&mut self, pack_dir: &Path) -> Result<()> {
        let mut idx_files = Vec::new();
        match std::fs::read_dir(pack_dir) {
            Ok(rd) => {
                for e in rd {
                    let p = e.map_err(|e| Error::io(pack_dir, e))?.path();
                    match p.extension().and_then(|x| x.to_str()) {
                        Some("idx") => idx_files.push(p),
                        Some("promisor") => self.promisor = true,
                        _ => {}
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(pack_dir, e)),
        }
        idx_files.sort();
        let midx_path = pack_dir.join("multi-pack-index");
        let mut covered = Vec::new();
        if midx_path.is_file() {
            let midx = pack::multi_index::File::at(&midx_path, None)
                .map_err(|e| index_err(&midx_path, e))?;
            let midx_id = self.midx.len() as u32;
            for (p, name) in midx.index_names().iter().enumerate() {
                let idx = pack_dir.join(name);
                covered.push(idx.clone());
                self.paths.push(idx.with_extension("pack"));
                self.lookups.push(PackLookup::Midx {
                    midx: midx_id,
                    pack: p as u32,
                });
            }
            self.order.push(IndexFile::Midx(midx_id));
            self.midx.push(midx);
        }
        for idx_path in idx_files {
            if covered.contains(&idx_path) {
                continue;
            }
            let idx = pack::index::File::at(&idx_path, gix::hash::Kind::Sha1)
                .map_err(|e| index_err(&idx_path, e))?;
            self.order.push(IndexFile::Idx(self.paths.len() as u32));
            self.paths.push(idx_path.with_extension("pack"));
            self.lookups.push(PackLookup::Idx(Box::new(Idx::new(idx))));
        }
        Ok(())
    }

    /// Pack `id` as opened.
    pub fn file(&self, id: u32) -> Option<&OpenedPack> {
        self.files.get(id as usize)
    }

    /// Offset of `id` inside pack `pack_id`, if that pack has it.
    pub fn find_in_pack(&self, pack_id: u32, id: &gix::oid) -> Option<u64> {
        match self.lookups.get(pack_id as usize)? {
            PackLookup::Idx(idx) => idx.find_entry(id).map(|i| idx.file.pack_offset_at_index(i)),
            PackLookup::Midx { midx, pack } => {
                let midx = self.midx.get(*midx as usize)?;
                let i = midx.lookup(id)?;
                match midx.pack_id_and_pack_offset_at_index(i) {
                    Ok((mp, ofs)) if mp == *pack => Some(ofs),
                    _ => None,
                }
            }
        }
    }

    /// Pack and offset of `id` in the first index that has it.
    pub fn find(&self, id: &gix::oid) -> Option<(u32, u64)> {
        let mut tried_midx = None;
        for (i, lookup) in self.lookups.iter().enumerate() {
            match lookup {
                PackLookup::Idx(idx) => {
                    if let Some(k) = idx.find_entry(id) {
                        return Some((i as u32, idx.file.pack_offset_at_index(k)));
                    }
                }
                PackLookup::Midx { midx, pack } => {
                    if tried_midx == Some(*midx) {
                        continue;
                    }
                    tried_midx = Some(*midx);
                    let file = self.midx.get(*midx as usize)?;
                    if let Some(k) = file.lookup(id) {
                        let (mp, ofs) = file.pack_id_and_pack_offset_at_index(k).ok()?;
                        // This midx's packs are consecutive, starting at
                        // `i - pack`.
                        let at = (i as u32).checked_sub(*pack)?.checked_add(mp)?;
                        return match self.lookups.get(at as usize) {
                            Some(PackLookup::Midx { midx: m, .. }) if m == midx => Some((at, ofs)),
                            _ => None,
                        };
                    }
                }
            }
        }
        None
    }

    /// Locates the ids `want(0..found.len())`, sorted ascending, by one
    /// merge-join per index file (one linear pass each, nothing
    /// materialised), in lookup order: `found[j]` becomes the pack and
    /// offset of `want(j)`. Returns, per index file consulted, its path and
    /// how many ids it resolved.
    pub fn locate_sorted(
        &self,
        want: impl Fn(usize) -> ObjectId,
        found: &mut [Option<(u32, u64)>],
    ) -> Result<Vec<(PathBuf, u64)>> {
        let mut per_file = Vec::with_capacity(self.order.len());
        for index in &self.order {
            match *index {
                IndexFile::Midx(m) => {
                    let Some(midx) = self.midx.get(m as usize) else {
                        continue;
                    };
                    // Pack ids of this midx start where its first pack was
                    // registered.
                    let base = self
                        .lookups
                        .iter()
                        .position(|l| matches!(l, PackLookup::Midx { midx, .. } if *midx == m))
                        .unwrap_or(0) as u32;
                    let num_packs = midx.num_indices();
                    let path = midx.path().to_owned();
                    let n = guarded(&path, || {
                        merge_join(
                            &want,
                            found,
                            midx.num_objects(),
                            |i| midx.oid_at_index(i).to_owned(),
                            |i| {
                                let (p, offset) = midx
                                    .pack_id_and_pack_offset_at_index(i)
                                    .map_err(|e| e.to_string())?;
                                if p >= num_packs {
                                    return Err(format!("pack id {p} out of range"));
                                }
                                Ok((base + p, offset))
                            },
                        )
                    })?;
                    per_file.push((path, n));
                }
                IndexFile::Idx(pack_id) => {
                    let Some(PackLookup::Idx(idx)) = self.lookups.get(pack_id as usize) else {
                        continue;
                    };
                    let idx = &idx.file;
                    let path = idx.path().to_owned();
                    let n = guarded(&path, || {
                        merge_join(
                            &want,
                            found,
                            idx.num_objects(),
                            |i| idx.oid_at_index(i).to_owned(),
                            |i| Ok((pack_id, idx.pack_offset_at_index(i))),
                        )
                    })?;
                    per_file.push((path, n));
                }
            }
        }
        Ok(per_file)
    }

    /// Path of the loose object file for `id` in object directory `dir`.
    pub fn loose_path(&self, id: &ObjectId, dir: u32) -> PathBuf {
        let hex = id.to_string();
        let base = self
            .object_dirs
            .get(dir as usize)
            .map_or(Path::new(""), |d| d.as_path());
        base.join(&hex[..2]).join(&hex[2..])
    }
}

/// The object directory and, recursively, its alternates
/// (`objects/info/alternates`: one directory per line, relative paths
/// relative to the object directory), each once, at most 64 of them.
fn object_dirs(objects_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = vec![objects_dir.to_owned()];
    let mut i = 0;
    while i < dirs.len() {
        let file = dirs[i].join("info").join("alternates");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(&file, e)),
        };
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let alt = dirs[i].join(line);
            let alt = alt.canonicalize().unwrap_or(alt);
            if !dirs.contains(&alt) && dirs.len() < 64 {
                dirs.push(alt);
            }
        }
        i += 1;
    }
    Ok(dirs)
}
