//! Mapping: unique blob id → where its bytes live.
//!
//! Uses the multi-pack-index (`objects/pack/multi-pack-index`) when present,
//! plus the `.idx` of every pack it does not cover; otherwise each pack's
//! `.idx` (in file-name order, so the result is deterministic). Each index is
//! joined against the sorted unique ids by a streaming merge-join (both sides
//! are sorted by id; one linear pass each, nothing materialised). Ids not in
//! any pack are looked up as loose objects (`objects/xx/yyyy…`); ids found
//! nowhere are [`Location::Missing`] (in a partial clone the promisor remote
//! has them) and the scan becomes `Partial`.
//!
//! Object directories listed in `objects/info/alternates` (recursively) are
//! searched after the repository's own, in the same way.
//!
//! Invariants: `locations[i]` belongs to `uniques[i]`; a pack id indexes
//! [`Mapping::packs`]; the first index (per object directory: MIDX first,
//! then `.idx` by name) that has an object wins.

use crate::git::dedupe::Unique;
use crate::git::error::{Error, Result};
use crate::git::metrics::{StageMetrics, StageTimer};
use gix::ObjectId;
use gix::odb::pack;
use std::path::{Path, PathBuf};

/// Where an object's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Packed {
        pack: u32,
        offset: u64,
    },
    /// A loose object in object directory `dir` (see [`Mapping::object_dirs`]).
    Loose {
        dir: u32,
    },
    Missing,
}

/// How to find an object inside one pack (for ref-delta bases).
enum PackLookup {
    /// Covered by multi-pack-index `midx` under its pack id `pack`.
    Midx {
        midx: u32,
        pack: u32,
    },
    Idx(Box<pack::index::File>),
}

/// The mapping stage's result.
pub struct Mapping {
    /// `.pack` files, indexed by pack id.
    pub packs: Vec<PathBuf>,
    lookups: Vec<PackLookup>,
    midx: Vec<pack::multi_index::File>,
    pub locations: Vec<Location>,
    /// The repository is a partial clone (has `.promisor` packs).
    pub promisor: bool,
    /// The object directory, then its alternates; `Loose { dir }` indexes it.
    pub object_dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping")
            .field("packs", &self.packs)
            .field(
                "midx",
                &self
                    .midx
                    .iter()
                    .map(|m| m.path().to_owned())
                    .collect::<Vec<_>>(),
            )
            .field("locations", &self.locations.len())
            .field("promisor", &self.promisor)
            .finish_non_exhaustive()
    }
}

impl Mapping {
    /// Offset of `id` inside pack `pack`, if that pack has it.
    pub fn find_in_pack(&self, pack_id: u32, id: &gix::oid) -> Option<u64> {
        match self.lookups.get(pack_id as usize)? {
            PackLookup::Idx(idx) => idx.lookup(id).map(|i| idx.pack_offset_at_index(i)),
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
                    if let Some(k) = idx.lookup(id) {
                        return Some((i as u32, idx.pack_offset_at_index(k)));
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

fn index_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Index {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Merge-join: for every unresolved unique id present in the index, record
/// its location. `oid_at(i)` must be sorted ascending over `0..n`.
fn merge_join(
    uniques: &[Unique],
    locations: &mut [Location],
    n: u32,
    oid_at: impl Fn(u32) -> ObjectId,
    mut locate: impl FnMut(u32) -> std::result::Result<Location, String>,
) -> std::result::Result<u64, String> {
    let (mut i, mut j, mut found) = (0u32, 0usize, 0u64);
    while i < n && j < uniques.len() {
        let id = oid_at(i);
        match id.cmp(&uniques[j].oid) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if locations[j] == Location::Missing {
                    locations[j] = locate(i)?;
                    found += 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    Ok(found)
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

fn count_index(m: &mut StageMetrics, found: u64, path: &Path) {
    m.cache_hits += found;
    m.bytes_in += std::fs::metadata(path).map(|md| md.len()).unwrap_or(0);
}

/// Maps every unique blob to a pack offset, a loose object, or missing.
pub fn map(objects_dir: &Path, uniques: &[Unique], m: &mut StageMetrics) -> Result<Mapping> {
    let timer = StageTimer::start();
    let mut mapping = Mapping {
        packs: Vec::new(),
        lookups: Vec::new(),
        midx: Vec::new(),
        locations: vec![Location::Missing; uniques.len()],
        promisor: false,
        object_dirs: object_dirs(objects_dir)?,
    };
    m.items_in = uniques.len() as u64;
    for dir in mapping.object_dirs.clone() {
        map_packs(&dir.join("pack"), uniques, &mut mapping, m)?;
    }
    for (u, loc) in uniques.iter().zip(mapping.locations.iter_mut()) {
        if *loc == Location::Missing {
            let hex = u.oid.to_string();
            let found = mapping
                .object_dirs
                .iter()
                .position(|d| d.join(&hex[..2]).join(&hex[2..]).is_file());
            if let Some(dir) = found {
                *loc = Location::Loose { dir: dir as u32 };
            }
        }
    }
    m.items_out = mapping
        .locations
        .iter()
        .filter(|l| **l != Location::Missing)
        .count() as u64;
    m.cache_misses = m.items_in - m.items_out;
    timer.finish(m);
    Ok(mapping)
}

/// The object directory and, recursively, its alternates
/// (`objects/info/alternates`: one directory per line, relative paths
/// relative to the object directory), each once, at most 5 levels deep.
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

/// Maps through one pack directory: its multi-pack-index, then the `.idx`
/// files it does not cover, in name order.
fn map_packs(
    pack_dir: &Path,
    uniques: &[Unique],
    mapping: &mut Mapping,
    m: &mut StageMetrics,
) -> Result<()> {
    let mut idx_files = Vec::new();
    match std::fs::read_dir(pack_dir) {
        Ok(rd) => {
            for e in rd {
                let p = e.map_err(|e| Error::io(pack_dir, e))?.path();
                match p.extension().and_then(|x| x.to_str()) {
                    Some("idx") => idx_files.push(p),
                    Some("promisor") => mapping.promisor = true,
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
        let midx =
            pack::multi_index::File::at(&midx_path, None).map_err(|e| index_err(&midx_path, e))?;
        let (base, midx_id) = (mapping.packs.len() as u32, mapping.midx.len() as u32);
        for (p, name) in midx.index_names().iter().enumerate() {
            let idx = pack_dir.join(name);
            covered.push(idx.clone());
            mapping.packs.push(idx.with_extension("pack"));
            mapping.lookups.push(PackLookup::Midx {
                midx: midx_id,
                pack: p as u32,
            });
        }
        let num_packs = midx.num_indices();
        let found = guarded(&midx_path, || {
            merge_join(
                uniques,
                &mut mapping.locations,
                midx.num_objects(),
                |i| midx.oid_at_index(i).to_owned(),
                |i| {
                    let (p, offset) = midx
                        .pack_id_and_pack_offset_at_index(i)
                        .map_err(|e| e.to_string())?;
                    if p >= num_packs {
                        return Err(format!("pack id {p} out of range"));
                    }
                    Ok(Location::Packed {
                        pack: base + p,
                        offset,
                    })
                },
            )
        })?;
        count_index(m, found, &midx_path);
        mapping.midx.push(midx);
    }
    for idx_path in idx_files {
        if covered.contains(&idx_path) {
            continue;
        }
        let idx = pack::index::File::at(&idx_path, gix::hash::Kind::Sha1)
            .map_err(|e| index_err(&idx_path, e))?;
        let pack_id = mapping.packs.len() as u32;
        let found = guarded(&idx_path, || {
            merge_join(
                uniques,
                &mut mapping.locations,
                idx.num_objects(),
                |i| idx.oid_at_index(i).to_owned(),
                |i| {
                    Ok(Location::Packed {
                        pack: pack_id,
                        offset: idx.pack_offset_at_index(i),
                    })
                },
            )
        })?;
        count_index(m, found, &idx_path);
        mapping.packs.push(idx_path.with_extension("pack"));
        mapping.lookups.push(PackLookup::Idx(Box::new(idx)));
    }
    Ok(())
}
