//! Plan: what to decode, where, in which order.
//!
//! Groups the located blobs by pack and memory-maps only the packs that
//! hold at least one of them (memmap2). For each pack it walks every
//! target's delta chain through the entry headers (never inflating) and
//! records the [`Step`]s: targets plus the delta bases they need, each base
//! with the number of steps that use it directly (so exec can drop a base
//! from its cache after its last use). The steps are cut into chunks so
//! workers can share the load and the base cache stays small — about four
//! per worker, at most [`MAX_CHUNK_STEPS`] steps each — without ever
//! splitting a delta family (the
//! entries descending from one base object), so no entry is decoded twice.
//! Each chunk is in ascending offset order. Loose objects form their own
//! chunks.
//!
//! Bad input is confined to the blob it affects: an unreadable pack, an entry
//! header past the end, an ofs-delta pointing at itself or before the pack
//! start, a ref-delta whose base is not in the pack, a cycle or a chain longer
//! than [`MAX_CHAIN`] make that blob [`Skipped`] with the reason.

use crate::git::dedupe::Unique;
use crate::git::mapping::{Location, Mapping};
use crate::git::metrics::{StageMetrics, StageTimer};
use crate::git::table_hash::{TableHasher, TableHashing, TableMap};
use crate::git::{SkipReason, Skipped};
use gix::odb::pack;
use memmap2::Mmap;
use std::path::Path;

/// Longest delta chain followed (git's own default depth is 50, max 4095).
pub const MAX_CHAIN: usize = 10_000;

/// Most steps in one chunk (whole delta families are never split, so a
/// chunk can exceed it by one family).
pub const MAX_CHUNK_STEPS: usize = 4096;

/// One entry to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub offset: u64,
    /// Index into the unique blobs if this entry is delivered to the sink.
    pub deliver: Option<u32>,
    /// How many steps of the chunk use this entry as their direct base.
    pub uses: u32,
}

/// A unit of work for one worker.
#[derive(Debug)]
pub enum Chunk {
    /// Steps in one pack, ascending offsets, each offset once.
    Pack { pack: u32, steps: Vec<Step> },
    /// Loose objects: (index into the unique blobs, object directory).
    Loose(Vec<(u32, u32)>),
}

/// The plan handed to exec.
#[derive(Debug, Default)]
pub struct Plan {
    /// Memory maps of the used packs, by pack id (`None`: unused).
    pub packs: Vec<Option<Mmap>>,
    pub chunks: Vec<Chunk>,
    /// Blobs that cannot be decoded, with the reason.
    pub skipped: Vec<Skipped>,
}

/// The header of the pack entry at `offset` of pack bytes `data`, checked to
/// lie inside the pack's entries, or why it cannot be read.
///
/// Public for the stage microbenchmarks, which take their inflate and delta
/// inputs from real pack entries.
pub fn entry_at(data: &[u8], offset: u64) -> Result<pack::data::Entry, String> {
    let start = usize::try_from(offset).map_err(|_| format!("offset {offset} out of range"))?;
    // The trailing 20-byte checksum is never part of an entry.
    let end = data.len().saturating_sub(20);
    if start < 12 || start >= end {
        return Err(format!(
            "entry offset {offset} is outside the pack's entries (pack has {} bytes)",
            data.len()
        ));
    }
    pack::data::Entry::from_bytes(&data[start..end], offset, gix::hash::Kind::Sha1)
        .map_err(|e| format!("corrupt entry header at offset {offset}: {e}"))
}

/// The direct base offset of a delta entry, `Ok(None)` for a base object.
pub(crate) fn base_of(
    entry: &pack::data::Entry,
    pack_id: u32,
    mapping: &Mapping,
) -> Result<Option<u64>, String> {
    let offset = entry.pack_offset();
    match entry.header {
        pack::data::entry::Header::OfsDelta { base_distance } => {
            pack::data::entry::Header::verified_base_pack_offset(offset, base_distance).map(Some).ok_or_else(|| {
                format!("ofs-delta at offset {offset} points at itself or before the pack start (distance {base_distance})")
            })
        }
        pack::data::entry::Header::RefDelta { base_id } => match mapping.find_in_pack(pack_id, &base_id) {
            Some(b) if b == offset => Err(format!("ref-delta at offset {offset} names itself as base")),
            Some(b) => Ok(Some(b)),
            None => Err(format!("ref-delta at offset {offset}: base {base_id} is not in this pack")),
        },
        _ => Ok(None),
    }
}

fn corrupt(oid: gix::ObjectId, file: &Path, offset: Option<u64>, message: String) -> Skipped {
    Skipped {
        oid,
        reason: SkipReason::Corrupt {
            file: file.to_owned(),
            offset,
            message,
        },
    }
}

/// Builds the plan. `threads` only shapes the chunking; `hashing` seeds the
/// table of steps (keyed by pack offsets, which the repository chooses) and
/// never changes the plan.
pub fn plan(
    mapping: &Mapping,
    uniques: &[Unique],
    threads: usize,
    hashing: TableHashing,
    m: &mut StageMetrics,
) -> Plan {
    let timer = StageTimer::start();
    let mut by_pack: Vec<Vec<(u64, u32)>> = vec![Vec::new(); mapping.packs.len()];
    let mut loose = Vec::new();
    let mut out = Plan::default();
    for (i, (u, loc)) in uniques.iter().zip(&mapping.locations).enumerate() {
        match *loc {
            Location::Packed { pack, offset } => {
                if let Some(v) = by_pack.get_mut(pack as usize) {
                    v.push((offset, i as u32));
                }
            }
            Location::Loose { dir } => loose.push((i as u32, dir)),
            Location::Missing => out.skipped.push(Skipped {
                oid: u.oid,
                reason: SkipReason::Missing {
                    promisor: mapping.promisor,
                },
            }),
        }
    }
    m.items_in = uniques.len() as u64;
    let total: usize = by_pack.iter().map(Vec::len).sum::<usize>() + loose.len();
    // PERF: chunks stay small even with one worker. A base stays cached
    // until its last planned user is decoded, and delta families interleave
    // across the whole pack, so one pack-wide chunk kept a base of nearly
    // every family pending, overflowed the base cache and re-inflated delta
    // chains: exec took 2.19 s single-threaded on a 20000-commit synthetic
    // repository (110k blobs) against 0.67 s with 2 threads' smaller chunks.
    let chunk_len = total
        .div_ceil(threads.max(1) * 4)
        .clamp(64, MAX_CHUNK_STEPS);
    for (pack_id, mut targets) in by_pack.into_iter().enumerate() {
        if targets.is_empty() {
            out.packs.push(None);
            continue;
        }
        let path = &mapping.packs[pack_id];
        let map = match open_pack(path) {
            Ok(map) => map,
            Err(message) => {
                for (_, u) in targets {
                    out.skipped.push(corrupt(
                        uniques[u as usize].oid,
                        path,
                        None,
                        message.clone(),
                    ));
                }
                out.packs.push(None);
                continue;
            }
        };
        m.bytes_in += map.len() as u64;
        targets.sort_unstable();
        let steps = pack_steps(
            hashing,
            &map,
            pack_id as u32,
            mapping,
            &targets,
            uniques,
            path,
            &mut out.skipped,
        );
        m.items_out += steps.len() as u64;
        for steps in split_families(steps, chunk_len) {
            out.chunks.push(Chunk::Pack {
                pack: pack_id as u32,
                steps,
            });
        }
        out.packs.push(Some(map));
    }
    for part in loose.chunks(chunk_len.min(loose.len()).max(1)) {
        m.items_out += part.len() as u64;
        out.chunks.push(Chunk::Loose(part.to_vec()));
    }
    // Big chunks first: better balance across workers.
    out.chunks.sort_by_key(|c| {
        std::cmp::Reverse(match c {
            Chunk::Pack { steps, .. } => steps.len(),
            Chunk::Loose(v) => v.len(),
        })
    });
    timer.finish(m);
    out
}

pub(crate) fn open_pack(path: &Path) -> Result<Mmap, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open pack: {e}"))?;
    // SAFETY: the pack is mapped read-only; git never rewrites a pack in
    // place (it writes a new one and renames), so the mapping stays valid.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| format!("cannot map pack: {e}"))?;
    if map.len() < 32 || &map[..4] != b"PACK" {
        return Err("not a pack file (bad signature or truncated header)".into());
    }
    let version = u32::from_be_bytes([map[4], map[5], map[6], map[7]]);
    if version != 2 && version != 3 {
        return Err(format!("unsupported pack version {version}"));
    }
    Ok(map)
}

/// Splits a pack's steps into chunks of about `chunk_len` steps without
/// splitting a delta family (entries sharing the same chain root), so no
/// entry is decoded by two workers. Each chunk is in ascending offset order.
// PERF: cutting chunks by target offset instead made chunks re-decode the
// bases below them: 46725 entries inflated instead of 26987 and exec 417 ms
// instead of 171 ms (2 threads, 6000-commit synthetic repository).
fn split_families(steps: TableMap<u64, (Step, u64)>, chunk_len: usize) -> Vec<Vec<Step>> {
    let mut all: Vec<(u64, Step)> = steps.into_values().map(|(s, root)| (root, s)).collect();
    all.sort_unstable_by_key(|(root, s)| (*root, s.offset));
    let mut chunks = Vec::new();
    let mut cur: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let root = all[i].0;
        while i < all.len() && all[i].0 == root {
            cur.push(all[i].1);
            i += 1;
        }
        if cur.len() >= chunk_len {
            cur.sort_unstable_by_key(|s| s.offset);
            chunks.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        cur.sort_unstable_by_key(|s| s.offset);
        chunks.push(cur);
    }
    chunks
}

/// Walks the delta chain of every target of one pack; returns each planned
/// entry with the offset of its chain's root (the base object it descends
/// from).
#[expect(
    clippy::too_many_arguments,
    reason = "one pack's inputs, each used once; a struct would only rename them"
)]
fn pack_steps(
    hashing: TableHashing,
    data: &[u8],
    pack_id: u32,
    mapping: &Mapping,
    targets: &[(u64, u32)],
    uniques: &[Unique],
    path: &Path,
    skipped: &mut Vec<Skipped>,
) -> TableMap<u64, (Step, u64)> {
    // The iteration order of this table only reaches `split_families`, which
    // sorts by (root, offset), unique per step: the plan is the same
    // whatever the hasher.
    let mut steps: TableMap<u64, (Step, u64)> =
        TableMap::with_capacity_and_hasher(targets.len(), TableHasher::new(hashing));
    let mut chain = Vec::new();
    'targets: for &(offset, u) in targets {
        chain.clear();
        let mut cur = offset;
        let mut went_up = false;
        // Walk down until a base object or an entry already planned.
        loop {
            if chain.len() > MAX_CHAIN {
                let msg = format!(
                    "delta chain from offset {offset} is longer than {MAX_CHAIN} (or cyclic)"
                );
                skipped.push(corrupt(uniques[u as usize].oid, path, Some(offset), msg));
                continue 'targets;
            }
            // Ofs-deltas strictly descend; only an upward ref-delta can cycle.
            if went_up && chain.contains(&cur) {
                let msg = format!("delta chain from offset {offset} cycles at offset {cur}");
                skipped.push(corrupt(uniques[u as usize].oid, path, Some(offset), msg));
                continue 'targets;
            }
            chain.push(cur);
            if steps.contains_key(&cur) {
                break;
            }
            let base = entry_at(data, cur).and_then(|e| base_of(&e, pack_id, mapping));
            match base {
                Ok(Some(b)) => {
                    went_up |= b > cur;
                    cur = b;
                }
                Ok(None) => break,
                Err(msg) => {
                    skipped.push(corrupt(uniques[u as usize].oid, path, Some(cur), msg));
                    continue 'targets;
                }
            }
        }
        // chain = [target, base, base-of-base, …]. All but the last entry
        // are newly planned (the walk stops at the first planned one), so
        // each new entry's use of its base is counted exactly once.
        let last = chain.last().copied().unwrap_or(offset);
        let root = steps.get(&last).map_or(last, |(_, r)| *r);
        for &o in &chain {
            steps.entry(o).or_insert((
                Step {
                    offset: o,
                    deliver: None,
                    uses: 0,
                },
                root,
            ));
        }
        if let Some((step, _)) = steps.get_mut(&offset) {
            step.deliver = Some(u);
        }
        for w in chain.windows(2) {
            if let Some((s, _)) = steps.get_mut(&w[1]) {
                s.uses += 1;
            }
        }
    }
    steps
}
