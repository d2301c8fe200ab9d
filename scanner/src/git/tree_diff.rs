//! Tree diff: which blobs does a commit introduce, relative to each parent?
//!
//! [`TreeDiff::diff`] walks two trees (the parent's, or none for a root
//! commit, and the commit's) in git's tree order and reports every blob entry
//! of the new tree that is added (path absent in the old tree, or absent as a
//! non-tree), modified (same path, different blob id or mode) or type-changed
//! (same path, file ↔ symlink ↔ gitlink) — exactly the blob entries `git log
//! -m --raw --no-renames --diff-filter=AMT` prints. A type change reaches a
//! blob that may be in no other commit (a symlink replaced by a file), so it
//! is reported as [`ChangeKind::Modified`]: the path existed in the parent.
//! Gitlinks (submodule entries) name commits of another repository, never
//! blobs: they are passed over and counted ([`TreeDiff::gitlinks`]). A path
//! that changes between tree and blob sorts as two different names in git's
//! order ("a/" vs "a"), so it is a deletion plus an addition.
//!
//! Identical subtrees (same id) are skipped without being read. Raw tree
//! objects are kept in a byte-bounded cache keyed by id; entries are parsed
//! in place with `gix::objs::TreeRefIter`, without allocating.
//!
//! Trees are read from the packs by [`PackTrees`] (the pack component's
//! decoder, caching bases and chain intermediates), through gix otherwise.
//!
//! [`diff_commits`] runs the diffs of a range of commits newest first (so
//! each tree's delta base is usually still cached); [`walk_ref_tips`]
//! reports the blobs of `--all`'s refs that name trees or blobs (a tree
//! diffed against the empty tree);
//! [`diff_parallel`] spreads batches of commits over worker threads, each
//! with its own repository handle and caches, and funnels the introductions
//! to the caller's thread through a bounded channel.
//!
//! Invariant (tested by the allocation guard): once the cache holds the trees
//! involved and the path buffer has grown to the deepest path, diffing does
//! not allocate at all — no allocation per tree entry.

use crate::git::error::{Error, Result};
use crate::git::metrics::StageMetrics;
use crate::git::odb::{Decoder, GenCache, Limits, Packs, RecentEntries};
use crate::git::repo::{Repo, Selected};
use crate::sink::ChangeKind;
use gix::ObjectId;
use gix::objs::Find;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

/// Deepest tree nesting accepted (git itself refuses deeper trees).
const MAX_DEPTH: usize = 4096;

/// Most tree entries one diff walks. Trees are a DAG: a tree that names the
/// same subtree twice, nested 30 deep, spells 2^30 paths, and a diff must
/// walk every path (each is an introduction). Real trees are far smaller
/// (the largest public monorepos have a few million entries).
pub const MAX_DIFF_ENTRIES: u64 = 1 << 26;

/// Where raw tree objects come from.
pub trait TreeSource {
    /// Appends nothing; replaces `buf` with the raw tree `id`.
    fn load_tree(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<()>;

    /// The raw tree `id`, shared; `buf` is scratch space.
    fn load_shared(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<Arc<[u8]>> {
        self.load_tree(id, buf)?;
        Ok(Arc::from(buf.as_slice()))
    }
}

/// Largest tree (and tree delta) decoded from a pack; a larger one is an
/// error naming it, not an allocation.
const PACK_TREE_MAX: u64 = 64 << 20;

/// Reads trees straight from the packs through the pack component's
/// decoder, with a byte-bounded cache of decoded pack entries
/// ([`RecentEntries`]) that keeps delta bases and every intermediate of a
/// chain. Trees in no pack (loose, or in an alternate's loose objects) are
/// read through gix ([`OdbTrees`]). A tree whose pack entry cannot be
/// decoded is an error naming the pack, the offset and why.
pub struct PackTrees<'a> {
    odb: OdbTrees<'a>,
    packs: &'a Packs,
    decoder: Decoder,
    cache: RecentEntries,
    out: Vec<u8>,
}

impl std::fmt::Debug for PackTrees<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackTrees")
            .field("odb", &self.odb)
            .field("cache_bytes", &self.cache.bytes())
            .finish_non_exhaustive()
    }
}

impl<'a> PackTrees<'a> {
    /// Trees of `repo`, reading its packs through `packs`; `budget`: bytes
    /// of decoded pack entries kept.
    pub fn new(odb: OdbTrees<'a>, packs: &'a Packs, budget: usize) -> Self {
        PackTrees {
            odb,
            packs,
            decoder: Decoder::new(Limits {
                object: PACK_TREE_MAX,
                delta: PACK_TREE_MAX,
            }),
            cache: RecentEntries::new(budget),
            out: Vec::new(),
        }
    }

    /// The tree from its pack; `Ok(None)`: in no pack.
    fn read_packed(&mut self, id: &ObjectId) -> Result<Option<Arc<[u8]>>> {
        let Some((pack_id, offset)) = self.packs.find(id) else {
            return Ok(None);
        };
        if let Some(t) = self.cache.shared(pack_id, offset) {
            return Ok(Some(t));
        }
        let pack_path = || self.packs.paths[pack_id as usize].clone();
        let pack = match self.packs.file(pack_id) {
            Some(Ok(pack)) => pack,
            Some(Err(message)) => {
                return Err(Error::Object {
                    path: pack_path(),
                    what: "tree",
                    oid: *id,
                    message: message.clone(),
                });
            }
            None => return Ok(None),
        };
        let decoded = self
            .decoder
            .decode(pack, self.packs, offset, &mut self.out, &mut self.cache)
            .map_err(|e| Error::Decode {
                pack: pack_path(),
                what: "tree",
                oid: *id,
                source: Box::new(e),
            })?;
        if decoded.kind != gix::objs::Kind::Tree {
            return Err(Error::Object {
                path: self.odb.path.clone(),
                what: "tree",
                oid: *id,
                message: format!("expected a tree, found a {}", decoded.kind),
            });
        }
        Ok(Some(
            self.cache
                .take_last(pack_id, offset)
                .unwrap_or_else(|| Arc::from(self.out.as_slice())),
        ))
    }
}

impl TreeSource for PackTrees<'_> {
    fn load_tree(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<()> {
        match self.read_packed(id)? {
            Some(t) => {
                buf.clear();
                buf.extend_from_slice(&t);
                Ok(())
            }
            None => self.odb.load_tree(id, buf),
        }
    }

    fn load_shared(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<Arc<[u8]>> {
        match self.read_packed(id)? {
            Some(t) => Ok(t),
            None => {
                self.odb.load_tree(id, buf)?;
                Ok(Arc::from(buf.as_slice()))
            }
        }
    }
}

/// Reads trees from a gix object database.
pub struct OdbTrees<'a> {
    repo: &'a gix::Repository,
    path: PathBuf,
}

impl<'a> OdbTrees<'a> {
    /// Trees of the gix handle `repo` of the repository at `path`.
    pub fn new(repo: &'a gix::Repository, path: &Path) -> Self {
        OdbTrees {
            repo,
            path: path.to_owned(),
        }
    }

    /// Trees of `repo`, through gix only.
    // The scan opens a handle per tree-diff thread; tests and benches
    // (`internals`) read through the repository's own.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    pub fn of(repo: &'a Repo) -> Self {
        Self::new(&repo.repo, repo.path())
    }
}

impl<'a> PackTrees<'a> {
    /// Trees of `repo`: its packs directly, gix for the rest.
    // The scan opens a handle per tree-diff thread; tests and benches
    // (`internals`) read through the repository's own.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    pub fn of(repo: &'a Repo, budget: usize) -> Self {
        PackTrees::new(OdbTrees::of(repo), &repo.packs, budget)
    }
}

impl std::fmt::Debug for OdbTrees<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdbTrees")
            .field("path", &self.path)
            .finish()
    }
}

impl TreeSource for OdbTrees<'_> {
    fn load_tree(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<()> {
        let err = |message: String| Error::Object {
            path: self.path.clone(),
            what: "tree",
            oid: *id,
            message,
        };
        match self.repo.objects.try_find(id, buf) {
            Ok(Some(d)) if d.kind == gix::objs::Kind::Tree => Ok(()),
            Ok(Some(d)) => Err(err(format!("expected a tree, found a {}", d.kind))),
            Ok(None) => Err(err("missing from the object database".into())),
            Err(e) => Err(err(e.to_string())),
        }
    }
}

/// A byte-bounded cache of raw trees by id.
type TreeCache = GenCache<ObjectId, gix::hashtable::hash::Builder>;

/// Diffs trees; owns the tree cache and the path buffer it reuses.
#[derive(Debug)]
pub struct TreeDiff {
    cache: TreeCache,
    path: Vec<u8>,
    load_buf: Vec<u8>,
    /// Tree cache hits/misses, trees loaded and their bytes.
    pub metrics: StageMetrics,
    /// Gitlink entries passed over where a blob would have been reported
    /// (added, modified, or a blob turned into a gitlink).
    pub gitlinks: u64,
    /// Trees that could not be read or parsed, once each (see
    /// [`TreeDamage`]); `damaged_at` finds one by id.
    pub damage: Vec<TreeDamage>,
    damaged_at: gix::hashtable::HashMap<ObjectId, usize>,
    /// What the diff in progress is of, for the damage it meets.
    diffing: ObjectId,
    /// Entries the diff in progress may still walk, and the limit.
    entries_left: u64,
    entry_limit: u64,
}

/// A tree tree diff could not read (missing, corrupt, not a tree) or parse
/// (a malformed entry, nesting past git's limit). The diff goes on without
/// it: a damaged new-side tree hides the blobs only it holds (the part
/// already walked is kept), a damaged old-side tree is taken as empty (its
/// blobs count as introduced, which over-reports, never hides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeDamage {
    pub tree: ObjectId,
    /// Of the commits (or trees that refs name) whose diffs met it, the one
    /// with the smallest id, and the path of the tree there.
    pub first_seen_in: ObjectId,
    pub path: Vec<u8>,
    pub message: String,
    /// How many diffs met it.
    pub diffs: u64,
}

/// git's tree-entry order: names compared bytewise, a tree's name as if it
/// ended in `/`.
fn git_cmp(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        Ordering::Equal => {}
        o => return o,
    }
    let end = |s: &[u8], tree: bool| s.get(n).copied().unwrap_or(if tree { b'/' } else { 0 });
    let (ca, cb) = (end(a, a_tree), end(b, b_tree));
    match ca.cmp(&cb) {
        Ordering::Equal if a.len() != b.len() => a.len().cmp(&b.len()),
        o => o,
    }
}

/// One tree entry, parsed in place.
#[derive(Clone, Copy, Debug)]
struct Entry<'a> {
    /// The mode's octal digits as a number (`40000` and `040000` alike).
    mode: u32,
    name: &'a [u8],
    oid: &'a [u8; 20],
}

impl Entry<'_> {
    fn is_tree(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }
    fn is_commit(&self) -> bool {
        self.mode & 0o170000 == 0o160000
    }
    fn id(&self) -> ObjectId {
        ObjectId::Sha1(*self.oid)
    }
}

/// Position of the first NUL in `b`, eight bytes at a time.
#[inline]
fn find_nul(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let z = w.wrapping_sub(LO) & !w & HI;
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == 0).map(|p| i + p)
}

/// Parses the entry at `pos` of a raw tree: `<octal mode> <name>\0<20-byte
/// id>`. Returns the entry and the position after it; `None` if malformed
/// (like git: mode of 1 to 7 octal digits, non-empty name).
// PERF: our own parser instead of `gix::objs::TreeRefIter` (which spent
// ≈ 170 instructions per entry in mode parsing and memchr), together with
// skipping the common prefix and suffix of the two trees below. `valgrind
// --tool=callgrind scanner blobs large --all --threads 1`: tree diff 15.0 →
// 11.0 G instructions, entries parsed 31.4 M → 8.9 M. Wall time could not
// be measured on the busy machine (see the commit message).
#[inline]
fn parse_entry(buf: &[u8], pos: usize) -> Option<(Entry<'_>, usize)> {
    let b = buf.get(pos..)?;
    let mut mode = 0u32;
    let mut i = 0;
    loop {
        let c = *b.get(i)?;
        if c == b' ' {
            break;
        }
        let d = c.wrapping_sub(b'0');
        if d > 7 || i >= 7 {
            return None;
        }
        mode = (mode << 3) | u32::from(d);
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let rest = &b[i + 1..];
    let nul = find_nul(rest)?;
    if nul == 0 {
        return None;
    }
    let oid: &[u8; 20] = rest.get(nul + 1..nul + 21)?.try_into().ok()?;
    let entry = Entry {
        mode,
        name: &rest[..nul],
        oid,
    };
    Some((entry, pos + i + 1 + nul + 21))
}

/// Length of the common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
        x.copy_from_slice(&a[i..i + 8]);
        y.copy_from_slice(&b[i..i + 8]);
        let d = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if d != 0 {
            return i + (d.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the common suffix of `a` and `b`.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + 8 <= n {
        let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
        x.copy_from_slice(&a[n - i - 8..n - i]);
        y.copy_from_slice(&b[n - i - 8..n - i]);
        let d = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if d != 0 {
            return i + (d.leading_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// Bytes of whole entries at the start of `new` that are byte-identical to
/// the start of `old` (both start at an entry boundary, right after an
/// unchanged entry). Those entries are equal and unchanged in both trees and
/// are skipped without being parsed or compared, like the common suffix.
// PERF: two changes far apart in a big directory left every entry between
// them to be parsed and compared pairwise; after an unchanged entry the two
// trees usually agree byte for byte up to the next change. `valgrind
// --tool=callgrind scanner blobs large --all --threads 2`: whole run 11.62 →
// 10.84 G instructions, output identical.
#[inline]
fn identical_run(old: &[u8], new: &[u8]) -> usize {
    let run = common_prefix(old, new);
    let mut skip = 0;
    // Each entry ends 20 bytes after the NUL ending its name.
    while let Some(nul) = new.get(skip..run).and_then(find_nul) {
        let end = skip + nul + 21;
        if end > run {
            break;
        }
        skip = end;
    }
    skip
}

impl TreeDiff {
    /// `cache_budget` bounds the bytes of raw trees kept between commits.
    pub fn new(cache_budget: usize) -> Self {
        TreeDiff {
            cache: TreeCache::new(cache_budget),
            path: Vec::with_capacity(256),
            load_buf: Vec::new(),
            metrics: StageMetrics::default(),
            gitlinks: 0,
            damage: Vec::new(),
            damaged_at: Default::default(),
            diffing: ObjectId::null(gix::hash::Kind::Sha1),
            entries_left: MAX_DIFF_ENTRIES,
            entry_limit: MAX_DIFF_ENTRIES,
        }
    }

    /// The same, walking at most `limit` entries per diff (tests and fuzz
    /// targets use a small one).
    #[cfg(feature = "internals")]
    pub fn with_entry_limit(mut self, limit: u64) -> Self {
        self.entry_limit = limit;
        self
    }

    /// Records that tree `id` (at the current path) is damaged.
    fn damaged(&mut self, id: &ObjectId, message: impl std::fmt::Display) {
        if let Some(&i) = self.damaged_at.get(id) {
            let d = &mut self.damage[i];
            d.diffs += 1;
            // The smallest id, so the record does not depend on which
            // worker met the tree first.
            if self.diffing < d.first_seen_in {
                d.first_seen_in = self.diffing;
                d.path.clone_from(&self.path);
            }
            return;
        }
        self.damaged_at.insert(*id, self.damage.len());
        self.damage.push(TreeDamage {
            tree: *id,
            first_seen_in: self.diffing,
            path: self.path.clone(),
            message: message.to_string(),
            diffs: 1,
        });
    }

    /// The raw tree `id`, or `None` (recorded) when it cannot be read.
    fn tree(&mut self, src: &mut impl TreeSource, id: &ObjectId) -> Option<Arc<[u8]>> {
        if let Some(t) = self.cache.get(id) {
            self.metrics.cache_hits += 1;
            return Some(t);
        }
        if self.damaged_at.contains_key(id) {
            self.damaged(id, "");
            return None;
        }
        self.metrics.cache_misses += 1;
        match src.load_shared(id, &mut self.load_buf) {
            Ok(t) => {
                self.metrics.bytes_in += t.len() as u64;
                self.cache.insert(*id, Arc::clone(&t));
                Some(t)
            }
            Err(e) => {
                self.damaged(id, e);
                None
            }
        }
    }

    /// Reports every blob `new` introduces relative to `old` (`None`: the
    /// empty tree) as `emit(blob, path, change)`; an error from `emit` stops
    /// the diff and is returned. Damaged trees do not stop it: they are
    /// recorded in [`TreeDiff::damage`], as met in the diff of `of` (a
    /// commit, or the tree a ref names).
    pub fn diff<F>(
        &mut self,
        src: &mut impl TreeSource,
        of: &ObjectId,
        old: Option<&ObjectId>,
        new: &ObjectId,
        emit: &mut F,
    ) -> Result<()>
    where
        F: FnMut(&ObjectId, &[u8], ChangeKind) -> Result<()>,
    {
        self.diffing = *of;
        self.entries_left = self.entry_limit;
        self.path.clear();
        if old == Some(new) {
            return Ok(());
        }
        self.diff_trees(src, old, new, emit, 0)
    }

    fn push_name(&mut self, name: &[u8]) -> usize {
        let len = self.path.len();
        if len > 0 {
            self.path.push(b'/');
        }
        self.path.extend_from_slice(name);
        len
    }

    /// The entry at `pos` of tree `id` (raw `buf`), `None` at the end or
    /// at a malformed entry (recorded: the rest of the tree is unreadable).
    fn entry_at<'a>(
        &mut self,
        buf: &'a [u8],
        pos: usize,
        id: &ObjectId,
    ) -> Option<(Entry<'a>, usize)> {
        if pos >= buf.len() || self.entries_left == 0 {
            return None;
        }
        self.entries_left -= 1;
        if self.entries_left == 0 {
            let limit = self.entry_limit;
            self.damaged(
                id,
                format_args!("the diff walked {limit} tree entries; the rest of it was skipped (a tree that names the same subtrees over and over?)"),
            );
            return None;
        }
        let e = parse_entry(buf, pos);
        if e.is_none() {
            self.damaged(
                id,
                format_args!("corrupt tree: malformed entry at byte {pos}"),
            );
        }
        e
    }

    fn diff_trees<F>(
        &mut self,
        src: &mut impl TreeSource,
        old: Option<&ObjectId>,
        new: &ObjectId,
        emit: &mut F,
        depth: usize,
    ) -> Result<()>
    where
        F: FnMut(&ObjectId, &[u8], ChangeKind) -> Result<()>,
    {
        if depth > MAX_DEPTH {
            self.damaged(new, "corrupt tree: nested deeper than 4096 levels");
            return Ok(());
        }
        let Some(new_buf) = self.tree(src, new) else {
            return Ok(());
        };
        let nb: &[u8] = &new_buf;
        // An unreadable old side counts as empty: everything in `new` is
        // then added.
        let old_buf = match old {
            Some(old) => self.tree(src, old).map(|b| (old, b)),
            None => None,
        };
        let Some((old, old_buf)) = old_buf else {
            let mut pos = 0;
            while let Some((e, end)) = self.entry_at(nb, pos, new) {
                self.added(src, &e, emit, depth)?;
                pos = end;
            }
            return Ok(());
        };
        let ob: &[u8] = &old_buf;
        // PERF: most entries of two versions of a directory are equal. The
        // entries wholly inside the trees' common byte prefix are the same
        // in both (parsed from the same bytes at the same position) and
        // skipped with a cheap scan; once both sides have the same number of
        // bytes left and those lie in the common suffix, the rest is equal
        // and the walk stops.
        let prefix = common_prefix(ob, nb);
        let suffix = common_suffix(ob, nb);
        let mut start = 0;
        while let Some((_, end)) = parse_entry(nb, start) {
            if end > prefix {
                break;
            }
            start = end;
        }
        let (mut op, mut np) = (start, start);
        let mut o = self.entry_at(ob, op, old);
        let mut n = self.entry_at(nb, np, new);
        while let Some((ne, nend)) = n {
            let left = nb.len() - np;
            if ob.len() - op == left && left <= suffix {
                break;
            }
            let ord = match &o {
                None => Ordering::Greater,
                Some((oe, _)) => git_cmp(oe.name, oe.is_tree(), ne.name, ne.is_tree()),
            };
            match (ord, o) {
                (Ordering::Less, Some((_, oend))) => {
                    // Only in old: a deletion, not reported.
                    op = oend;
                    o = self.entry_at(ob, op, old);
                    continue;
                }
                (Ordering::Equal, Some((oe, oend))) => {
                    // Equal order: same name, both trees or both not.
                    if oe.oid == ne.oid && oe.mode == ne.mode {
                        let skip = identical_run(&ob[oend..], &nb[nend..]);
                        op = oend + skip;
                        o = self.entry_at(ob, op, old);
                        np = nend + skip;
                        n = self.entry_at(nb, np, new);
                        continue;
                    }
                    if ne.is_tree() {
                        if oe.oid != ne.oid {
                            let mark = self.push_name(ne.name);
                            let (oid, nid) = (oe.id(), ne.id());
                            self.diff_trees(src, Some(&oid), &nid, emit, depth + 1)?;
                            self.path.truncate(mark);
                        }
                    } else if ne.is_commit() {
                        self.gitlinks += 1;
                    } else {
                        // `M` (id or mode) or `T` (kind): either way the new
                        // entry's blob is introduced here.
                        let mark = self.push_name(ne.name);
                        emit(&ne.id(), &self.path, ChangeKind::Modified)?;
                        self.metrics.items_out += 1;
                        self.path.truncate(mark);
                    }
                    op = oend;
                    o = self.entry_at(ob, op, old);
                }
                _ => {
                    self.added(src, &ne, emit, depth)?;
                }
            }
            np = nend;
            n = self.entry_at(nb, np, new);
        }
        Ok(())
    }

    fn added<F>(
        &mut self,
        src: &mut impl TreeSource,
        e: &Entry<'_>,
        emit: &mut F,
        depth: usize,
    ) -> Result<()>
    where
        F: FnMut(&ObjectId, &[u8], ChangeKind) -> Result<()>,
    {
        if e.is_commit() {
            self.gitlinks += 1;
            return Ok(());
        }
        let mark = self.push_name(e.name);
        let oid = e.id();
        if e.is_tree() {
            self.diff_trees(src, None, &oid, emit, depth + 1)?;
        } else {
            emit(&oid, &self.path, ChangeKind::Added)?;
            self.metrics.items_out += 1;
        }
        self.path.truncate(mark);
        Ok(())
    }
}

/// Splits a tree-cache budget into the bytes for [`PackTrees`]' cache of
/// decoded pack entries and for [`TreeDiff`]'s cache of trees by id: 3/2
/// and 1/2 of it. The two hold the same shared trees (the second mostly a
/// subset of what the first has recently decoded); together they are
/// bounded by twice the budget, as when each had the whole budget.
// PERF: was the whole budget for each. The pack cache also keeps delta
// bases and chain intermediates, which spare inflating; a tree-cache miss
// that the pack cache holds costs only an index lookup. `valgrind
// --tool=callgrind scanner blobs large --all --threads 2`, pack + tree
// shares of twice the budget 1/2 + 1/2 (before), 5/8 + 3/8, 3/4 + 1/4,
// 7/8 + 1/8: 10.84, 10.42, 10.23 (this build: 10.12), 10.20 G
// instructions; output identical;
// `scanner scan large --all` peak RSS 200 → 199-211 MB (noisy).
pub(crate) fn split_budget(budget: usize) -> (usize, usize) {
    let trees = budget / 2;
    (budget + trees, trees)
}

/// Receives the introductions tree diff finds: `(blob, commit rank, parent
/// index, path, change)`.
pub type Offer<'a> = dyn FnMut(&ObjectId, u32, u32, &[u8], ChangeKind) -> Result<()> + 'a;

/// Diffs the commits with ranks in `ranks`, newest first, each against each
/// parent (roots against the empty tree), or only its first parent where
/// that decides the same contexts ([`Selected::diffed_parent_trees`]).
/// Returns the number of diffs run.
pub fn diff_commits(
    td: &mut TreeDiff,
    src: &mut impl TreeSource,
    selected: &Selected,
    ranks: std::ops::Range<usize>,
    offer: &mut Offer<'_>,
) -> Result<u64> {
    let mut diffs = 0;
    for rank in ranks.rev() {
        let Some(c) = selected.commits.get(rank) else {
            break;
        };
        let rank = rank as u32;
        let parents = selected.diffed_parent_trees(c);
        if parents.is_empty() {
            diffs += 1;
            td.diff(src, &c.id, None, &c.tree, &mut |oid, path, change| {
                offer(oid, rank, 0, path, change)
            })?;
        }
        for (p, tree) in parents.iter().enumerate() {
            diffs += 1;
            td.diff(src, &c.id, Some(tree), &c.tree, &mut |oid, path, change| {
                offer(oid, rank, p as u32, path, change)
            })?;
        }
    }
    Ok(diffs)
}

/// Reports the blobs of the refs that name trees or blobs
/// ([`Selected::ref_tips`], `--all` only): a blob at the empty path, every
/// blob of a tree at its path in the tree, all [`ChangeKind::Added`], with
/// the ranks after the commits' (see [`Selected::origin`]). A tree named by
/// several refs is walked once, for the first name: the later ones would
/// only offer the same blobs at the same paths with a larger rank.
pub fn walk_ref_tips(
    td: &mut TreeDiff,
    src: &mut impl TreeSource,
    selected: &Selected,
    offer: &mut Offer<'_>,
) -> Result<()> {
    let mut walked: Vec<ObjectId> = Vec::new();
    for (i, tip) in selected.ref_tips.iter().enumerate() {
        let rank = u32::try_from(selected.commits.len() + i)
            .map_err(|_| Error::Options("more than 2^32 commits and refs to rank".into()))?;
        if !tip.is_tree {
            offer(&tip.id, rank, 0, b"", ChangeKind::Added)?;
            td.metrics.items_out += 1;
            continue;
        }
        if walked.contains(&tip.id) {
            continue;
        }
        walked.push(tip.id);
        td.diff(src, &tip.id, None, &tip.id, &mut |oid, path, change| {
            offer(oid, rank, 0, path, change)
        })?;
    }
    Ok(())
}

/// The damage records of several workers as one per tree, by tree id: the
/// diffs summed, the smallest `first_seen_in` kept (see
/// [`TreeDamage::first_seen_in`]).
pub fn merge_damage(mut all: Vec<TreeDamage>) -> Vec<TreeDamage> {
    all.sort_by_key(|d| (d.tree, d.first_seen_in));
    let mut out: Vec<TreeDamage> = Vec::with_capacity(all.len());
    for d in all {
        match out.last_mut() {
            Some(last) if last.tree == d.tree => last.diffs += d.diffs,
            _ => out.push(d),
        }
    }
    out
}

/// What the tree-diff workers did, summed.
#[derive(Debug, Default)]
pub struct DiffTotals {
    /// Tree diffs run.
    pub diffs: u64,
    /// See [`TreeDiff::gitlinks`].
    pub gitlinks: u64,
    pub metrics: StageMetrics,
    /// See [`TreeDiff::damage`], every worker's.
    pub damage: Vec<TreeDamage>,
}

impl DiffTotals {
    /// What `td` did in `diffs` diffs.
    fn of(diffs: u64, td: TreeDiff) -> Self {
        DiffTotals {
            diffs,
            gitlinks: td.gitlinks,
            metrics: td.metrics,
            damage: td.damage,
        }
    }
}

/// Starts `work` on a thread with a tree-diff worker's stack.
fn spawn_worker<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Result<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn_scoped(scope, work)
        .map_err(|e| Error::Options(format!("cannot start a tree-diff thread: {e}")))
}

/// Introductions found by one worker in one batch of commits.
#[derive(Debug, Default)]
struct Batch {
    cands: Vec<(ObjectId, u32, u32, u32, u32, ChangeKind)>,
    paths: Vec<u8>,
}

/// Commits per batch a tree-diff worker takes.
const BATCH: usize = 64;

/// The commit ranks split into one contiguous lane per worker. A worker
/// takes batches from the top (newest end) of its own lane, so consecutive
/// batches share trees and delta bases in its caches; once its lane is
/// empty it takes batches from the bottom (oldest end) of the fullest lane.
// PERF: was batches of 512 consecutive commits dealt round-robin, so each
// worker jumped over the other's batch every time, reloading the trees (and
// delta chains) the other had cached. `scanner blobs large --all --threads
// 2`: tree loads 514 k → 453 k (one thread: 407 k); callgrind, whole run
// 18.9 → 15.8 G instructions; busy machine, 7 interleaved runs: median
// 3.29 s → 2.87 s, peak RSS 207 → 174 MB.
#[derive(Debug)]
struct Lanes {
    lanes: std::sync::Mutex<Vec<std::ops::Range<usize>>>,
}

impl Lanes {
    fn new(n: usize, workers: usize) -> Self {
        let lanes = (0..workers)
            .map(|w| n * w / workers..n * (w + 1) / workers)
            .collect();
        Lanes {
            lanes: std::sync::Mutex::new(lanes),
        }
    }

    fn take(&self, me: usize) -> Option<std::ops::Range<usize>> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(own) = lanes.get_mut(me)
            && own.start < own.end
        {
            let lo = own.end.saturating_sub(BATCH).max(own.start);
            let out = lo..own.end;
            own.end = lo;
            return Some(out);
        }
        let victim = lanes.iter_mut().max_by_key(|r| r.len())?;
        if victim.start >= victim.end {
            return None;
        }
        let hi = (victim.start + BATCH).min(victim.end);
        let out = victim.start..hi;
        victim.start = hi;
        Some(out)
    }
}

/// Stack for tree-diff workers: recursion is one frame per tree level.
const WORKER_STACK: usize = 64 << 20;

/// Runs `work` with a tree diff and a tree source of its own (from
/// `cache_budget`, see [`split_budget`]; a gix handle of its own, `repo`'s
/// packs) on a thread with a tree-diff worker's stack, and returns what it
/// did (`diffs`: what `work` returns). The diff recurses once per tree
/// level, up to [`MAX_DEPTH`], which can need more stack than the caller's
/// thread has (a test thread has 2 MiB; 4096 levels overflowed it).
pub fn on_worker_stack<W>(repo: &Repo, cache_budget: usize, work: W) -> Result<DiffTotals>
where
    W: FnOnce(&mut TreeDiff, &mut PackTrees<'_>) -> Result<u64> + Send,
{
    let (repo_path, packs) = (repo.path(), &repo.packs);
    std::thread::scope(|scope| {
        let run = move || -> Result<DiffTotals> {
            let handle = Repo::open_handle(repo_path)?;
            let (packed, trees) = split_budget(cache_budget);
            let mut src = PackTrees::new(OdbTrees::new(&handle, repo_path), packs, packed);
            let mut td = TreeDiff::new(trees);
            let diffs = work(&mut td, &mut src)?;
            Ok(DiffTotals::of(diffs, td))
        };
        spawn_worker(scope, run)?
            .join()
            .unwrap_or(Err(Error::WorkerPanicked { stage: "tree_diff" }))
    })
}

/// [`diff_commits`] over all selected commits on `threads` workers, each with
/// its own gix handle (a clone of `repo`'s, for trees in no pack) and caches
/// of trees and decoded pack entries (from `cache_budget / threads`, see
/// [`split_budget`]); all share `repo`'s packs and their index. Workers take batches of consecutive commits (see
/// [`Lanes`]), each diffed newest first, and send their introductions through a bounded channel to the
/// calling thread, which passes them to `offer` (dedupe, which does not
/// depend on arrival order). Returns what the workers did, summed.
pub fn diff_parallel(
    repo: &Repo,
    selected: &Selected,
    threads: usize,
    cache_budget: usize,
    offer: &mut Offer<'_>,
) -> Result<DiffTotals> {
    let n = selected.commits.len();
    let lanes = Lanes::new(n, threads);
    let stop = AtomicBool::new(false);
    let (tx, rx) = crossbeam_channel::bounded::<Result<Batch>>(threads * 2);
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        let (repo_path, packs) = (repo.path(), &repo.packs);
        for me in 0..threads {
            let (tx, lanes, stop) = (tx.clone(), &lanes, &stop);
            let work = move || -> Result<DiffTotals> {
                let handle = Repo::open_handle(repo_path)?;
                let (packed, trees) = split_budget(cache_budget / threads);
                let mut src = PackTrees::new(OdbTrees::new(&handle, repo_path), packs, packed);
                let mut td = TreeDiff::new(trees);
                let mut diffs = 0;
                while !stop.load(AtomicOrdering::Relaxed) {
                    let Some(ranks) = lanes.take(me) else {
                        break;
                    };
                    let mut out = Batch::default();
                    let r = diff_commits(
                        &mut td,
                        &mut src,
                        selected,
                        ranks,
                        &mut |oid, rank, p, path, change| {
                            out.cands.push((
                                *oid,
                                rank,
                                p,
                                out.paths.len() as u32,
                                path.len() as u32,
                                change,
                            ));
                            out.paths.extend_from_slice(path);
                            Ok(())
                        },
                    );
                    let msg = r.map(|d| {
                        diffs += d;
                        out
                    });
                    let failed = msg.is_err();
                    if tx.send(msg).is_err() || failed {
                        break;
                    }
                }
                Ok(DiffTotals::of(diffs, td))
            };
            handles.push(spawn_worker(scope, work)?);
        }
        drop(tx);
        let mut first_err = None;
        for msg in rx.iter() {
            if first_err.is_some() {
                continue;
            }
            let applied = msg.and_then(|b| {
                b.cands
                    .iter()
                    .try_for_each(|&(oid, rank, p, at, len, change)| {
                        let path = b.paths.get(at as usize..(at + len) as usize).unwrap_or(&[]);
                        offer(&oid, rank, p, path, change)
                    })
            });
            if let Err(e) = applied {
                stop.store(true, AtomicOrdering::Relaxed);
                first_err = Some(e);
            }
        }
        let mut total = DiffTotals::default();
        for h in handles {
            match h.join() {
                Ok(Ok(t)) => {
                    total.diffs += t.diffs;
                    total.gitlinks += t.gitlinks;
                    total.damage.extend(t.damage);
                    total.metrics.add(&t.metrics);
                }
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert(Error::WorkerPanicked { stage: "tree_diff" });
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(total),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_order_puts_tree_after_same_named_file_prefix() {
        // "a.txt" < "a/" because '.' (0x2e) < '/' (0x2f); "a/" < "a0".
        assert_eq!(git_cmp(b"a.txt", false, b"a", true), Ordering::Less);
        assert_eq!(git_cmp(b"a", true, b"a0", false), Ordering::Less);
        assert_eq!(git_cmp(b"a", false, b"a", true), Ordering::Less);
        assert_eq!(git_cmp(b"a", true, b"a", true), Ordering::Equal);
        assert_eq!(git_cmp(b"ab", false, b"a", false), Ordering::Greater);
    }

    #[test]
    fn common_prefix_and_suffix_match_a_bytewise_scan() {
        let naive_pre = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suf = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..40u8).collect();
        for cut in 0..base.len() {
            for at in 0..base.len() {
                let mut b = base[..cut.max(at + 1).min(base.len())].to_vec();
                let i = at.min(b.len() - 1);
                b[i] ^= 0xff;
                for (x, y) in [
                    (&base[..], &b[..]),
                    (&b[..], &base[..]),
                    (&base[..cut], &base[..]),
                ] {
                    assert_eq!(common_prefix(x, y), naive_pre(x, y), "{x:?} {y:?}");
                    assert_eq!(common_suffix(x, y), naive_suf(x, y), "{x:?} {y:?}");
                }
            }
        }
    }

    #[test]
    fn identical_run_stops_at_the_last_whole_equal_entry() {
        let entry = |name: &[u8], id: u8| {
            let mut e = b"100644 ".to_vec();
            e.extend_from_slice(name);
            e.push(0);
            e.extend_from_slice(&[id; 20]);
            e
        };
        let (a, b, c) = (entry(b"a", 0), entry(b"b", 1), entry(b"c", 2));
        let old = [a.clone(), b.clone(), c.clone()].concat();
        assert_eq!(identical_run(&old, &old), old.len());
        let new = [a.clone(), b.clone(), entry(b"c", 3)].concat();
        assert_eq!(identical_run(&old, &new), a.len() + b.len());
        // b's id differs: b is not skipped.
        let new = [a.clone(), entry(b"b", 9), c.clone()].concat();
        assert_eq!(identical_run(&old, &new), a.len());
        assert_eq!(identical_run(&old, &[]), 0);
        assert_eq!(identical_run(&old[..a.len() + 3], &old), a.len());
    }

    #[test]
    fn parse_entry_accepts_git_entries_and_rejects_malformed_ones() {
        let mut t = Vec::new();
        t.extend_from_slice(b"100644 a-long-file-name.txt\0");
        t.extend_from_slice(&[7u8; 20]);
        t.extend_from_slice(b"40000 d\0");
        t.extend_from_slice(&[0u8; 20]);
        let (e, end) = parse_entry(&t, 0).unwrap();
        assert_eq!(
            (e.mode, e.name, e.oid),
            (0o100644, &b"a-long-file-name.txt"[..], &[7u8; 20])
        );
        let (e, end2) = parse_entry(&t, end).unwrap();
        assert!(e.is_tree() && e.name == b"d" && end2 == t.len());
        assert!(
            parse_entry(&t[..t.len() - 1], end).is_none(),
            "truncated id"
        );
        for bad in [
            &b" a\0"[..],
            b"100648 a\0",
            b"12345670 a\0",
            b"100644 \0",
            b"100644 a",
        ] {
            let mut t = bad.to_vec();
            t.extend_from_slice(&[1u8; 20]);
            assert!(parse_entry(&t, 0).is_none(), "{bad:?}");
        }
    }
}
