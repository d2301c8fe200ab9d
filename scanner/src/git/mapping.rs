//! Mapping: unique blob id → where its bytes live.
//!
//! Joins the sorted unique ids against the scan's pack indexes
//! ([`crate::git::odb::Packs`]: multi-pack-index first, then the `.idx`
//! files it does not cover, for the object directory and then each
//! alternate), one streaming merge-join per index. Ids in no pack are looked
//! up as loose objects (`objects/xx/yyyy…`, in each object directory); ids
//! found nowhere are [`Location::Missing`] (in a partial clone the promisor
//! remote has them) and the scan becomes `Partial`.
//!
//! Invariant: `locations[i]` belongs to `uniques[i]`.

use crate::git::dedupe::Unique;
use crate::git::error::Result;
use crate::git::metrics::StageMetrics;
use crate::git::odb::Packs;

/// Where an object's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// At `offset` of pack id `pack` (see [`Packs::paths`]).
    Packed {
        pack: u32,
        offset: u64,
    },
    /// A loose object in object directory `dir` (see [`Packs::object_dirs`]).
    Loose {
        dir: u32,
    },
    Missing,
}

/// The mapping stage's result.
#[derive(Debug)]
pub struct Mapping {
    pub locations: Vec<Location>,
}

/// Maps every unique blob to a pack offset, a loose object, or missing.
pub fn map(packs: &Packs, uniques: &[Unique], m: &mut StageMetrics) -> Result<Mapping> {
    m.items_in = uniques.len() as u64;
    let mut found = vec![None; uniques.len()];
    for (path, n) in packs.locate_sorted(|j| uniques[j].oid, &mut found)? {
        m.cache_hits += n;
        m.bytes_in += std::fs::metadata(&path).map(|md| md.len()).unwrap_or(0);
    }
    let locations: Vec<Location> = uniques
        .iter()
        .zip(found)
        .map(|(u, f)| match f {
            Some((pack, offset)) => Location::Packed { pack, offset },
            None => {
                let hex = u.oid.to_string();
                packs
                    .object_dirs
                    .iter()
                    .position(|d| d.join(&hex[..2]).join(&hex[2..]).is_file())
                    .map_or(Location::Missing, |dir| Location::Loose { dir: dir as u32 })
            }
        })
        .collect();
    m.items_out = locations
        .iter()
        .filter(|l| **l != Location::Missing)
        .count() as u64;
    m.cache_misses = m.items_in - m.items_out;
    Ok(Mapping { locations })
}
