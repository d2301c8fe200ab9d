//! Repository access: open, read refs, select commits.
//!
//! [`Repo::open`] opens a bare or non-bare repository with gix (isolated from
//! user and system configuration, so results do not depend on the machine).
//! [`Repo::select`] turns a [`Selection`] into the set of commits to scan with
//! `git rev-list` semantics: `--all` is every ref plus `HEAD`, `A..B` is what
//! is reachable from `B` but not from `A`, a list of refs is their union.
//!
//! `--all` also keeps, as [`RefTip`]s, the refs that name a tree or a blob
//! (directly or through tags, e.g. a maintainer's key stored as a tagged
//! blob): `git rev-list --objects --all` reaches those objects, so the scan
//! must too. Every ref counts, including `refs/notes/*`, `refs/stash` and
//! `refs/replace/*`, exactly as `--all` does in git (reflogs do not).
//! Replace refs are not applied: objects are read as stored, so both the
//! original and the replacement history are scanned (what `git
//! --no-replace-objects rev-list --all` reaches).
//!
//! Commit data (tree, parents, committer time) comes from the commit-graph
//! when present and covering the commit, otherwise from the commit object.
//! A commit-graph that cannot be opened, or an entry of it that is
//! inconsistent, is not used: the commits are read from the objects and the
//! outcome carries one [`Warning::CommitGraphIgnored`].
//!
//! Damage in the history does not stop the selection: a commit that is
//! absent or unparsable (a parent, or a ref's target) and a tag a ref names
//! that cannot be read become [`Skipped`] entries in [`Selected::damaged`]
//! ([`SkipReason::DamagedCommit`], [`SkipReason::DamagedTag`]), the commits
//! naming a damaged parent keep their other parents, and the walk goes on.
//! Revisions the caller names that cannot be resolved stay errors.
//!
//! Invariants of [`Selected`]: commits are sorted by (committer time, id),
//! which is the canonical order, so a commit's index is its rank; every
//! commit carries the tree ids of all its parents (parents outside the
//! selection included), so tree diff never walks the graph again. Commits
//! listed in `.git/shallow` are treated as parentless, like git does.

use crate::git::error::{Error, Result};
use crate::git::metrics::StageMetrics;
use crate::git::odb::{Decoder, Limits, Packs};
use crate::git::{ReachedFrom, SkipReason, Skipped, Warning};
use gix::ObjectId;
use gix::hashtable::HashSet;
use gix::objs::Find;
use std::path::{Path, PathBuf};

/// Bytes of gix's delta-base cache used while reading trees and commits.
const PACK_CACHE_BYTES: usize = 8 << 20;

/// Which commits to scan.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Selection {
    /// `HEAD` and its history (like `git log` with no revision).
    #[default]
    Head,
    /// Every ref (branches, tags, remotes, notes, stash, replace…), `HEAD`
    /// and the HEADs of linked worktrees, like `--all`; refs naming a tree
    /// or a blob contribute its blobs (see `RefTip`).
    All,
    /// `A..B`: reachable from `B`, not reachable from `A`.
    Range(String),
    /// The union of the histories of these refs or full hex ids.
    Refs(Vec<String>),
}

/// One selected commit, as tree diff needs it.
#[derive(Clone, Debug)]
pub struct SelectedCommit {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// Committer timestamp, seconds since the epoch (time zone ignored).
    pub time: i64,
    /// Range into [`Selected::parent_trees`].
    parents: (u32, u32),
    /// Whether the diffs against the parents after the first can be left
    /// out: none of their introductions can be a blob's canonical one (see
    /// [`first_parent_suffices`]).
    pub first_parent_only: bool,
}

/// The selected commits in canonical order (committer time, id).
#[derive(Debug, Default)]
pub struct Selected {
    pub commits: Vec<SelectedCommit>,
    parent_trees: Vec<ObjectId>,
    /// Commits that were treated as roots because they are shallow.
    pub shallow_roots: Vec<ObjectId>,
    /// `--all` only: refs naming a tree or a blob, sorted by name. Their
    /// ranks follow the commits' (see [`Selected::origin`]).
    pub ref_tips: Vec<RefTip>,
    /// Damaged commits and tags met on the way, sorted by id.
    pub damaged: Vec<Skipped>,
}

/// A ref that names a tree or a blob rather than a commit (after peeling
/// tags, tags of tags included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefTip {
    /// Full ref name (`refs/tags/key`, or `HEAD`).
    pub name: Vec<u8>,
    /// The tree or blob it names.
    pub id: ObjectId,
    /// Whether `id` is a tree (its blobs are scanned) or a blob. A target
    /// absent from the object database (partial clone) counts as a blob, so
    /// that it is reported as missing.
    pub is_tree: bool,
}

/// `primary` value of a root commit (no diffed parent).
const ROOT: u32 = u32::MAX;
/// `primary` value of a commit whose first diffed parent is not selected
/// (the start of a range, or below a shallow boundary).
const OUTSIDE: u32 = u32::MAX - 1;

/// For each commit (by rank), given the rank of its first diffed parent
/// (`primary`, or [`ROOT`], or [`OUTSIDE`]): whether its diffs against its
/// other parents can be left out without changing any blob's canonical
/// context, nor the set of blobs.
///
/// Why: let merge X have a second-parent introduction (X, path p, parent
/// k ≥ 1) of blob B. If B is nowhere in the first parent's tree, X's
/// first-parent diff introduces B at p too, with parent index 0: smaller.
/// Otherwise B is in the tree of X's first parent P, and following first
/// parents down from P there is a commit Y whose first-parent diff (or
/// root diff) introduces B: at each commit either the first parent holds B
/// at the same path and mode, or this commit's diff introduces it. If every
/// commit on P's first-parent chain ranks below X (their committer times
/// are older, as they are unless clocks were skewed), Y does too, and Y's
/// introduction is smaller. Either way the second-parent introduction is
/// never the minimum, and every blob is still introduced somewhere. The
/// chain must lie wholly inside the selection, since a commit outside it
/// introduces nothing; a skewed clock on the chain only keeps the other
/// diffs (exact, just slower).
// PERF: merges diffed against their other parents produced most of the
// candidates on git's own history. `scanner blobs --all --metrics` on a
// git.git mirror (203 k commits, 56 k merges, 42.6 k of them skip the other
// diffs): diffs 259,780 → 217,110, candidates 16.1 M → 3.5 M,
// `tree_diff.wall_ns` 5.50 → 3.14 s, output byte-identical.
fn first_parent_suffices(primary: &[u32]) -> Vec<bool> {
    // The highest rank on each commit's first-parent chain (itself
    // included); `OUTSIDE` when the chain leaves the selection (or, in a
    // forged repository, loops).
    const UNKNOWN: u32 = u32::MAX;
    const VISITING: u32 = u32::MAX - 2;
    let mut chain_max = vec![UNKNOWN; primary.len()];
    let mut path: Vec<usize> = Vec::new();
    for start in 0..primary.len() {
        let mut r = start;
        // Down the chain to a known value (or its end).
        let mut below = loop {
            match chain_max[r] {
                UNKNOWN => {}
                VISITING => break OUTSIDE,
                known => break known,
            }
            chain_max[r] = VISITING;
            path.push(r);
            match primary[r] {
                ROOT => break 0,
                OUTSIDE => break OUTSIDE,
                p => r = p as usize,
            }
        };
        // Back up, each commit's value from the one below it.
        while let Some(r) = path.pop() {
            if below != OUTSIDE {
                below = below.max(r as u32);
            }
            chain_max[r] = below;
        }
    }
    primary
        .iter()
        .enumerate()
        .map(|(rank, &p)| match p {
            ROOT | OUTSIDE => false,
            p => chain_max[p as usize] < rank as u32,
        })
        .collect()
}

/// What a canonical-context rank stands for.
#[derive(Clone, Copy, Debug)]
pub enum Origin<'a> {
    /// A selected commit (diffed against its parents).
    Commit(&'a SelectedCommit),
    /// A ref naming a tree or blob directly.
    Ref(&'a RefTip),
}

impl Selected {
    /// Trees of the commit's parents, in parent order; empty for roots.
    pub fn parent_trees(&self, c: &SelectedCommit) -> &[ObjectId] {
        &self.parent_trees[c.parents.0 as usize..c.parents.1 as usize]
    }

    /// The parent trees the scan diffs the commit against: all of them, or
    /// only the first where that decides the same contexts
    /// ([`SelectedCommit::first_parent_only`]).
    pub fn diffed_parent_trees(&self, c: &SelectedCommit) -> &[ObjectId] {
        let all = self.parent_trees(c);
        if c.first_parent_only { &all[..1] } else { all }
    }

    /// Frees the parent trees once tree diff is done: exec and the report
    /// need the commits' ids and times only (4.5 MB on git.git's 203 k
    /// commits). Afterwards every commit reads as a root.
    pub(crate) fn release_parent_trees(&mut self) {
        self.parent_trees = Vec::new();
        for c in &mut self.commits {
            c.parents = (0, 0);
            c.first_parent_only = false;
        }
    }

    /// Ranks `0..commits.len()` are the commits in canonical order; the
    /// ranks after them are [`Selected::ref_tips`] in name order, so every
    /// commit introduction sorts before every ref one.
    pub fn origin(&self, rank: u32) -> Option<Origin<'_>> {
        let rank = rank as usize;
        match self.commits.get(rank) {
            Some(c) => Some(Origin::Commit(c)),
            None => self
                .ref_tips
                .get(rank - self.commits.len())
                .map(Origin::Ref),
        }
    }
}

/// Repository formats gix (as built here, SHA-1 only) cannot read, as the
/// repository's `config` declares them: what, and the setting. Without this
/// check a SHA-256 repository fails to open with "configuration could not
/// be loaded" and a reftable one with "reference could not be decoded".
/// Only the usual layouts are looked at (`path/.git/config`,
/// `path/config`); anything else is left to gix.
fn unsupported_format(path: &Path) -> Option<(&'static str, &'static str)> {
    let text = std::fs::read_to_string(path.join(".git").join("config"))
        .or_else(|_| std::fs::read_to_string(path.join("config")))
        .ok()?;
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[') {
            section = name.trim_end_matches(']').trim().to_ascii_lowercase();
            continue;
        }
        if section != "extensions" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (
            key.trim().to_ascii_lowercase(),
            value.trim().to_ascii_lowercase(),
        );
        match (key.as_str(), value.as_str()) {
            ("objectformat", "sha256") => {
                return Some(("SHA-256", "extensions.objectFormat = sha256"));
            }
            ("refstorage", "reftable") => {
                return Some(("the reftable ref store", "extensions.refStorage = reftable"));
            }
            _ => {}
        }
    }
    None
}

/// Longest chain of tags (tag of a tag of …) followed. git sets no limit;
/// each level is a distinct object, so only crafted data gets near this.
const MAX_TAG_DEPTH: usize = 64;

/// What a ref names once tags are peeled.
enum Peeled {
    Commit(ObjectId),
    /// A tree or a blob (or an absent object of unknown kind).
    Other {
        id: ObjectId,
        is_tree: bool,
    },
    /// A tag on the way (`id`) could not be read or parsed.
    DamagedTag {
        id: ObjectId,
        message: String,
    },
}

/// What the scan needs of a commit.
#[derive(Debug)]
pub struct CommitData {
    pub tree: ObjectId,
    /// Committer timestamp, seconds since the epoch.
    pub time: i64,
    pub parents: Vec<ObjectId>,
}

/// Largest commit read from a pack by its head (a larger one is read
/// through gix, which reports it).
const COMMIT_MAX: u64 = 64 << 20;

/// The length of a commit's head: up to and including the end of its
/// committer line, which follows the tree, parent and author lines.
fn commit_head_end(buf: &[u8]) -> Option<usize> {
    let mut line = 0;
    while let Some(nl) = buf[line..].iter().position(|&b| b == b'\n') {
        let end = line + nl + 1;
        if buf[line..].starts_with(b"committer ") {
            return Some(end);
        }
        // The headers end at the first empty line.
        if nl == 0 {
            return None;
        }
        line = end;
    }
    None
}

/// Parses a commit object's body as the scan does (tree, parents, committer
/// time; the rest is not read): why it is corrupt otherwise.
pub fn parse_commit(data: &[u8]) -> std::result::Result<CommitData, String> {
    let corrupt = |e: &dyn std::fmt::Display| format!("corrupt commit: {e}");
    let mut iter = gix::objs::CommitRefIter::from_bytes(data, gix::hash::Kind::Sha1);
    let tree = iter.tree_id().map_err(|e| corrupt(&e))?;
    let iter = gix::objs::CommitRefIter::from_bytes(data, gix::hash::Kind::Sha1);
    let parents: Vec<ObjectId> = iter.parent_ids().collect();
    let iter = gix::objs::CommitRefIter::from_bytes(data, gix::hash::Kind::Sha1);
    // The committer comes after every parent, so an unparsable parent
    // line is an error here too.
    let time = iter.committer().map_err(|e| corrupt(&e))?.seconds();
    Ok(CommitData {
        tree,
        time,
        parents,
    })
}

/// Commits to walk from, each with the ref (or revision) that names it.
type Tips = Vec<(ObjectId, String)>;

/// What reading one commit found.
enum CommitRead {
    Commit(CommitData),
    /// Not in the object database.
    Absent,
    /// In the object database, but another kind of object.
    NotACommit(gix::objs::Kind),
    /// Present but unreadable or unparsable: why.
    Damaged(String),
}

impl CommitRead {
    fn commit(self) -> Option<CommitData> {
        match self {
            CommitRead::Commit(c) => Some(c),
            _ => None,
        }
    }

    /// Why a commit the history needs is not usable (`None`: it is).
    fn damage(&self) -> Option<String> {
        match self {
            CommitRead::Commit(_) => None,
            CommitRead::Absent => Some("not in the object database".into()),
            CommitRead::NotACommit(kind) => Some(format!("a {kind}, not a commit")),
            CommitRead::Damaged(m) => Some(m.clone()),
        }
    }
}

/// A damaged commit or tag as the walk meets it: the refs and commits that
/// led to it are merged into the first of them and a count, so the report
/// does not depend on the walk order.
struct Damage {
    is_tag: bool,
    first: ReachedFrom,
    reached: u64,
    message: String,
}

/// Damaged objects by id.
#[derive(Default)]
struct DamageLog(std::collections::BTreeMap<ObjectId, Damage>);

impl DamageLog {
    fn note(
        &mut self,
        id: ObjectId,
        is_tag: bool,
        via: ReachedFrom,
        message: impl FnOnce() -> String,
    ) {
        match self.0.get_mut(&id) {
            Some(d) => {
                d.reached += 1;
                if via < d.first {
                    d.first = via;
                }
            }
            None => {
                self.0.insert(
                    id,
                    Damage {
                        is_tag,
                        first: via,
                        reached: 1,
                        message: message(),
                    },
                );
            }
        }
    }

    fn into_skipped(self) -> Vec<Skipped> {
        self.0
            .into_iter()
            .map(|(oid, d)| Skipped {
                oid,
                reason: match (d.is_tag, d.first) {
                    (true, ReachedFrom::Ref(ref_name)) => SkipReason::DamagedTag {
                        ref_name,
                        refs: d.reached,
                        message: d.message,
                    },
                    (_, first) => SkipReason::DamagedCommit {
                        reached_from: first,
                        reached: d.reached,
                        message: d.message,
                    },
                },
            })
            .collect()
    }
}

/// An open repository.
pub struct Repo {
    pub(crate) repo: gix::Repository,
    /// The packs and their index, opened once and shared by every stage.
    pub packs: Packs,
    path: PathBuf,
    graph: Option<gix::commitgraph::Graph>,
    shallow: Vec<ObjectId>,
    buf: Vec<u8>,
    /// Reads commit heads straight from the packs (see `read_commit`).
    decoder: Decoder,
    /// What was worked around (the outcome's warnings), each once.
    pub warnings: Vec<Warning>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Repo {
    /// A gix handle on the repository at `path`: isolated from user and
    /// system configuration, with a delta-base cache. Tree-diff workers
    /// open one each (a gix handle is not `Send`).
    pub(crate) fn open_handle(path: &Path) -> Result<gix::Repository> {
        let not_repo = |message: String| Error::NotARepository {
            path: path.to_owned(),
            message,
        };
        if !path.exists() {
            return Err(not_repo("no such directory".into()));
        }
        if let Some((feature, setting)) = unsupported_format(path) {
            return Err(Error::Unsupported {
                path: path.to_owned(),
                feature,
                setting,
            });
        }
        // Replace refs stay refs (their targets are `--all` tips) but do not
        // substitute objects: the packs are read directly elsewhere, and the
        // original history must be scanned too.
        let opts = gix::open::Options::isolated().config_overrides(["core.useReplaceRefs=false"]);
        let mut repo = gix::open_opts(path, opts).map_err(|e| not_repo(e.to_string()))?;
        // PERF: without a delta-base cache every tree read re-inflates its
        // whole delta chain. Synthetic 6000-commit repository (50k trees,
        // `git repack -adf --depth=50`), tree diff newest-first, release:
        // 400-440 ms without this cache, 160-270 ms with it (busy machine).
        // 8 MiB is enough newest-first: 32 MiB was no faster on a
        // 20000-commit repository and cost 30 MB of peak RSS per handle.
        // (Packed trees are now decoded by `odb`; gix reads commits without
        // a commit-graph and loose trees.)
        repo.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                PACK_CACHE_BYTES,
            ))
        });
        Ok(repo)
    }

    /// Opens the repository at `path` (work tree or `.git`/bare directory)
    /// and its packs.
    pub fn open(path: &Path) -> Result<Repo> {
        let repo = Self::open_handle(path)?;
        let mut warnings = Vec::new();
        let graph = match repo.commit_graph_if_enabled() {
            Ok(g) => g,
            Err(e) => {
                warnings.push(Warning::CommitGraphIgnored {
                    path: repo.objects.store_ref().path().join("info"),
                    message: e.to_string(),
                });
                None
            }
        };
        let packs = Packs::open(repo.objects.store_ref().path())?;
        let shallow_file = repo.git_dir().join("shallow");
        let mut shallow = Vec::new();
        if let Ok(text) = std::fs::read_to_string(&shallow_file) {
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let id = ObjectId::from_hex(line.as_bytes()).map_err(|e| Error::Refs {
                    path: shallow_file.clone(),
                    message: format!("bad shallow entry '{line}': {e}"),
                })?;
                shallow.push(id);
            }
            shallow.sort();
        }
        Ok(Repo {
            repo,
            packs,
            path: path.to_owned(),
            graph,
            shallow,
            buf: Vec::new(),
            decoder: Decoder::new(Limits::objects_up_to(COMMIT_MAX)),
            warnings,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The repository's object directory (`.git/objects`); the stage
    /// microbenchmarks link its packs elsewhere.
    #[cfg(feature = "internals")]
    pub fn objects_dir(&self) -> PathBuf {
        self.repo.objects.store_ref().path().to_owned()
    }

    fn refs_err(&self, e: impl std::fmt::Display) -> Error {
        Error::Refs {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn obj_err(&self, what: &'static str, oid: ObjectId, e: impl std::fmt::Display) -> Error {
        Error::Object {
            path: self.path.clone(),
            what,
            oid,
            message: e.to_string(),
        }
    }

    /// Resolves `NAME` followed by any `~N`/`^N` suffixes (first-parent
    /// ancestor, N-th parent), where NAME is a ref, `HEAD` or a full hex id.
    fn resolve_rev(&mut self, spec: &str, m: &mut StageMetrics) -> Result<ObjectId> {
        let path = self.path.clone();
        let unknown = || Error::UnknownRevision {
            path: path.clone(),
            name: spec.to_owned(),
        };
        let split = spec.find(['~', '^']).unwrap_or(spec.len());
        let mut id = self.resolve(&spec[..split])?;
        let mut rest = &spec.as_bytes()[split..];
        while let Some((&op, tail)) = rest.split_first() {
            let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
            let n: usize = if digits == 0 {
                1
            } else {
                std::str::from_utf8(&tail[..digits])
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(unknown)?
            };
            rest = &tail[digits..];
            match op {
                b'~' => {
                    for _ in 0..n {
                        let c = self.revision_commit(spec, id, m)?.ok_or_else(unknown)?;
                        id = *c.parents.first().ok_or_else(unknown)?;
                    }
                }
                b'^' if n == 0 => {}
                b'^' => {
                    let c = self.revision_commit(spec, id, m)?.ok_or_else(unknown)?;
                    id = *c.parents.get(n - 1).ok_or_else(unknown)?;
                }
                _ => return Err(unknown()),
            }
        }
        Ok(id)
    }

    /// A commit on the way to the revision `spec` names: `None` when it is
    /// absent or not a commit; an error naming it when it is damaged (the
    /// revision cannot be resolved).
    fn revision_commit(
        &mut self,
        spec: &str,
        id: ObjectId,
        m: &mut StageMetrics,
    ) -> Result<Option<CommitData>> {
        match self.read_commit(&id, m) {
            CommitRead::Damaged(message) => {
                Err(self.obj_err("commit", id, format!("resolving '{spec}': {message}")))
            }
            other => Ok(other.commit()),
        }
    }

    /// Resolves a ref name, `HEAD` or a full hex id to an object id.
    fn resolve(&self, name: &str) -> Result<ObjectId> {
        let unknown = || Error::UnknownRevision {
            path: self.path.clone(),
            name: name.to_owned(),
        };
        if name.is_empty() {
            return Err(unknown());
        }
        if name.len() == 40
            && let Ok(id) = ObjectId::from_hex(name.as_bytes())
        {
            return Ok(id);
        }
        if name == "HEAD" {
            let head = self.repo.head().map_err(|e| self.refs_err(e))?;
            if head.is_unborn() {
                let target = head
                    .referent_name()
                    .map(|n| n.as_bstr().to_string())
                    .unwrap_or_default();
                return Err(Error::UnbornHead {
                    path: self.path.clone(),
                    target,
                });
            }
            return head.id().map(|id| id.detach()).ok_or_else(unknown);
        }
        let Ok(Some(mut r)) = self.repo.try_find_reference(name) else {
            return Err(unknown());
        };
        r.peel_to_id()
            .map(|id| id.detach())
            .map_err(|e| self.refs_err(format!("{name}: {e}")))
    }

    /// Every ref and HEAD (when born), peeled: the commits they name (with
    /// the ref's name), and (sorted by name) those that name a tree or a
    /// blob instead. Damaged tags go to `damage`.
    fn all_tips(&mut self, damage: &mut DamageLog) -> Result<(Tips, Vec<RefTip>)> {
        let mut named: Vec<(Vec<u8>, ObjectId)> = Vec::new();
        {
            let platform = self.repo.references().map_err(|e| self.refs_err(e))?;
            for r in platform.all().map_err(|e| self.refs_err(e))? {
                let mut r = r.map_err(|e| self.refs_err(e))?;
                // The ref's own name, also for a symbolic ref, as git lists it.
                let name = r.name().as_bstr().to_vec();
                // A dangling symbolic ref names nothing: git ignores it too.
                if let Ok(id) = r.follow_to_object() {
                    named.push((name, id.detach()));
                }
            }
        }
        if let Ok(head) = self.repo.head()
            && let Some(id) = head.id()
        {
            named.push((b"HEAD".to_vec(), id.detach()));
        }
        let mut tips = Vec::new();
        let mut ref_tips = Vec::new();
        for (name, id) in named {
            match self.peel(id) {
                Peeled::Commit(id) => tips.push((id, String::from_utf8_lossy(&name).into_owned())),
                Peeled::Other { id, is_tree } => ref_tips.push(RefTip { name, id, is_tree }),
                Peeled::DamagedTag { id, message } => {
                    let via = ReachedFrom::Ref(String::from_utf8_lossy(&name).into_owned());
                    damage.note(id, true, via, || message);
                }
            }
        }
        self.linked_worktree_heads(&mut tips);
        if tips.is_empty() && ref_tips.is_empty() && damage.0.is_empty() {
            return Err(Error::EmptyRepository {
                path: self.path.clone(),
            });
        }
        tips.sort();
        tips.dedup();
        ref_tips.sort_by(|a: &RefTip, b: &RefTip| a.name.cmp(&b.name));
        Ok((tips, ref_tips))
    }

    /// Follows tags (tags of tags too) from `id`, which a ref points at, to
    /// the object they finally name.
    fn peel(&mut self, mut id: ObjectId) -> Peeled {
        use gix::objs::{FindHeader, Kind};
        let damaged = |id, message| Peeled::DamagedTag { id, message };
        // What the tag pointing at `id` says it is (None: no tag yet).
        let mut declared: Option<Kind> = None;
        // The first tag of the chain, named when the chain is too long.
        let first = id;
        for _ in 0..=MAX_TAG_DEPTH {
            let header = match self.repo.objects.try_header(&id) {
                Ok(h) => h,
                // Unreadable: a tag when one declared it so, else unknown.
                Err(e) if declared.is_none_or(|k| k == Kind::Tag) => {
                    return damaged(id, e.to_string());
                }
                Err(_) if declared == Some(Kind::Commit) => return Peeled::Commit(id),
                Err(_) => return Peeled::Other { id, is_tree: false },
            };
            let kind = match header {
                Some(h) => h.kind,
                // Absent (partial clone, or a broken ref): a commit is
                // listed as a damaged commit by the walk; anything else is
                // listed, so that mapping reports it missing.
                None if declared == Some(Kind::Commit) => return Peeled::Commit(id),
                None => return Peeled::Other { id, is_tree: false },
            };
            match kind {
                Kind::Commit => return Peeled::Commit(id),
                Kind::Tree => return Peeled::Other { id, is_tree: true },
                Kind::Blob => return Peeled::Other { id, is_tree: false },
                Kind::Tag => {}
            }
            let data = match self.repo.objects.try_find(&id, &mut self.buf) {
                Ok(Some(d)) => d,
                Ok(None) => return damaged(id, "tag vanished while read".into()),
                Err(e) => return damaged(id, e.to_string()),
            };
            match gix::objs::TagRef::from_bytes(data.data, gix::hash::Kind::Sha1) {
                Ok(tag) => {
                    declared = Some(tag.target_kind);
                    id = tag.target();
                }
                Err(e) => return damaged(id, format!("corrupt tag: {e}")),
            }
        }
        damaged(first, format!("more than {MAX_TAG_DEPTH} tags in a chain"))
    }

    /// Like `git rev-list --all`, the HEADs of linked worktrees count too
    /// (`$GIT_COMMON_DIR/worktrees/*/HEAD`); unreadable ones are ignored.
    fn linked_worktree_heads(&self, tips: &mut Tips) {
        let Ok(dirs) = std::fs::read_dir(self.repo.common_dir().join("worktrees")) else {
            return;
        };
        for dir in dirs.flatten() {
            let Ok(text) = std::fs::read_to_string(dir.path().join("HEAD")) else {
                continue;
            };
            let head = text.trim();
            let id = match head.strip_prefix("ref: ") {
                Some(name) => self.resolve(name).ok(),
                None => ObjectId::from_hex(head.as_bytes()).ok(),
            };
            let name = format!("worktree HEAD {}", dir.path().display());
            tips.extend(id.map(|id| (id, name)));
        }
    }

    /// Reads one commit: commit-graph first, then the object database.
    fn read_commit(&mut self, id: &ObjectId, m: &mut StageMetrics) -> CommitRead {
        if let Some(graph) = &self.graph
            && let Some(pos) = graph.lookup(id)
        {
            let c = graph.commit_at(pos);
            let parents: std::result::Result<Vec<ObjectId>, _> = c
                .iter_parents()
                .map(|p| p.map(|p| graph.id_at(p).to_owned()))
                .collect();
            match parents {
                Ok(parents) => {
                    m.cache_hits += 1;
                    return CommitRead::Commit(CommitData {
                        tree: c.root_tree_id().to_owned(),
                        time: i64::try_from(c.committer_timestamp()).unwrap_or(i64::MAX),
                        parents,
                    });
                }
                // An inconsistent entry: the graph cannot be trusted any
                // more, so every later commit is read from the objects too.
                Err(e) => {
                    self.warnings.push(Warning::CommitGraphIgnored {
                        path: self.repo.objects.store_ref().path().join("info"),
                        message: format!("entry of commit {id}: {e}"),
                    });
                    self.graph = None;
                }
            }
        }
        m.cache_misses += 1;
        if let Some(c) = self.read_packed_commit_head(id, m) {
            return CommitRead::Commit(c);
        }
        let data = match self.repo.objects.try_find(id, &mut self.buf) {
            Ok(Some(d)) => d,
            Ok(None) => return CommitRead::Absent,
            Err(e) => return CommitRead::Damaged(e.to_string()),
        };
        if data.kind != gix::objs::Kind::Commit {
            return CommitRead::NotACommit(data.kind);
        }
        m.bytes_in += data.data.len() as u64;
        match parse_commit(data.data) {
            Ok(c) => CommitRead::Commit(c),
            Err(message) => CommitRead::Damaged(message),
        }
    }

    /// A commit stored whole in a pack, from its head alone (tree,
    /// parents, committer: everything the scan reads); `None` for anything
    /// else (loose, a delta, damaged, unparsable), which `read_commit`
    /// then reads through gix, so damage is reported as before.
    // PERF: the whole commit through gix inflated every message and
    // signature too. `scanner blobs --all --metrics` on a git.git mirror
    // without a commit-graph (203 k commits, 14.8 k of them deltas, which
    // still go through gix): bytes inflated 152 → 56 MB, `repo.wall_ns`
    // median of 5 interleaved runs 1.93 → 1.83 s (busy machine). The rest
    // is one zlib stream per commit (Huffman tables) and index lookups.
    fn read_packed_commit_head(
        &mut self,
        id: &ObjectId,
        m: &mut StageMetrics,
    ) -> Option<CommitData> {
        let (pack_id, offset) = self.packs.find(id)?;
        let Some(Ok(pack)) = self.packs.file(pack_id) else {
            return None;
        };
        let whole = self
            .decoder
            .commit_head(pack, offset, &mut self.buf, commit_head_end)
            .ok()?;
        if !whole {
            return None;
        }
        let c = parse_commit(&self.buf).ok()?;
        m.bytes_in += self.buf.len() as u64;
        Some(c)
    }

    fn is_shallow(&self, id: &ObjectId) -> bool {
        self.shallow.binary_search(id).is_ok()
    }

    /// Frees what commit selection read through: gix's delta-base cache
    /// and the commit buffer. Tree diff reads trees through its own
    /// decoders and caches (and worker handles of its own), exec blobs, so
    /// holding them on was only heap (9 MiB on git.git, where the cache
    /// fills with commits).
    pub(crate) fn release_walk_caches(&mut self) {
        self.repo.objects.unset_pack_cache();
        self.buf = Vec::new();
    }

    /// Selects commits with `git rev-list` semantics.
    pub fn select(&mut self, selection: &Selection, m: &mut StageMetrics) -> Result<Selected> {
        let mut ref_tips = Vec::new();
        let mut damage = DamageLog::default();
        let (tips, hidden, explicit) = match selection {
            Selection::Head => (
                vec![(self.resolve("HEAD")?, "HEAD".to_owned())],
                Vec::new(),
                true,
            ),
            Selection::Refs(names) if !names.is_empty() => {
                let tips = names
                    .iter()
                    .map(|n| Ok((self.resolve_rev(n, m)?, n.clone())))
                    .collect::<Result<Vec<_>>>()?;
                (tips, Vec::new(), true)
            }
            Selection::All => {
                let (tips, refs) = self.all_tips(&mut damage)?;
                ref_tips = refs;
                (tips, Vec::new(), false)
            }
            Selection::Refs(_) => return Err(Error::Options("empty ref list".into())),
            Selection::Range(spec) => {
                let malformed = || Error::MalformedRange {
                    path: self.path.clone(),
                    spec: spec.clone(),
                };
                let (a, b) = spec.split_once("..").ok_or_else(malformed)?;
                if a.is_empty()
                    || b.is_empty()
                    || b.starts_with('.')
                    || a.contains("..")
                    || b.contains("..")
                {
                    return Err(malformed());
                }
                let (b_id, a_id) = (self.resolve_rev(b, m)?, self.resolve_rev(a, m)?);
                (vec![(b_id, b.to_owned())], vec![(a_id, a.to_owned())], true)
            }
        };
        m.items_in = (tips.len() + hidden.len() + ref_tips.len()) as u64;
        // Paint everything reachable from the hidden tips.
        let mut hidden_set = HashSet::default();
        let mut stack = Vec::new();
        for (id, name) in &hidden {
            match self.read_commit(id, m) {
                CommitRead::Commit(_) => stack.push(*id),
                // Without the range start, what to exclude is unknown.
                CommitRead::Damaged(message) => {
                    return Err(self.obj_err("range start", *id, format!("{name}: {message}")));
                }
                CommitRead::Absent | CommitRead::NotACommit(_) => {
                    return Err(Error::NotACommit {
                        path: self.path.clone(),
                        name: format!("range start {id}"),
                    });
                }
            }
        }
        while let Some(id) = stack.pop() {
            if !hidden_set.insert(id) {
                continue;
            }
            // A missing ancestor on the excluded side (a shallow boundary)
            // ends that line of ancestry, as in git; so does a damaged one
            // (what it would exclude is then scanned: more, not less).
            let Some(c) = self.read_commit(&id, m).commit() else {
                continue;
            };
            if !self.is_shallow(&id) {
                stack.extend(c.parents.iter().filter(|p| !hidden_set.contains(*p)));
            }
        }
        // Walk from the tips, collecting commit data.
        let mut seen = HashSet::default();
        let mut out: Vec<(SelectedCommit, Vec<ObjectId>)> = Vec::new();
        let mut shallow_roots = Vec::new();
        // Commits the walk could not use, and why; the loop over parents
        // below notes each commit that names one.
        let mut unusable: gix::hashtable::HashMap<ObjectId, String> =
            gix::hashtable::HashMap::default();
        stack.clear();
        for (id, name) in &tips {
            let read = self.read_commit(id, m);
            match read {
                CommitRead::Commit(_) => stack.push(*id),
                // A revision the caller named that is no commit is a
                // mistake, not damage.
                CommitRead::Absent | CommitRead::NotACommit(_) if explicit => {
                    return Err(Error::NotACommit {
                        path: self.path.clone(),
                        name: id.to_string(),
                    });
                }
                other => {
                    let message = other.damage().unwrap_or_default();
                    damage.note(*id, false, ReachedFrom::Ref(name.clone()), || message);
                }
            }
        }
        while let Some(id) = stack.pop() {
            if hidden_set.contains(&id) || !seen.insert(id) {
                continue;
            }
            let mut c = match self.read_commit(&id, m) {
                CommitRead::Commit(c) => c,
                other => {
                    unusable.insert(id, other.damage().unwrap_or_default());
                    continue;
                }
            };
            if self.is_shallow(&id) {
                c.parents.clear();
                shallow_roots.push(id);
            }
            stack.extend(
                c.parents
                    .iter()
                    .filter(|p| !seen.contains(*p) && !hidden_set.contains(*p)),
            );
            out.push((
                SelectedCommit {
                    id,
                    tree: c.tree,
                    time: c.time,
                    parents: (0, 0),
                    first_parent_only: false,
                },
                c.parents,
            ));
        }
        // The walk's set is as large as the selection's tables below.
        drop(seen);
        out.sort_by_key(|c| (c.0.time, c.0.id));
        let (mut commits, parents_of): (Vec<SelectedCommit>, Vec<Vec<ObjectId>>) =
            out.into_iter().unzip();
        // One table for the selection's trees and ranks: a parent's tree is
        // its selected commit's; only parents outside the selection have
        // their tree read and kept in `outside_tree`.
        let rank_of: gix::hashtable::HashMap<ObjectId, u32> = commits
            .iter()
            .enumerate()
            .map(|(rank, c)| (c.id, rank as u32))
            .collect();
        let mut outside_tree: gix::hashtable::HashMap<ObjectId, ObjectId> =
            gix::hashtable::HashMap::default();
        // The rank of each commit's first diffed parent (`NO_RANK`: a root,
        // or a parent outside the selection), for `first_parent_suffices`.
        let mut primary: Vec<u32> = Vec::with_capacity(commits.len());
        let mut parent_trees = Vec::with_capacity(parents_of.iter().map(Vec::len).sum());
        for (rank, parents) in parents_of.into_iter().enumerate() {
            let start = parent_trees.len() as u32;
            let mut first_diffed = None;
            let id = commits[rank].id;
            for p in parents {
                let known = match rank_of.get(&p) {
                    Some(&r) => Some(commits[r as usize].tree),
                    None => outside_tree.get(&p).copied(),
                };
                let tree = match known {
                    Some(t) => t,
                    None => {
                        if !unusable.contains_key(&p) {
                            match self.read_commit(&p, m) {
                                CommitRead::Commit(pc) => {
                                    outside_tree.insert(p, pc.tree);
                                    parent_trees.push(pc.tree);
                                    first_diffed.get_or_insert(p);
                                    continue;
                                }
                                other => {
                                    unusable.insert(p, other.damage().unwrap_or_default());
                                }
                            }
                        }
                        // A damaged parent is left out: the diffs against
                        // the other parents (or the empty tree) still
                        // introduce every blob of this commit's tree.
                        let message = unusable.get(&p).cloned().unwrap_or_default();
                        damage.note(p, false, ReachedFrom::Commit(id), || message);
                        continue;
                    }
                };
                parent_trees.push(tree);
                first_diffed.get_or_insert(p);
            }
            commits[rank].parents = (start, parent_trees.len() as u32);
            primary.push(match first_diffed {
                None => ROOT,
                Some(p) => rank_of.get(&p).copied().unwrap_or(OUTSIDE),
            });
        }
        drop(rank_of);
        let mut selected = Selected {
            commits,
            parent_trees,
            shallow_roots,
            ref_tips,
            damaged: Vec::new(),
        };
        for (c, skip) in selected
            .commits
            .iter_mut()
            .zip(first_parent_suffices(&primary))
        {
            c.first_parent_only = skip && c.parents.1 - c.parents.0 > 1;
        }
        // A ref naming an absent object of unknown kind was listed as a
        // blob (see `peel`); when the walk found that object missing as a
        // commit, the ref is one more way to the damaged commit instead.
        selected.ref_tips.retain(|t| match unusable.get(&t.id) {
            Some(message) if !t.is_tree => {
                let via = ReachedFrom::Ref(String::from_utf8_lossy(&t.name).into_owned());
                damage.note(t.id, false, via, || message.clone());
                false
            }
            _ => true,
        });
        selected.damaged = damage.into_skipped();
        selected.shallow_roots.sort();
        m.items_out = selected.commits.len() as u64;
        Ok(selected)
    }
}

#[cfg(test)]
mod tests {
    use super::{OUTSIDE, ROOT, first_parent_suffices};

    #[test]
    fn merges_whose_first_parent_line_is_older_skip_the_other_diffs() {
        // 0 ← 1 ← 3 (merge of 1 and 2), 0 ← 2: every line older than 3.
        assert_eq!(
            first_parent_suffices(&[ROOT, 0, 0, 1]),
            [false, true, true, true]
        );
    }

    #[test]
    fn a_newer_commit_anywhere_down_the_line_keeps_them() {
        // Rank 3 is first parent of 1, whose child 2 is the merge: the line
        // below 2 holds rank 3 > 2. Rank 4 sits above it: 3 < 4 holds.
        assert_eq!(
            first_parent_suffices(&[ROOT, 3, 1, 0, 2]),
            [false, false, false, true, true]
        );
    }

    #[test]
    fn a_line_leaving_the_selection_keeps_them() {
        assert_eq!(
            first_parent_suffices(&[OUTSIDE, 0, 1, ROOT]),
            [false, false, false, false]
        );
    }

    #[test]
    fn a_forged_loop_ends_without_hanging_and_keeps_them() {
        assert_eq!(first_parent_suffices(&[1, 0, 1]), [false, false, false]);
    }
}
