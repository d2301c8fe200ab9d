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
//! Invariants: `locations[i]` belongs to `uniques[i]`; a pack id indexes
//! [`Mapping::packs`]; the first index (MIDX first, then `.idx` by name) that
//! has an object wins.

use crate::git::dedupe::Unique;
use crate::git::error::{Error, Result};
use crate::git::metrics::{StageMetrics, StageTimer};
use gix::ObjectId;
use gix::odb::pack;
use std::path::{Path, PathBuf};

/// Where an object's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Packed { pack: u32, offset: u64 },
    Loose,
    Missing,
}

/// How to find an object inside one pack (for ref-delta bases).
enum PackLookup {
    /// Covered by the multi-pack-index under this pack id.
    Midx(u32),
    Idx(Box<pack::index::File>),
}

/// The mapping stage's result.
pub struct Mapping {
    /// `.pack` files, indexed by pack id.
    pub packs: Vec<PathBuf>,
    lookups: Vec<PackLookup>,
    midx: Option<pack::multi_index::File>,
    pub locations: Vec<Location>,
    /// The repository is a partial clone (has `.promisor` packs).
    pub promisor: bool,
    pub objects_dir: PathBuf,
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping")
            .field("packs", &self.packs)
            .field("midx", &self.midx.as_ref().map(|m| m.path().to_owned()))
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
            PackLookup::Midx(p) => {
                let midx = self.midx.as_ref()?;
                let i = midx.lookup(id)?;
                match midx.pack_id_and_pack_offset_at_index(i) {
                    Ok((mp, ofs)) if mp == *p => Some(ofs),
                    _ => None,
                }
            }
        }
    }

    /// Path of the loose object file for `id`.
    pub fn loose_path(&self, id: &ObjectId) -> PathBuf {
        let hex = id.to_string();
        self.objects_dir.join(&hex[..2]).join(&hex[2..])
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
    let pack_dir = objects_dir.join("pack");
    let mut idx_files = Vec::new();
    let mut promisor = false;
    match std::fs::read_dir(&pack_dir) {
        Ok(rd) => {
            for e in rd {
                let e = e.map_err(|e| Error::io(&pack_dir, e))?;
                let p = e.path();
                match p.extension().and_then(|x| x.to_str()) {
                    Some("idx") => idx_files.push(p),
                    Some("promisor") => promisor = true,
                    _ => {}
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&pack_dir, e)),
    }
    idx_files.sort();
    let mut mapping = Mapping {
        packs: Vec::new(),
        lookups: Vec::new(),
        midx: None,
        locations: vec![Location::Missing; uniques.len()],
        promisor,
        objects_dir: objects_dir.to_owned(),
    };
    m.items_in = uniques.len() as u64;
    let midx_path = pack_dir.join("multi-pack-index");
    let mut covered = Vec::new();
    if midx_path.is_file() {
        let midx =
            pack::multi_index::File::at(&midx_path, None).map_err(|e| index_err(&midx_path, e))?;
        for (p, name) in midx.index_names().iter().enumerate() {
            let idx = pack_dir.join(name);
            covered.push(idx.clone());
            mapping.packs.push(idx.with_extension("pack"));
            mapping.lookups.push(PackLookup::Midx(p as u32));
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
                    Ok(Location::Packed { pack: p, offset })
                },
            )
        })?;
        count_index(m, found, &midx_path);
        mapping.midx = Some(midx);
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
        m.cache_hits += found;
        m.bytes_in += std::fs::metadata(&idx_path).map(|md| md.len()).unwrap_or(0);
        mapping.packs.push(idx_path.with_extension("pack"));
        mapping.lookups.push(PackLookup::Idx(Box::new(idx)));
    }
    for (u, loc) in uniques.iter().zip(mapping.locations.iter_mut()) {
        if *loc == Location::Missing {
            let hex = u.oid.to_string();
            if objects_dir.join(&hex[..2]).join(&hex[2..]).is_file() {
                *loc = Location::Loose;
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
