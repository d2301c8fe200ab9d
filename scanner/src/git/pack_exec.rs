//! Exec: inflate, resolve deltas, hand blobs to the sinks.
//!
//! Workers (scoped threads, one sink each) take [`Chunk`]s from a shared
//! atomic counter. A pack chunk is walked in ascending offset order: each
//! step is inflated (zlib-rs through `gix::zlib`) and, if it is a delta,
//! applied to its base, which is normally still in the worker's base cache
//! because bases precede their deltas in offset order. A decoded entry is
//! kept in the cache only while planned steps still use it, and only within
//! the cache's byte budget; a base that is not cached is decoded again on
//! demand (a miss). Loose chunks read, inflate and check `objects/xx/…`.
//!
//! Sizes in headers are never trusted: an object whose header size (or a
//! delta's result size) exceeds the maximum blob size is skipped with
//! [`SkipReason::TooLarge`] before anything is allocated for it; inflation
//! must produce exactly the announced size; delta instructions are bounds
//! checked. Corruption of one entry skips the blobs that depend on it.
//!
//! Hot loop buffers (inflate output, delta instructions, chain stack) are
//! owned by the worker and reused; cached bases recycle their vectors.

use crate::git::dedupe::{Paths, Unique};
use crate::git::error::Error;
use crate::git::mapping::Mapping;
use crate::git::metrics::StageMetrics;
use crate::git::plan::{Chunk, MAX_CHAIN, Plan, Step, base_of, entry_at};
use crate::git::repo::{Origin, Selected};
use crate::git::{SkipReason, Skipped};
use crate::sink::{BlobContext, BlobSink, IntroducedBy};
use gix::ObjectId;
use gix::odb::pack;
use gix::zlib::{Decompress, FlushDecompress, Status};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What exec needs to read; shared read-only by all workers.
#[derive(Debug)]
pub struct Shared<'a> {
    pub plan: &'a Plan,
    pub mapping: &'a Mapping,
    pub uniques: &'a [Unique],
    pub selected: &'a Selected,
    pub paths: &'a Paths,
    pub max_blob_size: u64,
    pub base_cache_budget: usize,
}

/// Why decoding one entry failed.
enum Fail {
    TooLarge(u64),
    Corrupt { offset: u64, message: String },
}

/// A worker's result.
#[derive(Debug, Default)]
pub struct WorkerOut {
    pub metrics: StageMetrics,
    pub skipped: Vec<Skipped>,
    pub error: Option<Error>,
}

/// Spare buffers a worker keeps, and the largest capacity it keeps.
const POOL_BUFFERS: usize = 8;
const POOL_MAX_CAPACITY: usize = 1 << 20;

struct Cache {
    map: HashMap<u64, (gix::objs::Kind, Vec<u8>)>,
    bytes: usize,
    budget: usize,
    pool: Vec<Vec<u8>>,
}

impl Cache {
    fn take_buf(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    /// Keeps a spare buffer for reuse, unless the pool is full or the
    /// buffer is large (a big blob's buffer must not outlive it).
    fn recycle(&mut self, v: Vec<u8>) {
        if self.pool.len() < POOL_BUFFERS && v.capacity() <= POOL_MAX_CAPACITY {
            self.pool.push(v);
        }
    }

    fn remove(&mut self, offset: u64) {
        if let Some((_, v)) = self.map.remove(&offset) {
            self.bytes -= v.len();
            self.recycle(v);
        }
    }
}

/// Decoding state of one worker.
struct Decoder {
    inflate: Decompress,
    out: Vec<u8>,
    delta: Vec<u8>,
    chain: Vec<(u64, pack::data::Entry)>,
    cache: Cache,
    max: u64,
}

/// Inflates the zlib stream at the start of `input` into `out`, which must
/// decode to exactly `size` bytes. Returns the compressed bytes consumed.
///
/// Public so that the stage microbenchmarks (`benches/stages*.rs`) can time
/// inflate alone; errors are messages, the caller adds the file and offset.
pub fn inflate_exact(
    z: &mut Decompress,
    input: &[u8],
    size: usize,
    out: &mut Vec<u8>,
) -> Result<u64, String> {
    out.clear();
    // One spare byte detects a stream longer than announced.
    out.resize(size + 1, 0);
    z.reset();
    let status = z
        .decompress(input, out, FlushDecompress::Finish)
        .map_err(|e| format!("inflate failed: {e}"))?;
    let produced = z.total_out() as usize;
    if status != Status::StreamEnd || produced != size {
        return Err(format!(
            "inflate produced {produced}{} bytes, header says {size}",
            if status == Status::StreamEnd {
                ""
            } else {
                "+ (stream not ended)"
            }
        ));
    }
    out.truncate(size);
    Ok(z.total_in())
}

fn varint(d: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *d.get(*pos).ok_or("delta header truncated")?;
        *pos += 1;
        if shift > 63 {
            return Err("delta size varint overflows".into());
        }
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
}

/// The result size announced by a delta's header.
fn delta_result_size(delta: &[u8]) -> Result<u64, String> {
    let mut pos = 0;
    varint(delta, &mut pos)?;
    varint(delta, &mut pos)
}

/// Applies git delta `delta` to `base`, writing the result to `out`.
///
/// Public for the stage microbenchmarks, like [`inflate_exact`].
pub fn apply_delta(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut pos = 0;
    let base_size = varint(delta, &mut pos)?;
    let result_size = varint(delta, &mut pos)?;
    if base_size != base.len() as u64 {
        return Err(format!(
            "delta expects a base of {base_size} bytes, base has {}",
            base.len()
        ));
    }
    let result_size = usize::try_from(result_size).map_err(|_| "delta result too large")?;
    out.clear();
    out.reserve(result_size);
    while pos < delta.len() {
        let cmd = delta[pos];
        pos += 1;
        if cmd & 0x80 != 0 {
            let mut ofs = 0usize;
            let mut len = 0usize;
            for i in 0..4 {
                if cmd & (1 << i) != 0 {
                    ofs |= usize::from(*delta.get(pos).ok_or("delta copy truncated")?) << (8 * i);
                    pos += 1;
                }
            }
            for i in 0..3 {
                if cmd & (0x10 << i) != 0 {
                    len |= usize::from(*delta.get(pos).ok_or("delta copy truncated")?) << (8 * i);
                    pos += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            let src = ofs
                .checked_add(len)
                .and_then(|end| base.get(ofs..end))
                .ok_or("delta copy outside base")?;
            out.extend_from_slice(src);
        } else if cmd != 0 {
            let n = usize::from(cmd);
            let src = delta.get(pos..pos + n).ok_or("delta insert truncated")?;
            out.extend_from_slice(src);
            pos += n;
        } else {
            return Err("delta uses reserved opcode 0".into());
        }
        if out.len() > result_size {
            return Err("delta writes past its announced result size".into());
        }
    }
    if out.len() != result_size {
        return Err(format!(
            "delta produced {} bytes, header says {result_size}",
            out.len()
        ));
    }
    Ok(())
}

impl Decoder {
    fn new(max: u64, budget: usize) -> Self {
        Decoder {
            inflate: Decompress::new(),
            out: Vec::new(),
            delta: Vec::new(),
            chain: Vec::new(),
            cache: Cache {
                map: HashMap::new(),
                bytes: 0,
                budget,
                pool: Vec::new(),
            },
            max,
        }
    }

    fn checked_size(&self, size: u64, slack: u64) -> Result<usize, Fail> {
        if size > self.max.saturating_add(slack) {
            return Err(Fail::TooLarge(size));
        }
        usize::try_from(size).map_err(|_| Fail::TooLarge(size))
    }

    /// Decodes the entry at `offset` into `self.out`; returns its kind.
    fn decode(
        &mut self,
        data: &[u8],
        offset: u64,
        pack_id: u32,
        mapping: &Mapping,
        steps: &[Step],
        m: &mut StageMetrics,
    ) -> Result<gix::objs::Kind, Fail> {
        let corrupt = |offset: u64, message: String| Fail::Corrupt { offset, message };
        self.chain.clear();
        let mut cur = offset;
        // Collect deltas down to a cached entry or a base object.
        let mut went_up = false;
        let kind = loop {
            if self.chain.len() > MAX_CHAIN
                || (went_up && self.chain.iter().any(|(o, _)| *o == cur))
            {
                return Err(corrupt(
                    offset,
                    format!("delta chain from offset {offset} is cyclic or too long"),
                ));
            }
            if let Some((k, bytes)) = self.cache.map.get(&cur)
                && cur != offset
            {
                m.cache_hits += 1;
                self.out.clear();
                self.out.extend_from_slice(bytes);
                break *k;
            }
            if cur != offset {
                m.cache_misses += 1;
            }
            let e = entry_at(data, cur).map_err(|msg| corrupt(cur, msg))?;
            if e.header.is_delta() {
                let base = base_of(&e, pack_id, mapping)
                    .map_err(|msg| corrupt(cur, msg))?
                    .unwrap_or(cur);
                went_up |= base > cur;
                self.chain.push((cur, e));
                cur = base;
                continue;
            }
            let k = e.header.as_kind().unwrap_or(gix::objs::Kind::Blob);
            let size = self.checked_size(e.decompressed_size, 0)?;
            let input = data.get(e.data_offset as usize..).unwrap_or(&[]);
            m.bytes_in += inflate_exact(&mut self.inflate, input, size, &mut self.out)
                .map_err(|msg| corrupt(cur, msg))?;
            m.items_in += 1;
            self.keep(cur, k, steps);
            break k;
        };
        // Apply the deltas, innermost first.
        while let Some((at, e)) = self.chain.pop() {
            // Instructions: at most the result size plus one opcode per 127
            // inserted bytes and the two size headers.
            let size = self.checked_size(e.decompressed_size, self.max / 64 + 64)?;
            let input = data.get(e.data_offset as usize..).unwrap_or(&[]);
            m.bytes_in += inflate_exact(&mut self.inflate, input, size, &mut self.delta)
                .map_err(|msg| corrupt(at, msg))?;
            m.items_in += 1;
            let result = delta_result_size(&self.delta).map_err(|msg| corrupt(at, msg))?;
            self.checked_size(result, 0)?;
            let mut next = self.cache.take_buf();
            apply_delta(&self.out, &self.delta, &mut next).map_err(|msg| corrupt(at, msg))?;
            let prev = std::mem::replace(&mut self.out, next);
            self.cache.recycle(prev);
            self.keep(at, kind, steps);
        }
        Ok(kind)
    }

    /// Caches the just-decoded entry at `offset` if planned steps use it.
    fn keep(&mut self, offset: u64, kind: gix::objs::Kind, steps: &[Step]) {
        let Ok(i) = steps.binary_search_by_key(&offset, |s| s.offset) else {
            return;
        };
        if steps[i].uses == 0 || self.cache.map.contains_key(&offset) {
            return;
        }
        if self.cache.bytes + self.out.len() > self.cache.budget {
            return;
        }
        let mut v = self.cache.take_buf();
        v.clear();
        v.extend_from_slice(&self.out);
        self.cache.bytes += v.len();
        self.cache.map.insert(offset, (kind, v));
    }
}

/// Runs one worker until the chunks are exhausted, `stop` is set, or its
/// sink fails.
pub fn worker<S: BlobSink>(
    shared: &Shared<'_>,
    worker: usize,
    sink: &mut S,
    next: &AtomicUsize,
    stop: &AtomicBool,
) -> WorkerOut {
    let mut out = WorkerOut::default();
    let mut dec = Decoder::new(shared.max_blob_size, shared.base_cache_budget);
    let mut remaining: Vec<u32> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(chunk) = shared.plan.chunks.get(i) else {
            break;
        };
        let r = match chunk {
            Chunk::Pack { pack, steps } => run_pack(
                shared,
                &mut dec,
                *pack,
                steps,
                &mut remaining,
                sink,
                &mut out,
            ),
            Chunk::Loose(list) => run_loose(shared, &mut dec, list, sink, &mut out),
        };
        if let Err(e) = r {
            out.error = Some(Error::Sink {
                worker,
                source: Box::new(e),
            });
            stop.store(true, Ordering::Relaxed);
            break;
        }
    }
    out
}

fn deliver<S: BlobSink>(
    shared: &Shared<'_>,
    u: u32,
    bytes: &[u8],
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    let Some(unique) = shared.uniques.get(u as usize) else {
        return Ok(());
    };
    let by = match shared.selected.origin(unique.ctx.commit) {
        Some(Origin::Commit(c)) => IntroducedBy::Commit(&c.id),
        Some(Origin::Ref(r)) => IntroducedBy::Ref(&r.name),
        None => return Ok(()),
    };
    let ctx = BlobContext {
        oid: &unique.oid,
        by,
        path: shared.paths.get(unique.ctx.path),
        change: unique.ctx.change,
    };
    sink.blob(&ctx, bytes)?;
    out.metrics.items_out += 1;
    out.metrics.bytes_out += bytes.len() as u64;
    Ok(())
}

/// Delivers a decoded blob, or records why unique blob `u` is skipped.
#[allow(clippy::too_many_arguments)]
fn settle<S: BlobSink>(
    shared: &Shared<'_>,
    u: u32,
    decoded: Result<gix::objs::Kind, Fail>,
    file: &Path,
    in_pack: bool,
    bytes: &[u8],
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    let oid: ObjectId = shared.uniques[u as usize].oid;
    let reason = match decoded {
        Ok(gix::objs::Kind::Blob) => return deliver(shared, u, bytes, sink, out),
        Ok(kind) => SkipReason::NotABlob {
            kind: kind.to_string(),
        },
        Err(Fail::TooLarge(size)) => SkipReason::TooLarge {
            size,
            max: shared.max_blob_size,
        },
        Err(Fail::Corrupt { offset, message }) => SkipReason::Corrupt {
            file: file.to_owned(),
            offset: in_pack.then_some(offset),
            message,
        },
    };
    out.skipped.push(Skipped { oid, reason });
    Ok(())
}

fn run_pack<S: BlobSink>(
    shared: &Shared<'_>,
    dec: &mut Decoder,
    pack_id: u32,
    steps: &[Step],
    remaining: &mut Vec<u32>,
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    let Some(Some(data)) = shared.plan.packs.get(pack_id as usize) else {
        return Ok(());
    };
    let path = &shared.mapping.packs[pack_id as usize];
    remaining.clear();
    remaining.extend(steps.iter().map(|s| s.uses));
    for (i, step) in steps.iter().enumerate() {
        let r = dec.decode(
            data,
            step.offset,
            pack_id,
            shared.mapping,
            steps,
            &mut out.metrics,
        );
        // Release this entry's base once its last planned user is done.
        if let Ok(e) = entry_at(data, step.offset)
            && let Ok(Some(b)) = base_of(&e, pack_id, shared.mapping)
            && let Ok(j) = steps.binary_search_by_key(&b, |s| s.offset)
        {
            remaining[j] = remaining[j].saturating_sub(1);
            if remaining[j] == 0 && j < i {
                dec.cache.remove(b);
            }
        }
        if remaining[i] == 0 {
            dec.cache.remove(step.offset);
        }
        let Some(u) = step.deliver else { continue };
        settle(shared, u, r, path, true, &dec.out, sink, out)?;
    }
    // Bases still cached at the end of a chunk go back to the pool: the
    // next chunk reuses their buffers instead of allocating.
    let cache = &mut dec.cache;
    for (_, (_, v)) in cache.map.drain() {
        if cache.pool.len() < POOL_BUFFERS && v.capacity() <= POOL_MAX_CAPACITY {
            cache.pool.push(v);
        }
    }
    cache.bytes = 0;
    Ok(())
}

/// Reads and inflates one loose object; returns its kind, bytes in `dec.out`.
fn read_loose(
    dec: &mut Decoder,
    path: &Path,
    m: &mut StageMetrics,
) -> Result<gix::objs::Kind, Fail> {
    let corrupt = |message: String| Fail::Corrupt { offset: 0, message };
    let raw = std::fs::read(path).map_err(|e| corrupt(format!("cannot read: {e}")))?;
    m.bytes_in += raw.len() as u64;
    // The header "<kind> <size>\0" fits in 64 bytes.
    let mut head = [0u8; 64];
    dec.inflate.reset();
    let status = dec
        .inflate
        .decompress(&raw, &mut head, FlushDecompress::None)
        .map_err(|e| corrupt(format!("inflate failed: {e}")))?;
    let got = dec.inflate.total_out() as usize;
    let nul = head[..got]
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| corrupt("no object header".into()))?;
    let header = std::str::from_utf8(&head[..nul])
        .map_err(|_| corrupt("object header is not text".into()))?;
    let (kind, size) = header
        .split_once(' ')
        .ok_or_else(|| corrupt(format!("bad object header '{header}'")))?;
    let kind = gix::objs::Kind::from_bytes(kind.as_bytes())
        .map_err(|_| corrupt(format!("unknown object kind '{kind}'")))?;
    let size: u64 = size
        .parse()
        .map_err(|_| corrupt(format!("bad object size '{size}'")))?;
    let size = dec.checked_size(size, 0)?;
    let body = &head[nul + 1..got];
    if body.len() > size {
        return Err(corrupt(format!(
            "object longer than its header says ({size} bytes)"
        )));
    }
    dec.out.clear();
    dec.out.resize(size + 1, 0);
    dec.out[..body.len()].copy_from_slice(body);
    let mut status = status;
    let mut filled = body.len();
    if status != Status::StreamEnd {
        let consumed = dec.inflate.total_in() as usize;
        let before = dec.inflate.total_out();
        status = dec
            .inflate
            .decompress(
                raw.get(consumed..).unwrap_or(&[]),
                &mut dec.out[filled..],
                FlushDecompress::Finish,
            )
            .map_err(|e| corrupt(format!("inflate failed: {e}")))?;
        filled += (dec.inflate.total_out() - before) as usize;
    }
    if status != Status::StreamEnd || filled != size {
        return Err(corrupt(format!(
            "inflated {filled} bytes, header says {size}"
        )));
    }
    dec.out.truncate(size);
    m.items_in += 1;
    Ok(kind)
}

fn run_loose<S: BlobSink>(
    shared: &Shared<'_>,
    dec: &mut Decoder,
    list: &[(u32, u32)],
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    for &(u, dir) in list {
        let oid = shared.uniques[u as usize].oid;
        let path = shared.mapping.loose_path(&oid, dir);
        let r = read_loose(dec, &path, &mut out.metrics);
        settle(shared, u, r, &path, false, &dec.out, sink, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_copy_and_insert() {
        let base = b"hello world";
        // base 11, result 11: copy 6 bytes from 0, insert "there"
        let delta = [11, 11, 0x90, 6, 5, b't', b'h', b'e', b'r', b'e'];
        let mut out = Vec::new();
        apply_delta(base, &delta, &mut out).unwrap();
        assert_eq!(out, b"hello there");
    }

    #[test]
    fn delta_rejects_out_of_bounds_copy_and_bad_sizes() {
        let mut out = Vec::new();
        assert!(apply_delta(b"abc", &[3, 5, 0x91, 2, 5], &mut out).is_err());
        assert!(apply_delta(b"abc", &[4, 1, 1, b'x'], &mut out).is_err());
        assert!(apply_delta(b"abc", &[3, 2, 1, b'x'], &mut out).is_err());
        assert!(apply_delta(b"abc", &[3, 1, 0], &mut out).is_err());
        assert!(apply_delta(b"abc", &[0x80], &mut out).is_err());
    }
}
