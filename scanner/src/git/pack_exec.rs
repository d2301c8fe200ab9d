//! Exec: decode the plan's steps, hand blobs to the sinks.
//!
//! Workers (scoped threads, one sink each) take [`Chunk`]s from a shared
//! atomic counter. A pack chunk is walked in ascending offset order; each
//! step is decoded by the pack component's [`Decoder`] through a
//! [`PlannedBases`] cache, which keeps a decoded entry only while planned
//! steps still use it as their base (bases precede their deltas in offset
//! order, so they are normally still cached) and within the cache's byte
//! budget; a base that is not cached is decoded again on demand (a miss).
//! Loose chunks read, inflate and check `objects/xx/…` through the same
//! component.
//!
//! Sizes in headers are never trusted: an object whose header size (or a
//! delta's result size) exceeds the maximum blob size is skipped with
//! [`SkipReason::TooLarge`] before anything is allocated for it (see
//! [`Limits`]). Corruption of one entry skips the blobs that depend on it.
//!
//! The decoder, the cache and the output buffer are owned by the worker and
//! reused; cached bases recycle their vectors.

use crate::git::dedupe::{Paths, Unique};
use crate::git::error::Error;
use crate::git::metrics::StageMetrics;
use crate::git::odb::{DecodeError, Decoder, Limits, Packs, PlannedBases, read_loose};
use crate::git::plan::{Chunk, Plan, Step};
use crate::git::repo::{Origin, Selected};
use crate::git::{SkipReason, Skipped};
use crate::sink::{BlobContext, BlobSink, IntroducedBy};
use gix::ObjectId;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What exec needs to read; shared read-only by all workers.
#[derive(Debug)]
pub struct Shared<'a> {
    pub plan: &'a Plan,
    pub packs: &'a Packs,
    pub uniques: &'a [Unique],
    pub selected: &'a Selected,
    pub paths: &'a Paths,
    pub max_blob_size: u64,
    pub base_cache_budget: usize,
}

/// A worker's result.
#[derive(Debug, Default)]
pub struct WorkerOut {
    pub metrics: StageMetrics,
    pub skipped: Vec<Skipped>,
    pub error: Option<Error>,
}

/// Buffers a worker keeps between blobs, at most: a larger one (a rare big
/// blob; git.git has 6 over 1 MiB) is freed after its blob. Holding the
/// largest blob's buffers for the whole scan cost 7.5 MiB of peak heap on
/// git.git; freeing them costs a few allocations.
const KEEP_BUFFER: usize = 1 << 20;

/// One worker's decoding state.
struct WorkerState {
    dec: Decoder,
    cache: PlannedBases,
    /// The decoded object.
    buf: Vec<u8>,
    /// Planned uses of each step of the current chunk not yet decoded.
    remaining: Vec<u32>,
}

impl WorkerState {
    /// Frees buffers a large blob grew (see [`KEEP_BUFFER`]).
    fn trim(&mut self) {
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = Vec::new();
            self.dec.trim_buffers(KEEP_BUFFER);
        }
    }
}

/// Why one blob was not decoded.
enum Fail {
    Packed(DecodeError),
    Loose(crate::git::odb::LooseError),
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
    let mut st = WorkerState {
        dec: Decoder::new(Limits::objects_up_to(shared.max_blob_size)),
        cache: PlannedBases::new(shared.base_cache_budget),
        buf: Vec::new(),
        remaining: Vec::new(),
    };
    while !stop.load(Ordering::Relaxed) {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(chunk) = shared.plan.chunks.get(i) else {
            break;
        };
        let r = match chunk {
            Chunk::Pack { pack, steps } => run_pack(shared, &mut st, *pack, steps, sink, &mut out),
            Chunk::Loose(list) => run_loose(shared, &mut st, list, sink, &mut out),
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
    let c = st.dec.counts;
    out.metrics.items_in += c.inflated;
    out.metrics.bytes_in += c.packed_bytes;
    out.metrics.cache_hits += c.base_hits;
    out.metrics.cache_misses += c.base_misses;
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
fn settle<S: BlobSink>(
    shared: &Shared<'_>,
    u: u32,
    decoded: Result<gix::objs::Kind, Fail>,
    file: &Path,
    bytes: &[u8],
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    let oid: ObjectId = shared.uniques[u as usize].oid;
    let too_large = |size| SkipReason::TooLarge {
        size,
        max: shared.max_blob_size,
    };
    let reason = match decoded {
        Ok(gix::objs::Kind::Blob) => return deliver(shared, u, bytes, sink, out),
        Ok(kind) => SkipReason::NotABlob {
            kind: kind.to_string(),
        },
        Err(Fail::Packed(DecodeError::TooLarge { size, .. })) => too_large(size),
        Err(Fail::Loose(crate::git::odb::LooseError::TooLarge { size, .. })) => too_large(size),
        Err(Fail::Packed(e)) => SkipReason::Corrupt {
            file: file.to_owned(),
            offset: Some(e.offset()),
            message: e.to_string(),
        },
        Err(Fail::Loose(e)) => SkipReason::Corrupt {
            file: file.to_owned(),
            offset: None,
            message: e.to_string(),
        },
    };
    out.skipped.push(Skipped { oid, reason });
    Ok(())
}

fn run_pack<S: BlobSink>(
    shared: &Shared<'_>,
    st: &mut WorkerState,
    pack_id: u32,
    steps: &[Step],
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    // The plan skipped the blobs of packs that could not be opened.
    let Some(Ok(pack)) = shared.packs.file(pack_id) else {
        return Ok(());
    };
    st.remaining.clear();
    st.remaining.extend(steps.iter().map(|s| s.uses));
    st.cache
        .start_chunk(steps.iter().filter(|s| s.uses > 0).map(|s| s.offset));
    for (i, step) in steps.iter().enumerate() {
        let r = st
            .dec
            .decode(pack, shared.packs, step.offset, &mut st.buf, &mut st.cache)
            .map(|o| o.kind)
            .map_err(Fail::Packed);
        // Release this entry's base once its last planned user is done.
        if let Some(b) = step.base()
            && let Ok(j) = steps.binary_search_by_key(&b, |s| s.offset)
        {
            st.remaining[j] = st.remaining[j].saturating_sub(1);
            if st.remaining[j] == 0 && j < i {
                st.cache.release(b);
            }
        }
        if st.remaining[i] == 0 {
            st.cache.release(step.offset);
        }
        let Some(u) = step.deliver() else { continue };
        settle(shared, u, r, &pack.path, &st.buf, sink, out)?;
        st.trim();
    }
    st.cache.finish_chunk();
    Ok(())
}

fn run_loose<S: BlobSink>(
    shared: &Shared<'_>,
    st: &mut WorkerState,
    list: &[(u32, u32)],
    sink: &mut S,
    out: &mut WorkerOut,
) -> Result<(), S::Error> {
    for &(u, dir) in list {
        let oid = shared.uniques[u as usize].oid;
        let path = shared.packs.loose_path(&oid, dir);
        let r = read_loose(&mut st.dec, &path, &mut st.buf).map(|read| {
            out.metrics.bytes_in += read.file_bytes;
            out.metrics.items_in += 1;
            read.kind
        });
        settle(shared, u, r.map_err(Fail::Loose), &path, &st.buf, sink, out)?;
        st.trim();
    }
    Ok(())
}
