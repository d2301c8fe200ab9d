//! Caches of decoded entries: the trait the decoder asks, and its two
//! policies.

use gix::objs::Kind;
use std::collections::HashMap;
use std::sync::Arc;

/// What [`super::Decoder::decode`] asks of a cache of decoded pack entries.
/// The decoder offers every entry it decodes (bases, intermediates and the
/// object itself); the policy decides what to keep.
pub trait BaseCache {
    /// Whether the entry at `offset` of pack `pack` is cached.
    fn contains(&self, pack: u32, offset: u64) -> bool;
    /// Calls `f` with the cached entry at `offset` of pack `pack`, if any.
    /// (A closure rather than a returned borrow: a two-generation cache can
    /// then answer with one lookup.)
    fn with<R>(&mut self, pack: u32, offset: u64, f: impl FnOnce(Kind, &[u8]) -> R) -> Option<R>;
    /// Offers a just-decoded entry.
    fn offer(&mut self, pack: u32, offset: u64, kind: Kind, bytes: &[u8]);
}

/// A byte-bounded cache of shared buffers in two generations: entries are
/// inserted into the current one; when it would exceed half the budget it
/// becomes the old one (the previous old one is dropped) and a new current
/// one starts. A hit in the old generation moves the entry to the current
/// one, so whatever the walk keeps using survives every rotation, and the
/// cache never drops below half its budget once warm. Both maps keep their
/// capacity across rotations.
// PERF: was one map cleared completely when full, so after each clear the
// trees (and delta bases) of the very next commits were loaded and inflated
// again. `scanner blobs large --all --threads 2`: tree loads 454 k →
// 399 k (bytes 548 → 480 MB); callgrind, whole run 14.89 → 11.62 G
// instructions; output identical; `scanner scan large --all` peak RSS
// 205 → 209 MB (the old generation holds no more than was kept before).
pub struct GenCache<K, S> {
    cur: HashMap<K, Arc<[u8]>, S>,
    old: HashMap<K, Arc<[u8]>, S>,
    cur_bytes: usize,
    budget: usize,
}

impl<K, S> std::fmt::Debug for GenCache<K, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenCache")
            .field("cur", &self.cur.len())
            .field("old", &self.old.len())
            .field("cur_bytes", &self.cur_bytes)
            .field("budget", &self.budget)
            .finish()
    }
}

impl<K: Eq + std::hash::Hash + Copy, S: std::hash::BuildHasher + Default> GenCache<K, S> {
    pub fn new(budget: usize) -> Self {
        GenCache {
            cur: HashMap::default(),
            old: HashMap::default(),
            cur_bytes: 0,
            budget,
        }
    }

    /// The entry for `k`, moved to the current generation if it was old.
    pub fn get(&mut self, k: &K) -> Option<Arc<[u8]>> {
        if let Some(t) = self.cur.get(k) {
            return Some(Arc::clone(t));
        }
        let t = self.old.remove(k)?;
        self.insert(*k, Arc::clone(&t));
        Some(t)
    }

    /// Whether either generation holds `k`.
    pub fn contains(&self, k: &K) -> bool {
        self.cur.contains_key(k) || self.old.contains_key(k)
    }

    pub fn insert(&mut self, k: K, t: Arc<[u8]>) {
        if self.cur_bytes + t.len() > self.budget / 2 {
            std::mem::swap(&mut self.cur, &mut self.old);
            self.cur.clear();
            self.cur_bytes = 0;
        }
        self.cur_bytes += t.len();
        self.cur.insert(k, t);
    }

    /// Bytes held by the current generation.
    pub fn bytes(&self) -> usize {
        self.cur_bytes
    }
}

/// Hashes a packed (pack, offset) key with one multiplication.
#[derive(Default, Clone, Copy, Debug)]
pub struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

fn entry_key(pack: u32, offset: u64) -> u64 {
    (u64::from(pack) << 48) ^ offset
}

/// Tree diff's policy: keep every decoded tree (bases and intermediates of
/// chains included) in a [`GenCache`], shared with the caller without a copy.
// PERF: gix's pack cache keeps only the final object of each lookup, never
// a base object, so every chain ending in a whole tree inflated that tree
// again (3.7 of 5.2 G instructions of tree inflate were whole trees).
// `scanner blobs large --all --threads 2`, 7 interleaved runs: median
// 1.38 s (1.36-1.52) → 1.20 s (1.11-1.32), CPU 2.61 → 2.26 s, peak RSS
// 164 → 163 MB; tree_diff.wall_ns ≈ 1.03 s.
#[derive(Debug)]
pub struct RecentEntries {
    map: GenCache<u64, std::hash::BuildHasherDefault<OffsetHasher>>,
    /// The entry offered last, so the caller takes the object it just
    /// decoded without another lookup.
    last: Option<(u64, Arc<[u8]>)>,
}

impl RecentEntries {
    pub fn new(budget: usize) -> Self {
        RecentEntries {
            map: GenCache::new(budget),
            last: None,
        }
    }

    /// The cached tree at (`pack`, `offset`), shared.
    pub fn shared(&mut self, pack: u32, offset: u64) -> Option<Arc<[u8]>> {
        self.map.get(&entry_key(pack, offset))
    }

    /// The tree offered last, if it is the one at (`pack`, `offset`).
    pub fn take_last(&mut self, pack: u32, offset: u64) -> Option<Arc<[u8]>> {
        match self.last.take() {
            Some((k, t)) if k == entry_key(pack, offset) => Some(t),
            _ => None,
        }
    }

    pub fn bytes(&self) -> usize {
        self.map.bytes()
    }
}

impl BaseCache for RecentEntries {
    fn contains(&self, pack: u32, offset: u64) -> bool {
        self.map.contains(&entry_key(pack, offset))
    }

    fn with<R>(&mut self, pack: u32, offset: u64, f: impl FnOnce(Kind, &[u8]) -> R) -> Option<R> {
        self.map
            .get(&entry_key(pack, offset))
            .map(|t| f(Kind::Tree, &t))
    }

    /// Keeps trees only: a chain that ends elsewhere is not a tree's, and
    /// its caller reports the kind.
    fn offer(&mut self, pack: u32, offset: u64, kind: Kind, bytes: &[u8]) {
        if kind == Kind::Tree {
            let (k, t) = (entry_key(pack, offset), Arc::<[u8]>::from(bytes));
            self.map.insert(k, Arc::clone(&t));
            self.last = Some((k, t));
        }
    }
}

/// Spare buffers [`PlannedBases`] keeps, and the largest capacity it keeps.
const POOL_BUFFERS: usize = 8;
const POOL_MAX_CAPACITY: usize = 1 << 20;

/// Exec's policy: within one chunk of the plan (one pack, ascending
/// offsets), keep a decoded entry only while planned steps still use it as
/// their base, and only within the byte budget; the caller releases a base
/// after its last user. Cached vectors are recycled through a small pool,
/// so a warm worker does not allocate per blob.
#[derive(Debug)]
pub struct PlannedBases {
    map: HashMap<u64, (Kind, Vec<u8>)>,
    /// Offsets of the chunk's entries that other steps use, sorted.
    wanted: Vec<u64>,
    /// Capacity of every buffer held, cached and pooled: what the budget
    /// bounds. (Counting lengths let recycled buffers, each up to
    /// [`POOL_MAX_CAPACITY`] whatever they held, overshoot it: on git.git
    /// 46 MiB were held for a 2 × 16 MiB budget.)
    bytes: usize,
    budget: usize,
    pool: Vec<Vec<u8>>,
}

impl PlannedBases {
    pub fn new(budget: usize) -> Self {
        PlannedBases {
            map: HashMap::new(),
            wanted: Vec::new(),
            bytes: 0,
            budget,
            pool: Vec::new(),
        }
    }

    /// Starts a chunk whose entries at `wanted` (ascending) are bases of
    /// other steps.
    pub fn start_chunk(&mut self, wanted: impl Iterator<Item = u64>) {
        self.wanted.clear();
        self.wanted.extend(wanted);
    }

    /// Drops the entry at `offset`: its last planned user is done.
    pub fn release(&mut self, offset: u64) {
        if let Some((_, v)) = self.map.remove(&offset) {
            self.recycle(v);
        }
    }

    /// Ends the chunk: cached entries go back to the pool, so the next
    /// chunk reuses their buffers instead of allocating.
    ///
    /// In ascending offset order, not the map's: the pool hands its buffers
    /// out last in, first out, and their capacities decide whether later
    /// offers fit the budget, so an order from the map's random hash seed
    /// made which bases stayed cached, and the work of the scan, differ
    /// from process to process (the exact figures of one commit moved by
    /// up to 0.1% between two callgrind runs). Every cached offset is a
    /// wanted one (see `offer`).
    pub fn finish_chunk(&mut self) {
        let wanted = std::mem::take(&mut self.wanted);
        for offset in &wanted {
            if self.map.is_empty() {
                break;
            }
            if let Some((_, v)) = self.map.remove(offset) {
                self.recycle(v);
            }
        }
        self.wanted = wanted;
    }

    /// Keeps a held buffer for reuse, unless the pool is full or the
    /// buffer is large (a big blob's buffer must not outlive it); a buffer
    /// not kept leaves the budget.
    fn recycle(&mut self, v: Vec<u8>) {
        if self.pool.len() < POOL_BUFFERS && v.capacity() <= POOL_MAX_CAPACITY {
            self.pool.push(v);
        } else {
            self.bytes -= v.capacity();
        }
    }

    /// Bytes held (cached and pooled buffers' capacity); at most the budget.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.bytes
    }
}

impl BaseCache for PlannedBases {
    fn contains(&self, _pack: u32, offset: u64) -> bool {
        self.map.contains_key(&offset)
    }

    fn with<R>(&mut self, _pack: u32, offset: u64, f: impl FnOnce(Kind, &[u8]) -> R) -> Option<R> {
        self.map.get(&offset).map(|(k, v)| f(*k, v))
    }

    fn offer(&mut self, _pack: u32, offset: u64, kind: Kind, bytes: &[u8]) {
        if self.wanted.binary_search(&offset).is_err() || self.map.contains_key(&offset) {
            return;
        }
        let mut v = self.pool.pop().unwrap_or_default();
        let before = v.capacity();
        if self.bytes - before + before.max(bytes.len()) > self.budget {
            // Dropping the spare makes room for the next offer.
            self.bytes -= before;
            return;
        }
        v.clear();
        v.reserve_exact(bytes.len());
        v.extend_from_slice(bytes);
        self.bytes = self.bytes - before + v.capacity();
        self.map.insert(offset, (kind, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_bases_hold_no_more_than_their_budget_with_recycled_buffers() {
        let budget = 64 << 10;
        let mut c = PlannedBases::new(budget);
        let big = vec![7u8; 30 << 10];
        let small = [1u8; 100];
        for round in 0..50u64 {
            c.start_chunk(0..64);
            // Large entries first, so the pool fills with large buffers that
            // then hold small ones: lengths would say little is held.
            for off in 0..4 {
                c.offer(
                    0,
                    off,
                    Kind::Blob,
                    if round % 2 == 0 { &big } else { &small },
                );
                assert!(c.held() <= budget, "round {round}: {} > {budget}", c.held());
            }
            for off in 4..64 {
                c.offer(0, off, Kind::Blob, &small);
                assert!(c.held() <= budget, "round {round}: {} > {budget}", c.held());
            }
            assert!(c.contains(0, 4), "a small entry fits");
            c.release(0);
            c.finish_chunk();
            assert!(c.held() <= budget);
        }
        assert_eq!(c.with(0, 99, |_, b| b.len()), None);
    }

    #[test]
    fn finished_chunks_pool_their_buffers_in_offset_order() {
        // Each map has its own hash seed; the pool's order, which decides
        // what later offers fit, must not depend on it.
        let pooled = || {
            let mut c = PlannedBases::new(1 << 20);
            c.start_chunk([10, 20, 30, 40, 50, 60].into_iter());
            for (k, off) in [40u64, 10, 60, 30, 20, 50].into_iter().enumerate() {
                c.offer(0, off, Kind::Blob, &vec![0u8; 100 * (off as usize) + k]);
            }
            c.finish_chunk();
            c.pool.iter().map(|v| v.capacity()).collect::<Vec<_>>()
        };
        let first = pooled();
        assert_eq!(first, [1001, 2004, 3003, 4000, 5005, 6002]);
        for _ in 0..8 {
            assert_eq!(pooled(), first);
        }
    }
}
