//! The decoder: a pack entry's bytes, delta chain resolved.

use super::cache::BaseCache;
use super::chain::{ChainWalk, Link};
use super::delta::{apply_delta, result_size};
use super::entry::entry_at;
use super::error::DecodeError;
use super::file::PackFile;
use super::index::Packs;
use super::inflate::{inflate_exact, inflate_prefix};
use gix::objs::Kind;
use gix::zlib::Decompress;

/// The largest sizes the decoder accepts from headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest object (a base object or a delta's result).
    pub object: u64,
    /// Largest inflated delta (its instructions).
    pub delta: u64,
}

impl Limits {
    /// Objects up to `max` bytes. A delta's instructions are at most its
    /// result plus one opcode per 127 inserted bytes and the two size
    /// headers, hence the slack.
    pub fn objects_up_to(max: u64) -> Limits {
        Limits {
            object: max,
            delta: max.saturating_add(max / 64 + 64),
        }
    }
}

/// What one [`Decoder::decode`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOutcome {
    /// The object's kind (a delta's is its chain's base object's).
    pub kind: Kind,
}

/// Running totals of a decoder, for the stage's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeCounts {
    /// Entries inflated (base objects and deltas).
    pub inflated: u64,
    /// Compressed bytes those inflations consumed.
    pub packed_bytes: u64,
    /// Delta bases found in the cache, and not found (the object itself is
    /// not counted).
    pub base_hits: u64,
    pub base_misses: u64,
}

/// Decoding state a caller owns and reuses: the inflater, scratch buffers
/// and the chain walk's links. After warm-up, decoding allocates only what
/// the cache keeps.
pub struct Decoder {
    pub(super) inflate: Decompress,
    cur: Vec<u8>,
    next: Vec<u8>,
    delta: Vec<u8>,
    links: Vec<Link>,
    pub(super) limits: Limits,
    pub counts: DecodeCounts,
}

impl Decoder {
    /// Frees scratch buffers that grew past `keep` bytes (for a rare large
    /// object), so they do not hold that memory for the rest of the scan.
    pub fn trim_buffers(&mut self, keep: usize) {
        for b in [&mut self.cur, &mut self.next, &mut self.delta] {
            if b.capacity() > keep {
                *b = Vec::new();
            }
        }
    }
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("limits", &self.limits)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder {
            inflate: Decompress::new(),
            cur: Vec::new(),
            next: Vec::new(),
            delta: Vec::new(),
            links: Vec::new(),
            limits,
            counts: DecodeCounts::default(),
        }
    }

    fn checked(limit: u64, offset: u64, size: u64) -> Result<usize, DecodeError> {
        let too_large = DecodeError::TooLarge {
            offset,
            size,
            limit,
        };
        if size > limit {
            return Err(too_large);
        }
        usize::try_from(size).map_err(|_| too_large)
    }

    /// Inflates the delta of `link` into `self.delta` and checks the sizes
    /// it announces.
    fn load_delta(&mut self, data: &[u8], link: &Link) -> Result<(), DecodeError> {
        let size = Self::checked(self.limits.delta, link.offset, link.entry.decompressed_size)?;
        let input = data.get(link.entry.data_offset as usize..).unwrap_or(&[]);
        self.counts.packed_bytes +=
            inflate_exact(&mut self.inflate, input, size, &mut self.delta, link.offset)?;
        self.counts.inflated += 1;
        let result = result_size(&self.delta).map_err(|problem| DecodeError::Delta {
            offset: link.offset,
            problem,
        })?;
        Self::checked(self.limits.object, link.offset, result)?;
        Ok(())
    }

    /// The head of the commit stored whole (not as a delta) at `offset` of
    /// `pack`: inflates into `out` only until `head_end(out)` finds the end
    /// of the part wanted (or the object ends). `Ok(false)`: the entry is
    /// not a whole commit (a delta, another kind), so the caller decodes it
    /// in full. The rest of the object is not inflated, so damage past the
    /// head goes unnoticed, as it does to readers of a commit-graph.
    // PERF: the scan needs a commit's tree, parents and committer time, all
    // before its message and signatures; see `Repo::read_commit`.
    pub fn commit_head(
        &mut self,
        pack: &PackFile,
        offset: u64,
        out: &mut Vec<u8>,
        head_end: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<bool, DecodeError> {
        let data = pack.data();
        let entry = entry_at(data, offset)?;
        if entry.header.as_kind() != Some(Kind::Commit) {
            return Ok(false);
        }
        let size = Self::checked(self.limits.object, offset, entry.decompressed_size)?;
        let input = data.get(entry.data_offset as usize..).unwrap_or(&[]);
        inflate_prefix(&mut self.inflate, input, size, out, offset, head_end)?;
        self.counts.inflated += 1;
        self.counts.packed_bytes += self.inflate.total_in();
        Ok(true)
    }

    /// Decodes the entry at `offset` of `pack` into `out` (replacing its
    /// contents), resolving its delta chain through `cache`: the walk stops
    /// at the first cached base, or at the base object, which is inflated.
    /// Every entry decoded on the way, the object included, is offered to
    /// the cache.
    pub fn decode(
        &mut self,
        pack: &PackFile,
        packs: &Packs,
        offset: u64,
        out: &mut Vec<u8>,
        cache: &mut impl BaseCache,
    ) -> Result<DecodeOutcome, DecodeError> {
        let data = pack.data();
        let mut links = std::mem::take(&mut self.links);
        let walked = self.walk(pack, packs, offset, &mut links, cache);
        let result = walked.and_then(|hit| self.resolve(pack, data, &links, hit, out, cache));
        self.links = links;
        result
    }

    /// Walks the chain down to a cached base (returned) or the base object
    /// (the last link). The object itself is not looked up: a caller that
    /// may have it cached asks the cache first.
    fn walk(
        &mut self,
        pack: &PackFile,
        packs: &Packs,
        offset: u64,
        links: &mut Vec<Link>,
        cache: &mut impl BaseCache,
    ) -> Result<Option<u64>, DecodeError> {
        let mut walk = ChainWalk::new(pack, packs, offset, links);
        while let Some(cur) = walk.next_offset() {
            if cur != offset {
                if cache.contains(pack.id, cur) {
                    self.counts.base_hits += 1;
                    return Ok(Some(cur));
                }
                self.counts.base_misses += 1;
            }
            walk.advance()?;
        }
        Ok(None)
    }

    /// Applies the walked chain: from the cached base `hit`, or from the
    /// base object (the last link), up to the object at `links[0]`.
    fn resolve(
        &mut self,
        pack: &PackFile,
        data: &[u8],
        links: &[Link],
        hit: Option<u64>,
        out: &mut Vec<u8>,
        cache: &mut impl BaseCache,
    ) -> Result<DecodeOutcome, DecodeError> {
        // A cached base is found below at least one delta, and a walk that
        // reached the base object read its header: either way there is a
        // last link.
        let Some((last, rest)) = links.split_last() else {
            return Err(DecodeError::CacheForgot { offset: 0 });
        };
        let kind = match hit {
            Some(at) => {
                // The first delta applies straight to the cached base.
                self.load_delta(data, last)?;
                let (delta, cur) = (&self.delta, &mut self.cur);
                let (kind, applied) = cache
                    .with(pack.id, at, |kind, base| {
                        (kind, apply_delta(base, delta, cur))
                    })
                    .ok_or(DecodeError::CacheForgot { offset: at })?;
                applied.map_err(|problem| DecodeError::Delta {
                    offset: last.offset,
                    problem,
                })?;
                cache.offer(pack.id, last.offset, kind, &self.cur);
                kind
            }
            None => {
                let base = last;
                let kind = base.entry.header.as_kind().unwrap_or(Kind::Blob);
                let size = Self::checked(
                    self.limits.object,
                    base.offset,
                    base.entry.decompressed_size,
                )?;
                let input = data.get(base.entry.data_offset as usize..).unwrap_or(&[]);
                self.counts.packed_bytes +=
                    inflate_exact(&mut self.inflate, input, size, &mut self.cur, base.offset)?;
                self.counts.inflated += 1;
                cache.offer(pack.id, base.offset, kind, &self.cur);
                kind
            }
        };
        let deltas = rest;
        // The remaining deltas, innermost first.
        for link in deltas.iter().rev() {
            self.load_delta(data, link)?;
            apply_delta(&self.cur, &self.delta, &mut self.next).map_err(|problem| {
                DecodeError::Delta {
                    offset: link.offset,
                    problem,
                }
            })?;
            std::mem::swap(&mut self.cur, &mut self.next);
            cache.offer(pack.id, link.offset, kind, &self.cur);
        }
        std::mem::swap(out, &mut self.cur);
        Ok(DecodeOutcome { kind })
    }
}
