//! Dedupe: candidates → unique blob ids, each with one canonical context.
//!
//! # Canonical context
//! Commit C introduces blob B at path P if, diffing C's tree against *each*
//! parent (root commits against the empty tree), P is added, modified or
//! type-changed to B (`git log -m --raw --no-renames --diff-filter=AMT`).
//! Among all introductions of B the canonical one is the minimum by
//! 1. committer timestamp, ascending;
//! 2. commit id (hex, i.e. bytes), ascending;
//! 3. path bytes, ascending;
//! 4. parent index, ascending (only breaks the tie where one merge introduces
//!    B at P relative to two parents; it picks the first such parent, the
//!    first line `git log -m` prints, and decides added vs modified).
//!
//! Commits arrive here as ranks in the order (1, 2) (see
//! [`crate::git::repo::Selected`]), so a context is `(commit rank, path,
//! parent)` and comparing contexts is comparing those. With `--all`, refs
//! that name a blob or a tree introduce it (or the tree's blobs) too; their
//! ranks follow every commit's, in ref-name order
//! ([`crate::git::repo::Selected::origin`]), so the same comparison puts them
//! after all commit introductions. The order is total and independent of
//! chunking, spilling and threads.
//!
//! Tree diff does not run every one of those diffs: a merge whose first
//! parent's line of first parents all ranks below it is diffed against its
//! first parent only, because an introduction relative to another parent
//! is then never the minimum (`repo::first_parent_suffices` has the proof;
//! the contexts are the same, tested against `git log -m`).
//!
//! # Memory
//! The candidate table (blob id → best context so far) is bounded by
//! `budget` bytes at [`ENTRY_COST`] per entry. When full, it is sorted by blob
//! id and written as an already-reduced run (one record per blob) to a
//! temporary file in the spill directory; at the end the runs are k-way
//! merged, keeping the minimum context per blob. Spill files are
//! `tempfile`s: they are removed when the scan ends, on error and on unwind.
//! Paths are interned once each (distinct paths, not introductions); the
//! intern table and the output (one fixed-size [`Unique`] per blob) are not
//! part of the budget.

use crate::git::error::{Error, Result};
use crate::git::metrics::{StageMetrics, StageTimer};
use crate::git::table_hash::{TableHasher, TableHashing, TableMap};
use crate::sink::ChangeKind;
use gix::ObjectId;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;
use tempfile::NamedTempFile;

/// Bytes the candidate table is charged per entry (key, value, table slack).
pub const ENTRY_COST: usize = 48;

const RECORD: usize = 20 + 4 + 4 + 4 + 1;

/// A canonical-context candidate, in compact form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    /// Rank in canonical order: a commit's index in the selection, or a
    /// ref naming a tree or blob after them (see `Selected::origin`).
    pub commit: u32,
    /// Interned path id (see [`Paths`]).
    pub path: u32,
    /// Index of the parent the diff was against.
    pub parent: u32,
    pub change: ChangeKind,
}

/// One unique blob and its canonical context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unique {
    pub oid: ObjectId,
    pub ctx: Ctx,
}

/// Interned paths.
#[derive(Debug, Default)]
pub struct Paths {
    list: Vec<Box<[u8]>>,
    // Paths are chosen by the repository's author: seeded per process unless
    // the caller asks for fixed keys (see `table_hash`).
    map: TableMap<Box<[u8]>, u32>,
}

impl Paths {
    fn new(hashing: TableHashing) -> Self {
        Paths {
            list: Vec::new(),
            map: TableMap::with_hasher(TableHasher::new(hashing)),
        }
    }

    pub fn get(&self, id: u32) -> &[u8] {
        self.list.get(id as usize).map(|p| &p[..]).unwrap_or(&[])
    }

    fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(id) = self.map.get(path) {
            return *id;
        }
        let id = self.list.len() as u32;
        self.list.push(path.into());
        self.map.insert(path.into(), id);
        id
    }
}

/// Compares contexts in canonical order (commit rank, path bytes, parent).
pub fn cmp_ctx(paths: &Paths, a: &Ctx, b: &Ctx) -> Ordering {
    a.commit
        .cmp(&b.commit)
        .then_with(|| {
            if a.path == b.path {
                Ordering::Equal
            } else {
                paths.get(a.path).cmp(paths.get(b.path))
            }
        })
        .then(a.parent.cmp(&b.parent))
}

/// The dedupe stage.
#[derive(Debug)]
pub struct Dedupe {
    map: gix::hashtable::HashMap<ObjectId, Ctx>,
    paths: Paths,
    budget: usize,
    spill_dir: PathBuf,
    runs: Vec<NamedTempFile>,
    pub metrics: StageMetrics,
}

impl Dedupe {
    /// `budget` bytes of candidate table; runs go to `spill_dir`; the path
    /// intern table is seeded as `hashing` says.
    pub fn new(budget: usize, spill_dir: PathBuf, hashing: TableHashing) -> Self {
        Dedupe {
            map: Default::default(),
            paths: Paths::new(hashing),
            budget,
            spill_dir,
            runs: Vec::new(),
            metrics: StageMetrics::default(),
        }
    }

    /// Offers one introduction of `oid`.
    pub fn offer(
        &mut self,
        oid: &ObjectId,
        commit: u32,
        parent: u32,
        path: &[u8],
        change: ChangeKind,
    ) -> Result<()> {
        self.metrics.items_in += 1;
        if let Some(best) = self.map.get_mut(oid) {
            let better = match commit.cmp(&best.commit) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => match path.cmp(self.paths.get(best.path)) {
                    Ordering::Less => true,
                    Ordering::Greater => false,
                    Ordering::Equal => parent < best.parent,
                },
            };
            if better {
                let path = self.paths.intern(path);
                // Re-borrow: interning may not touch the table, but the
                // borrow checker cannot see that.
                if let Some(best) = self.map.get_mut(oid) {
                    *best = Ctx {
                        commit,
                        path,
                        parent,
                        change,
                    };
                }
            }
            return Ok(());
        }
        let path = self.paths.intern(path);
        self.map.insert(
            *oid,
            Ctx {
                commit,
                path,
                parent,
                change,
            },
        );
        if self.map.len().saturating_mul(ENTRY_COST) > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill_err(&self, source: std::io::Error) -> Error {
        Error::Spill {
            dir: self.spill_dir.clone(),
            source,
        }
    }

    fn spill(&mut self) -> Result<()> {
        let mut entries: Vec<(ObjectId, Ctx)> = self.map.drain().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let file = tempfile::Builder::new()
            .prefix("scanner-dedupe-")
            .suffix(".run")
            .tempfile_in(&self.spill_dir)
            .map_err(|e| self.spill_err(e))?;
        {
            let mut w = BufWriter::with_capacity(64 * 1024, file.as_file());
            let mut rec = [0u8; RECORD];
            for (oid, ctx) in &entries {
                encode(oid, ctx, &mut rec);
                w.write_all(&rec).map_err(|e| self.spill_err(e))?;
            }
            w.flush().map_err(|e| self.spill_err(e))?;
        }
        self.metrics.spill_runs += 1;
        self.metrics.spill_bytes += (entries.len() * RECORD) as u64;
        self.runs.push(file);
        Ok(())
    }

    /// Ends the stage: unique blobs sorted by id, and the path table.
    /// Spill files are removed before this returns (also on error).
    pub fn finish(mut self, timer: StageTimer) -> Result<(Vec<Unique>, Paths, StageMetrics)> {
        let out = if self.runs.is_empty() {
            let mut v: Vec<Unique> = self
                .map
                .drain()
                .map(|(oid, ctx)| Unique { oid, ctx })
                .collect();
            v.sort_unstable_by_key(|u| u.oid);
            v
        } else {
            if !self.map.is_empty() {
                self.spill()?;
            }
            self.merge()?
        };
        self.runs.clear();
        self.metrics.items_out = out.len() as u64;
        let mut metrics = std::mem::take(&mut self.metrics);
        timer.finish(&mut metrics);
        Ok((out, std::mem::take(&mut self.paths), metrics))
    }

    /// K-way merge of the spilled runs. Allocates per run (readers, heap
    /// slots) and once for the output, never per record (guarded by
    /// `tests/git_alloc_guard.rs`).
    fn merge(&mut self) -> Result<Vec<Unique>> {
        let mut readers = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let mut f = run.reopen().map_err(|e| self.spill_err(e))?;
            f.rewind().map_err(|e| self.spill_err(e))?;
            readers.push(BufReader::with_capacity(64 * 1024, f));
        }
        let mut heads: Vec<Option<(ObjectId, Ctx)>> = Vec::with_capacity(readers.len());
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (i, r) in readers.iter_mut().enumerate() {
            let h = read_record(r).map_err(|e| self.spill_err(e))?;
            if let Some((oid, _)) = &h {
                heap.push(Reverse((*oid, i)));
            }
            heads.push(h);
        }
        // At most one unique blob per spilled record: the output never grows.
        let records = usize::try_from(self.metrics.spill_bytes).unwrap_or(0) / RECORD;
        let mut out = Vec::with_capacity(records);
        let mut advance = Vec::with_capacity(readers.len());
        while let Some(Reverse((oid, i))) = heap.pop() {
            let Some((_, mut best)) = heads[i].take() else {
                continue;
            };
            advance.clear();
            advance.push(i);
            while let Some(Reverse((next, j))) = heap.peek().copied() {
                if next != oid {
                    break;
                }
                heap.pop();
                if let Some((_, c)) = heads[j].take()
                    && cmp_ctx(&self.paths, &c, &best) == Ordering::Less
                {
                    best = c;
                }
                advance.push(j);
            }
            for &j in &advance {
                let h = read_record(&mut readers[j]).map_err(|e| self.spill_err(e))?;
                if let Some((o, _)) = &h {
                    heap.push(Reverse((*o, j)));
                }
                heads[j] = h;
            }
            out.push(Unique { oid, ctx: best });
        }
        Ok(out)
    }
}

fn encode(oid: &ObjectId, ctx: &Ctx, rec: &mut [u8; RECORD]) {
    rec[..20].copy_from_slice(oid.as_bytes());
    rec[20..24].copy_from_slice(&ctx.commit.to_le_bytes());
    rec[24..28].copy_from_slice(&ctx.path.to_le_bytes());
    rec[28..32].copy_from_slice(&ctx.parent.to_le_bytes());
    rec[32] = match ctx.change {
        ChangeKind::Added => 0,
        ChangeKind::Modified => 1,
    };
}

fn read_record(r: &mut impl Read) -> std::io::Result<Option<(ObjectId, Ctx)>> {
    let mut rec = [0u8; RECORD];
    match r.read_exact(&mut rec) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let u32_at = |i: usize| u32::from_le_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
    let oid = ObjectId::from_bytes_or_panic(&rec[..20]);
    let change = if rec[32] == 0 {
        ChangeKind::Added
    } else {
        ChangeKind::Modified
    };
    Ok(Some((
        oid,
        Ctx {
            commit: u32_at(20),
            path: u32_at(24),
            parent: u32_at(28),
            change,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn oid(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the budget (hence the number of spilled runs) and the
        /// arrival order, each blob gets the minimum context (with either
        /// table hashing: the result must not depend on it).
        #[test]
        fn result_is_the_minimum_whatever_the_budget(
            cands in prop::collection::vec((0u8..40, 0u32..30, 0u32..3, 0usize..6, any::<bool>()), 0..300),
            budget_entries in 0usize..50,
            hashing in prop::sample::select(TableHashing::all().to_vec()),
        ) {
            const PATHS: [&str; 6] = ["b", "a/x", "a", "a/x/y", "c", "a-"];
            let dir = tempfile::tempdir().unwrap();
            let mut d = Dedupe::new(budget_entries * ENTRY_COST, dir.path().to_owned(), hashing);
            let mut want: BTreeMap<ObjectId, (u32, &str, u32, ChangeKind)> = BTreeMap::new();
            for &(o, commit, parent, p, added) in &cands {
                let change = if added { ChangeKind::Added } else { ChangeKind::Modified };
                d.offer(&oid(o), commit, parent, PATHS[p].as_bytes(), change).unwrap();
                let c = (commit, PATHS[p], parent, change);
                let e = want.entry(oid(o)).or_insert(c);
                if (c.0, c.1.as_bytes(), c.2) < (e.0, e.1.as_bytes(), e.2) {
                    *e = c;
                }
            }
            let (out, paths, m) = d.finish(StageTimer::start(None)).unwrap();
            prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
            if budget_entries < 10 && want.len() > 20 {
                prop_assert!(m.spill_runs > 1);
            }
            let got: BTreeMap<ObjectId, (u32, &str, u32, ChangeKind)> = out
                .iter()
                .map(|u| (u.oid, (u.ctx.commit, std::str::from_utf8(paths.get(u.ctx.path)).unwrap(), u.ctx.parent, u.ctx.change)))
                .collect();
            prop_assert_eq!(out.len(), got.len());
            prop_assert_eq!(got, want);
        }
    }
}
