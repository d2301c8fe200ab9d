//! Plan: what to decode, where, in which order.
//!
//! Groups the located blobs by pack. For each pack (mapped once, by
//! [`Packs`]) it walks every target's delta chain through the entry headers
//! with the pack component's [`ChainWalk`] (never inflating) and
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
//! than the chain limit make that blob [`Skipped`] with the reason.

use crate::git::dedupe::Unique;
use crate::git::mapping::{Location, Mapping};
use crate::git::metrics::StageMetrics;
use crate::git::odb::{ChainWalk, DecodeError, MAX_CHAIN, PackFile, Packs};
use crate::git::table_hash::{TableHasher, TableHashing, TableMap};
use crate::git::{SkipReason, Skipped};
use std::path::Path;

/// Most steps in one chunk (whole delta families are never split, so a
/// chunk can exceed it by one family).
pub const MAX_CHUNK_STEPS: usize = 4096;

/// One entry to decode. 24 bytes: the plan lives through exec, one step per
/// target and per delta base (with `Option` fields it was 40, 10 MiB more
/// on git.git's 600 k steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub offset: u64,
    /// The direct delta base's offset, or [`Step::NONE64`].
    base: u64,
    /// Index into the unique blobs, or [`Step::NONE32`].
    deliver: u32,
    /// How many steps of the chunk use this entry as their direct base.
    pub uses: u32,
}

impl Step {
    const NONE64: u64 = u64::MAX;
    const NONE32: u32 = u32::MAX;

    fn new(offset: u64, base: Option<u64>) -> Step {
        Step {
            offset,
            base: base.unwrap_or(Step::NONE64),
            deliver: Step::NONE32,
            uses: 0,
        }
    }

    /// The entry's direct delta base (a step of the same chunk), if it is a
    /// delta. (No pack offset reaches `u64::MAX`: the pack would be larger
    /// than any file.)
    pub fn base(&self) -> Option<u64> {
        (self.base != Step::NONE64).then_some(self.base)
    }

    /// Index into the unique blobs if this entry is delivered to the sink.
    /// (At most `u32::MAX - 1` blobs are indexed: dedupe's ids are `u32`.)
    pub fn deliver(&self) -> Option<u32> {
        (self.deliver != Step::NONE32).then_some(self.deliver)
    }
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
    pub chunks: Vec<Chunk>,
    /// Blobs that cannot be decoded, with the reason.
    pub skipped: Vec<Skipped>,
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
    packs: &Packs,
    mapping: &Mapping,
    uniques: &[Unique],
    threads: usize,
    hashing: TableHashing,
    m: &mut StageMetrics,
) -> Plan {
    let mut by_pack: Vec<Vec<(u64, u32)>> = vec![Vec::new(); packs.paths.len()];
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
                    promisor: packs.promisor,
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
    let mut links = Vec::new();
    for (pack_id, mut targets) in by_pack.into_iter().enumerate() {
        if targets.is_empty() {
            continue;
        }
        let path = &packs.paths[pack_id];
        let pack = match packs.file(pack_id as u32) {
            Some(Ok(pack)) => pack,
            Some(Err(message)) => {
                for (_, u) in targets {
                    out.skipped.push(corrupt(
                        uniques[u as usize].oid,
                        path,
                        None,
                        message.clone(),
                    ));
                }
                continue;
            }
            None => continue,
        };
        m.bytes_in += pack.data().len() as u64;
        targets.sort_unstable();
        let steps = pack_steps(
            hashing,
            pack,
            packs,
            &targets,
            uniques,
            &mut links,
            &mut out.skipped,
        );
        m.items_out += steps.len() as u64;
        for steps in split_families(steps, chunk_len) {
            out.chunks.push(Chunk::Pack {
                pack: pack_id as u32,
                steps,
            });
        }
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
    out
}

/// Splits a pack's steps into chunks of about `chunk_len` steps without
/// splitting a delta family (entries sharing the same chain root), so no
/// entry is decoded by two workers. Each chunk is in ascending offset order.
// PERF: cutting chunks by target offset instead made chunks re-decode the
// bases below them: 46725 entries inflated instead of 26987 and exec 417 ms
// instead of 171 ms (2 threads, 6000-commit synthetic repository).
fn split_families(steps: TableMap<u64, (Step, u64, u32)>, chunk_len: usize) -> Vec<Vec<Step>> {
    let mut all: Vec<(u64, Step)> = steps.into_values().map(|(s, root, _)| (root, s)).collect();
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
            // The plan lives through exec: a chunk grown by doubling holds
            // up to twice its steps.
            cur.shrink_to_fit();
            chunks.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        cur.sort_unstable_by_key(|s| s.offset);
        cur.shrink_to_fit();
        chunks.push(cur);
    }
    chunks
}

/// Walks the delta chain of every target of one pack; returns each planned
/// entry with the offset of its chain's root (the base object it descends
/// from).
fn pack_steps(
    hashing: TableHashing,
    pack: &PackFile,
    packs: &Packs,
    targets: &[(u64, u32)],
    uniques: &[Unique],
    links: &mut Vec<crate::git::odb::Link>,
    skipped: &mut Vec<Skipped>,
) -> TableMap<u64, (Step, u64, u32)> {
    // The iteration order of this table only reaches `split_families`, which
    // sorts by (root, offset), unique per step: the plan is the same
    // whatever the hasher.
    // Each planned entry: its step, its chain's root and its depth (links
    // from it down to the base object, itself included).
    let mut steps: TableMap<u64, (Step, u64, u32)> =
        TableMap::with_capacity_and_hasher(targets.len(), TableHasher::new(hashing));
    let mut chain: Vec<u64> = Vec::new();
    for &(offset, u) in targets {
        // Walk down until a base object or an entry already planned.
        let mut walk = ChainWalk::new(pack, packs, offset, links);
        let stop = loop {
            match walk.next_offset() {
                None => break Ok(None),
                Some(cur) if steps.contains_key(&cur) => break Ok(Some(cur)),
                Some(_) => {
                    if let Err(e) = walk.advance() {
                        break Err(e);
                    }
                }
            }
        };
        let stop = match stop {
            Ok(stop) => stop,
            Err(e) => {
                let oid = uniques[u as usize].oid;
                skipped.push(corrupt(oid, &pack.path, Some(e.offset()), e.to_string()));
                continue;
            }
        };
        // chain = [target, base, base-of-base, …], ending at a base object
        // or at the first entry already planned; all before it are new, so
        // each new entry's use of its base is counted exactly once.
        let walked = walk.links().len();
        // The chain's depth counts the planned part below the walk too, so
        // the limit does not depend on which other blobs the scan plans.
        let below = stop
            .and_then(|s| steps.get(&s))
            .map_or(0, |(_, _, d)| *d as usize);
        if walked + below > MAX_CHAIN {
            let oid = uniques[u as usize].oid;
            let e = DecodeError::TooDeep { start: offset };
            skipped.push(corrupt(oid, &pack.path, Some(offset), e.to_string()));
            continue;
        }
        chain.clear();
        chain.extend(walk.links().iter().map(|l| l.offset));
        chain.extend(stop);
        let last = chain.last().copied().unwrap_or(offset);
        let root = steps.get(&last).map_or(last, |(_, r, _)| *r);
        for (i, &o) in chain.iter().enumerate() {
            steps.entry(o).or_insert((
                Step::new(o, chain.get(i + 1).copied()),
                root,
                (below + walked - i) as u32,
            ));
        }
        if let Some((step, _, _)) = steps.get_mut(&offset) {
            step.deliver = u;
        }
        for w in chain.windows(2) {
            if let Some((s, _, _)) = steps.get_mut(&w[1]) {
                s.uses += 1;
            }
        }
    }
    steps
}
