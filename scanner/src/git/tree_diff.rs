//! Tree diff: which blobs does a commit introduce, relative to each parent?
//!
//! [`TreeDiff::diff`] walks two trees (the parent's, or none for a root
//! commit, and the commit's) in git's tree order and reports every blob entry
//! of the new tree that is added (path absent in the old tree, or absent as a
//! non-tree) or modified (same path, same file type, different blob id or
//! mode) — exactly the entries `git log -m --raw --no-renames
//! --diff-filter=AM` prints. Type changes (file ↔ symlink, blob ↔ gitlink)
//! are `T` in git and not reported; gitlinks (submodules) are never blobs.
//! A path that changes between tree and blob sorts as two different names in
//! git's order ("a/" vs "a"), so it is a deletion plus an addition.
//!
//! Identical subtrees (same id) are skipped without being read. Raw tree
//! objects are kept in a byte-bounded cache keyed by id; entries are parsed
//! in place with `gix::objs::TreeRefIter`, without allocating.
//!
//! [`diff_commits`] runs the diffs of a range of commits newest first (so
//! each tree's delta base is usually still in gix's pack cache);
//! [`diff_parallel`] spreads batches of commits over worker threads, each
//! with its own repository handle and caches, and funnels the introductions
//! to the caller's thread through a bounded channel.
//!
//! Invariant (tested by the allocation guard): once the cache holds the trees
//! involved and the path buffer has grown to the deepest path, diffing does
//! not allocate at all — no allocation per tree entry.

use crate::git::error::{Error, Result};
use crate::git::metrics::StageMetrics;
use crate::git::repo::{Repo, Selected};
use crate::sink::ChangeKind;
use gix::ObjectId;
use gix::objs::Find;
use gix::objs::tree::EntryRef;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};

/// Deepest tree nesting accepted (git itself refuses deeper trees).
const MAX_DEPTH: usize = 4096;

/// Where raw tree objects come from.
pub trait TreeSource {
    /// Appends nothing; replaces `buf` with the raw tree `id`.
    fn load_tree(&mut self, id: &ObjectId, buf: &mut Vec<u8>) -> Result<()>;
}

/// Reads trees from a gix object database.
pub struct OdbTrees<'a> {
    pub(crate) repo: &'a gix::Repository,
    pub(crate) path: PathBuf,
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

/// A byte-bounded cache of raw trees. When full it is cleared (capacity is
/// kept), which is cheap and keeps the most recent commits' trees hot.
#[derive(Debug)]
struct TreeCache {
    map: gix::hashtable::HashMap<ObjectId, Arc<[u8]>>,
    bytes: usize,
    budget: usize,
}

/// Diffs trees; owns the tree cache and the path buffer it reuses.
#[derive(Debug)]
pub struct TreeDiff {
    repo_path: PathBuf,
    cache: TreeCache,
    path: Vec<u8>,
    load_buf: Vec<u8>,
    /// Tree cache hits/misses, trees loaded and their bytes.
    pub metrics: StageMetrics,
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

fn next<'a>(
    it: &mut gix::objs::TreeRefIter<'a>,
    id: &ObjectId,
    me: &TreeDiff,
) -> Result<Option<EntryRef<'a>>> {
    match it.next() {
        None => Ok(None),
        Some(Ok(e)) => Ok(Some(e)),
        Some(Err(e)) => Err(me.corrupt(id, e)),
    }
}

fn kind_bits(mode: u16) -> u16 {
    mode & 0o170000
}

impl TreeDiff {
    /// `cache_budget` bounds the bytes of raw trees kept between commits.
    pub fn new(cache_budget: usize, repo_path: PathBuf) -> Self {
        TreeDiff {
            repo_path,
            cache: TreeCache {
                map: Default::default(),
                bytes: 0,
                budget: cache_budget,
            },
            path: Vec::with_capacity(256),
            load_buf: Vec::new(),
            metrics: StageMetrics::default(),
        }
    }

    fn tree(&mut self, src: &mut impl TreeSource, id: &ObjectId) -> Result<Arc<[u8]>> {
        if let Some(t) = self.cache.map.get(id) {
            self.metrics.cache_hits += 1;
            return Ok(Arc::clone(t));
        }
        self.metrics.cache_misses += 1;
        src.load_tree(id, &mut self.load_buf)?;
        self.metrics.bytes_in += self.load_buf.len() as u64;
        let t: Arc<[u8]> = Arc::from(self.load_buf.as_slice());
        if self.cache.bytes + t.len() > self.cache.budget {
            self.cache.map.clear();
            self.cache.bytes = 0;
        }
        self.cache.bytes += t.len();
        self.cache.map.insert(*id, Arc::clone(&t));
        Ok(t)
    }

    /// Reports every blob `new` introduces relative to `old` (`None`: the
    /// empty tree) as `emit(blob, path, change)`; an error from `emit` stops
    /// the diff and is returned.
    pub fn diff<F>(
        &mut self,
        src: &mut impl TreeSource,
        old: Option<&ObjectId>,
        new: &ObjectId,
        emit: &mut F,
    ) -> Result<()>
    where
        F: FnMut(&ObjectId, &[u8], ChangeKind) -> Result<()>,
    {
        self.path.clear();
        if old == Some(new) {
            return Ok(());
        }
        self.diff_trees(src, old, new, emit, 0)
    }

    fn corrupt(&self, id: &ObjectId, e: impl std::fmt::Display) -> Error {
        Error::Object {
            path: self.repo_path.clone(),
            what: "tree",
            oid: *id,
            message: format!("corrupt tree: {e}"),
        }
    }

    fn push_name(&mut self, name: &[u8]) -> usize {
        let len = self.path.len();
        if len > 0 {
            self.path.push(b'/');
        }
        self.path.extend_from_slice(name);
        len
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
            return Err(self.corrupt(new, "trees nested deeper than 4096 levels"));
        }
        let new_buf = self.tree(src, new)?;
        let old_buf = match old {
            Some(o) => Some(self.tree(src, o)?),
            None => None,
        };
        let mut ni = gix::objs::TreeRefIter::from_bytes(&new_buf, gix::hash::Kind::Sha1);
        let mut oi = old_buf
            .as_deref()
            .map(|b| gix::objs::TreeRefIter::from_bytes(b, gix::hash::Kind::Sha1));
        let mut n = next(&mut ni, new, self)?;
        let mut o = match (&mut oi, old) {
            (Some(it), Some(id)) => next(it, id, self)?,
            _ => None,
        };
        while let Some(ne) = n {
            let ord = match &o {
                None => Ordering::Greater,
                Some(oe) => git_cmp(
                    oe.filename,
                    oe.mode.is_tree(),
                    ne.filename,
                    ne.mode.is_tree(),
                ),
            };
            match ord {
                Ordering::Less => {
                    // Only in old: a deletion, not reported.
                    if let (Some(it), Some(id)) = (&mut oi, old) {
                        o = next(it, id, self)?;
                    }
                    continue;
                }
                Ordering::Greater => {
                    self.added(src, &ne, emit, depth)?;
                }
                Ordering::Equal => {
                    let Some(oe) = o else { break };
                    if oe.oid != ne.oid || oe.mode != ne.mode {
                        if ne.mode.is_tree() {
                            let mark = self.push_name(ne.filename);
                            let (oid, nid) = (oe.oid.to_owned(), ne.oid.to_owned());
                            self.diff_trees(src, Some(&oid), &nid, emit, depth + 1)?;
                            self.path.truncate(mark);
                        } else if !ne.mode.is_commit()
                            && kind_bits(oe.mode.value()) == kind_bits(ne.mode.value())
                        {
                            let mark = self.push_name(ne.filename);
                            emit(&ne.oid.to_owned(), &self.path, ChangeKind::Modified)?;
                            self.metrics.items_out += 1;
                            self.path.truncate(mark);
                        }
                    }
                    if let (Some(it), Some(id)) = (&mut oi, old) {
                        o = next(it, id, self)?;
                    }
                }
            }
            n = next(&mut ni, new, self)?;
        }
        Ok(())
    }

    fn added<F>(
        &mut self,
        src: &mut impl TreeSource,
        e: &EntryRef<'_>,
        emit: &mut F,
        depth: usize,
    ) -> Result<()>
    where
        F: FnMut(&ObjectId, &[u8], ChangeKind) -> Result<()>,
    {
        if e.mode.is_commit() {
            return Ok(());
        }
        let mark = self.push_name(e.filename);
        let oid = e.oid.to_owned();
        if e.mode.is_tree() {
            self.diff_trees(src, None, &oid, emit, depth + 1)?;
        } else {
            emit(&oid, &self.path, ChangeKind::Added)?;
            self.metrics.items_out += 1;
        }
        self.path.truncate(mark);
        Ok(())
    }
}

/// Receives the introductions tree diff finds: `(blob, commit rank, parent
/// index, path, change)`.
pub type Offer<'a> = dyn FnMut(&ObjectId, u32, u32, &[u8], ChangeKind) -> Result<()> + 'a;

/// Diffs the commits with ranks in `ranks`, newest first, each against each
/// parent (roots against the empty tree). Returns the number of diffs run.
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
        let parents = selected.parent_trees(c);
        if parents.is_empty() {
            diffs += 1;
            td.diff(src, None, &c.tree, &mut |oid, path, change| {
                offer(oid, rank, 0, path, change)
            })?;
        }
        for (p, tree) in parents.iter().enumerate() {
            diffs += 1;
            td.diff(src, Some(tree), &c.tree, &mut |oid, path, change| {
                offer(oid, rank, p as u32, path, change)
            })?;
        }
    }
    Ok(diffs)
}

/// Introductions found by one worker in one batch of commits.
#[derive(Debug, Default)]
struct Batch {
    cands: Vec<(ObjectId, u32, u32, u32, u32, ChangeKind)>,
    paths: Vec<u8>,
}

/// Stack for tree-diff workers: recursion is one frame per tree level.
const WORKER_STACK: usize = 64 << 20;

/// [`diff_commits`] over all selected commits on `threads` workers, each with
/// its own repository handle, tree cache (`cache_budget / threads`) and
/// delta-base cache. Workers take batches of consecutive commits, newest
/// first, and send their introductions through a bounded channel to the
/// calling thread, which passes them to `offer` (dedupe, which does not
/// depend on arrival order). Returns the diffs run and the summed metrics.
pub fn diff_parallel(
    repo_path: &Path,
    selected: &Selected,
    threads: usize,
    cache_budget: usize,
    offer: &mut Offer<'_>,
) -> Result<(u64, StageMetrics)> {
    let n = selected.commits.len();
    let batch = (n / (threads * 8)).clamp(16, 512);
    let batches = n.div_ceil(batch);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = crossbeam_channel::bounded::<Result<Batch>>(threads * 2);
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (tx, next, stop) = (tx.clone(), &next, &stop);
            let work = move || -> Result<(u64, StageMetrics)> {
                let repo = Repo::open(repo_path)?;
                let mut src = repo.trees();
                let mut td = TreeDiff::new(cache_budget / threads, repo_path.to_owned());
                let mut diffs = 0;
                while !stop.load(AtomicOrdering::Relaxed) {
                    let b = next.fetch_add(1, AtomicOrdering::Relaxed);
                    if b >= batches {
                        break;
                    }
                    // Batch 0 holds the newest commits.
                    let end = n - b * batch;
                    let mut out = Batch::default();
                    let r = diff_commits(
                        &mut td,
                        &mut src,
                        selected,
                        end.saturating_sub(batch)..end,
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
                Ok((diffs, td.metrics))
            };
            let spawned = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work);
            handles
                .push(spawned.map_err(|e| {
                    Error::Options(format!("cannot start a tree-diff thread: {e}"))
                })?);
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
        let mut total = (0, StageMetrics::default());
        for h in handles {
            match h.join() {
                Ok(Ok((d, m))) => {
                    total.0 += d;
                    total.1.add(&m);
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
}
