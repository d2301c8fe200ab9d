//! The history generator: branches, merges, edits, duplicates and planted
//! secrets, streamed into `git fast-import`.
//!
//! [`generate`] walks a deterministic schedule driven by [`Rng`]: a root
//! commit with the spec's initial tree, then ordinary commits on `main` or on
//! feature branches (modify, add, delete, rename, copy, revert, cherry-pick),
//! forks and merges, and planted secrets and decoys at scheduled points. It
//! writes blobs and commits to the stream as it goes and keeps, per branch, the
//! tree as a path → blob map.
//!
//! Bookkeeping for the ground truth: every blob that holds a planted value
//! records where the value is (offset, line, column), and every commit that
//! *introduces* such a blob — adds or modifies the path to it relative to its
//! first parent, or for a root commit relative to the empty tree — is
//! recorded. Merges can also introduce blobs relative to their second parent,
//! but only blobs that an earlier commit introduced on main, so those never
//! change which introduction comes first. Commit times strictly increase with
//! creation order, so "first by committer time" is "first created".
//! The per-parent introduction count (`git log -m --raw --diff-filter=AM`
//! semantics) is computed exactly, merges' second parents included.

use crate::content::{Content, FileKind, PlantId, PlantSite, with_binary_header};
use crate::fast_import::{CommitCmd, Stream, TreeChange};
use crate::rng::Rng;
use crate::secrets::{DecoyKind, SecretKind};
use crate::spec::{Selection, Spec};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Write};
use std::rc::Rc;

/// First commit time: 2020-09-13T12:26:40Z.
const EPOCH: i64 = 1_600_000_000;
const MIB: usize = 1 << 20;

/// A planted secret or decoy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlantWhat {
    Secret(SecretKind),
    Decoy(DecoyKind),
}

/// A planted value, shared by every file it was planted in.
#[derive(Clone, Debug)]
pub struct PlantInfo {
    pub what: PlantWhat,
    pub value: String,
    /// The planted text (the value in its context lines).
    pub text: String,
    /// Offset of the value inside the planted text.
    pub offset_in_text: usize,
}

/// Where a planted value sits inside one blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueSite {
    pub plant: PlantId,
    /// Byte offset of the value's first byte.
    pub offset: usize,
    /// 1-based line of the value's first byte.
    pub line: usize,
    /// 1-based byte column of the value's first byte.
    pub column: usize,
}

#[derive(Debug)]
pub struct BlobRec {
    pub mark: u32,
    pub len: usize,
    pub binary: bool,
    pub sites: Vec<ValueSite>,
    content: Rc<Content>,
}

#[derive(Debug)]
pub struct CommitRec {
    pub mark: u32,
    pub time: i64,
    pub parents: Vec<usize>,
}

/// How a commit introduced a blob at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntroKind {
    Added,
    Modified,
}

/// A commit introducing a value-bearing blob at a path.
#[derive(Clone, Debug)]
pub struct Intro {
    pub blob: u32,
    pub commit: usize,
    pub path: Rc<str>,
    pub kind: IntroKind,
}

/// Exact counts of what was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryStats {
    pub commits: usize,
    pub merges: usize,
    /// Blob introductions, one per (commit, parent, path) added or modified,
    /// root commits against the empty tree: `git log --all -m --raw
    /// --diff-filter=AM` lines plus the root commits' files.
    pub introductions: u64,
    /// Distinct blobs written.
    pub unique_blobs: u64,
    /// Bytes of all distinct blobs.
    pub blob_bytes: u64,
    /// Entries (files) in main's final tree.
    pub head_tree_entries: usize,
    /// Files of at least 1 MiB written.
    pub large_blobs: u64,
}

/// Everything the manifest and the packer need after generation.
#[derive(Debug)]
pub struct History {
    pub commits: Vec<CommitRec>,
    pub blobs: Vec<BlobRec>,
    pub plants: Vec<PlantInfo>,
    pub intros: Vec<Intro>,
    pub stats: HistoryStats,
    /// Final refs: name → commit index.
    pub refs: Vec<(String, usize)>,
    /// Ref tips at each pack boundary, last entry = final tips.
    pub phase_tips: Vec<Vec<usize>>,
    /// `main`'s final commit.
    pub head: usize,
    /// For `Selection::LastCommits`: (base, tip) commit indices of `base..tip`.
    pub range: Option<(usize, usize)>,
    /// Index of the first commit of the range (all later commits are in it).
    range_start: usize,
}

impl History {
    /// Whether commit `c` is in the benchmark selection.
    pub fn in_selection(&self, c: usize) -> bool {
        match self.range {
            // The range is the linear run of main commits that ends the
            // history; commits before it, on any branch, are outside.
            Some(_) => c >= self.range_start,
            None => true,
        }
    }
}

/// A branch's tree: path → blob, with a vector for uniform random picks.
#[derive(Clone, Debug, Default)]
struct Tree {
    map: BTreeMap<Rc<str>, (u32, usize)>,
    paths: Vec<Rc<str>>,
}

impl Tree {
    fn get(&self, path: &str) -> Option<u32> {
        self.map.get(path).map(|&(b, _)| b)
    }

    fn set(&mut self, path: &Rc<str>, blob: u32) -> Option<u32> {
        if let Some(slot) = self.map.get_mut(path) {
            let old = slot.0;
            slot.0 = blob;
            return Some(old);
        }
        self.map.insert(path.clone(), (blob, self.paths.len()));
        self.paths.push(path.clone());
        None
    }

    fn remove(&mut self, path: &str) -> Option<u32> {
        let (blob, pos) = self.map.remove(path)?;
        self.paths.swap_remove(pos);
        if let Some(moved) = self.paths.get(pos)
            && let Some(slot) = self.map.get_mut(moved)
        {
            slot.1 = pos;
        }
        Some(blob)
    }

    fn pick(&self, rng: &mut Rng) -> Option<Rc<str>> {
        if self.paths.is_empty() {
            None
        } else {
            Some(self.paths[rng.index(self.paths.len())].clone())
        }
    }
}

#[derive(Debug)]
struct Branch {
    reference: String,
    tip: usize,
    tree: Tree,
    /// Paths changed on this branch since it forked (what a merge carries).
    touched: BTreeSet<Rc<str>>,
    own_commits: u64,
    merge_after: u64,
    /// Recent (path, blob) changes, offered to cherry-picks.
    recent: Vec<(Rc<str>, u32)>,
    active: bool,
}

/// A tree change in the making: `blob: None` deletes.
#[derive(Clone, Debug)]
struct Change {
    path: Rc<str>,
    blob: Option<u32>,
}

#[derive(Clone, Debug)]
enum Event {
    NewFile(PlantWhat),
    IntoExisting(PlantWhat),
    /// A new file with a secret, deleted again a few main commits later.
    DeletedLater(SecretKind),
    /// The same secret in three files, committed at different times.
    Repeated(SecretKind),
    RepeatCopy(PlantId),
    Delete(Rc<str>),
    /// A follow-up edit of a file, so earlier versions become delta bases
    /// or deltas (secrets inside delta-compressed blobs).
    Edit(Rc<str>),
    MergeOnly(SecretKind),
    Straddle(SecretKind),
    Latin1(SecretKind),
    Binary(SecretKind),
}

impl Event {
    /// Events that need main (deletions follow up, copies stay comparable).
    fn main_only(&self) -> bool {
        matches!(
            self,
            Event::DeletedLater(_)
                | Event::Repeated(_)
                | Event::RepeatCopy(_)
                | Event::Delete(_)
                | Event::Edit(_)
        )
    }
}

struct Gen<'s, W: Write> {
    spec: &'s Spec,
    rng: Rng,
    out: Stream<W>,
    next_mark: u32,
    time: i64,
    commits: Vec<CommitRec>,
    blobs: Vec<BlobRec>,
    plants: Vec<PlantInfo>,
    intros: Vec<Intro>,
    stats: HistoryStats,
    dirs: Vec<Rc<str>>,
    all_paths: HashSet<Rc<str>>,
    path_history: HashMap<Rc<str>, Vec<u32>>,
    branches: Vec<Branch>,
    tags: Vec<(String, usize)>,
    events: BTreeMap<usize, Vec<Event>>,
    deferred: Vec<Event>,
    pending_merge: Vec<SecretKind>,
    buf: Vec<u8>,
    sites: Vec<PlantSite>,
    by_digest: HashMap<[u8; 32], u32>,
}

fn content_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

/// Generates the history described by `spec`, writing a complete
/// fast-import stream (ending in `done`) to `w`.
pub fn generate<W: Write>(spec: &Spec, w: W) -> io::Result<(History, W)> {
    let mut g = Gen {
        spec,
        rng: Rng::new(spec.seed),
        out: Stream::new(w),
        next_mark: 1,
        time: EPOCH,
        commits: Vec::new(),
        blobs: Vec::new(),
        plants: Vec::new(),
        intros: Vec::new(),
        stats: HistoryStats::default(),
        dirs: Vec::new(),
        all_paths: HashSet::new(),
        path_history: HashMap::new(),
        branches: Vec::new(),
        tags: Vec::new(),
        events: BTreeMap::new(),
        deferred: Vec::new(),
        pending_merge: Vec::new(),
        buf: Vec::new(),
        sites: Vec::new(),
        by_digest: HashMap::new(),
    };
    g.make_dirs();
    g.schedule();
    g.root_commit()?;
    let linear_tail = match spec.selection {
        Selection::LastCommits(n) => n,
        Selection::All => 0,
    };
    let boundaries: Vec<usize> = (1..spec.packs)
        .map(|k| spec.commits * k / spec.packs)
        .collect();
    let mut phase_tips = Vec::new();
    let mut range = None;
    let mut range_start = usize::MAX;
    while g.commits.len() < spec.commits {
        let made = g.commits.len();
        if boundaries.get(phase_tips.len()) == Some(&made) {
            phase_tips.push(g.all_tips());
        }
        let in_tail = made + linear_tail >= spec.commits;
        if in_tail {
            if range.is_none() {
                range = Some((g.branches[0].tip, 0));
                range_start = made;
            }
            g.ordinary_commit(0)?;
            continue;
        }
        let mergeable = g
            .branches
            .iter()
            .position(|b| b.active && b.own_commits >= b.merge_after);
        let active = g.branches.iter().skip(1).filter(|b| b.active).count();
        if let Some(b) = mergeable.filter(|_| g.rng.chance(0.5)) {
            g.merge(b)?;
        } else if active < spec.branches.max_active && g.rng.chance(spec.branches.fork_chance) {
            g.fork();
        } else {
            let on_main = active == 0 || g.rng.chance(spec.branches.main_share);
            let b = if on_main {
                0
            } else {
                let actives: Vec<usize> = (1..g.branches.len())
                    .filter(|&i| g.branches[i].active)
                    .collect();
                *g.rng.pick(&actives)
            };
            g.ordinary_commit(b)?;
        }
    }
    if let Some(r) = range.as_mut() {
        r.1 = g.branches[0].tip;
    }
    phase_tips.push(g.all_tips());
    let refs = g.final_refs();
    for (name, c) in &refs {
        if name.starts_with("refs/tags/") {
            g.out.reset(name, g.commits[*c].mark)?;
        }
    }
    g.stats.commits = g.commits.len();
    g.stats.unique_blobs = g.blobs.len() as u64;
    g.stats.head_tree_entries = g.branches[0].tree.paths.len();
    let head = g.branches[0].tip;
    let w = g.out.finish()?;
    let history = History {
        commits: g.commits,
        blobs: g.blobs,
        plants: g.plants,
        intros: g.intros,
        stats: g.stats,
        refs,
        phase_tips,
        head,
        range,
        range_start,
    };
    Ok((history, w))
}

impl<W: Write> Gen<'_, W> {
    fn make_dirs(&mut self) {
        const TOP: &[&str] = &[
            "src", "lib", "pkg", "services", "tools", "docs", "config", "web", "tests", "internal",
        ];
        let mut dirs: Vec<(Rc<str>, usize)> = TOP.iter().map(|t| (Rc::from(*t), 1)).collect();
        let mut seen: HashSet<Rc<str>> = dirs.iter().map(|(d, _)| d.clone()).collect();
        let target = (self.spec.initial_files / 12).max(TOP.len());
        while dirs.len() < target {
            let (parent, depth) = dirs[self.rng.index(dirs.len())].clone();
            if depth >= 6 {
                continue;
            }
            let name = format!("{parent}/{}", self.rng.pick(crate::content::NOUNS));
            let name: Rc<str> = Rc::from(name);
            if seen.insert(name.clone()) {
                dirs.push((name, depth + 1));
            }
        }
        self.dirs = dirs.into_iter().map(|(d, _)| d).collect();
    }

    /// Places every plant event at a commit index.
    fn schedule(&mut self) {
        let n = self.spec.commits;
        let tail = match self.spec.selection {
            Selection::LastCommits(k) => k,
            Selection::All => 0,
        };
        let body = n - tail - 1;
        let at = |rng: &mut Rng, lo: usize, hi: usize| lo + rng.index(hi - lo);
        for round in 0..self.spec.plant_rounds {
            for (i, &kind) in SecretKind::all().iter().enumerate() {
                let e = match (i + round) % 4 {
                    0 => Event::NewFile(PlantWhat::Secret(kind)),
                    1 => Event::IntoExisting(PlantWhat::Secret(kind)),
                    2 => Event::DeletedLater(kind),
                    _ => Event::Repeated(kind),
                };
                let c = at(&mut self.rng, 1, body);
                self.events.entry(c).or_default().push(e);
            }
            for (i, &kind) in DecoyKind::all().iter().enumerate() {
                let e = if (i + round) % 2 == 0 {
                    Event::NewFile(PlantWhat::Decoy(kind))
                } else {
                    Event::IntoExisting(PlantWhat::Decoy(kind))
                };
                let c = at(&mut self.rng, 1, body);
                self.events.entry(c).or_default().push(e);
            }
            let kinds = SecretKind::all();
            let special = [
                Event::MergeOnly(kinds[(round * 7 + 3) % kinds.len()]),
                Event::Latin1(kinds[(round * 7 + 4) % kinds.len()]),
                Event::Binary(kinds[(round * 7 + 5) % kinds.len()]),
            ];
            for e in special {
                let c = at(&mut self.rng, 1, body / 2);
                self.events.entry(c).or_default().push(e);
            }
        }
        if self.spec.large_files > 0 {
            let c = at(&mut self.rng, 1, body / 2);
            self.events
                .entry(c)
                .or_default()
                .push(Event::Straddle(SecretKind::GithubPatClassic));
        }
        if tail > 0 {
            // Fresh secrets and a decoy inside the benchmark's range.
            let kinds = [
                SecretKind::AwsAccessKeyId,
                SecretKind::SlackWebhookUrl,
                SecretKind::PrivateKeyOpenssh,
            ];
            for (i, kind) in kinds.into_iter().enumerate() {
                let c = n - tail + (i * 3) % tail;
                self.events
                    .entry(c)
                    .or_default()
                    .push(Event::NewFile(PlantWhat::Secret(kind)));
            }
            let c = n - tail + tail / 2;
            self.events
                .entry(c)
                .or_default()
                .push(Event::IntoExisting(PlantWhat::Decoy(
                    DecoyKind::AwsPlaceholder,
                )));
        }
    }

    fn mark(&mut self) -> u32 {
        let m = self.next_mark;
        self.next_mark += 1;
        m
    }

    fn new_path(&mut self, kind: FileKind) -> Rc<str> {
        let dir = self.dirs[self.rng.index(self.dirs.len())].clone();
        let stem = match kind {
            FileKind::Java => crate::content::type_name_pub(&mut self.rng),
            FileKind::Env => ".env".to_string(),
            _ => format!(
                "{}_{}",
                self.rng.pick(crate::content::NOUNS),
                self.rng.pick(crate::content::VERBS)
            ),
        };
        let ext = kind.extension();
        let mut path = if kind == FileKind::Env {
            format!(
                "{dir}/{stem}.{}",
                self.rng.pick(&["local", "production", "staging", "test"])
            )
        } else {
            format!("{dir}/{stem}.{ext}")
        };
        let mut n = 2;
        while self.all_paths.contains(path.as_str()) {
            path = format!("{dir}/{stem}_{n}.{ext}");
            n += 1;
        }
        let path: Rc<str> = Rc::from(path);
        self.all_paths.insert(path.clone());
        path
    }

    /// Size for a new file: log-uniform in the spec's range, in integer
    /// arithmetic only (float transcendental functions are not bit-identical
    /// across platforms, and corpora must be).
    fn file_size(&mut self, kind: FileKind) -> usize {
        let (lo, hi) = self.spec.file_bytes;
        let mut octaves = 0;
        while (lo << (octaves + 1)) <= hi {
            octaves += 1;
        }
        let o = self.rng.below(octaves as u64 + 1) as usize;
        let base = lo << o;
        let size = (base + self.rng.index(base)).min(hi);
        match kind {
            FileKind::MinifiedJs | FileKind::Csv => size * 20,
            _ => size,
        }
    }

    /// Materialises `content`, writes it as a new blob, returns its id.
    fn write_blob(&mut self, content: Content) -> io::Result<u32> {
        content.materialize(&mut self.buf, &mut self.sites);
        // An edit can reproduce earlier bytes exactly; git would store one
        // object, so the generator keeps one blob id (exact unique counts).
        let digest = content_digest(&self.buf);
        if let Some(&id) = self.by_digest.get(&digest) {
            return Ok(id);
        }
        let mark = self.mark();
        self.out.blob(mark, &self.buf)?;
        let mut sites = Vec::with_capacity(self.sites.len());
        for s in &self.sites {
            let offset = s.part_offset + self.plants[s.plant as usize].offset_in_text;
            let before = &self.buf[..offset];
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            sites.push(ValueSite {
                plant: s.plant,
                offset,
                line,
                column: offset - line_start + 1,
            });
        }
        let len = self.buf.len();
        self.stats.blob_bytes += len as u64;
        if len >= MIB {
            self.stats.large_blobs += 1;
        }
        let binary = self.buf[..len.min(8000)].contains(&0);
        self.blobs.push(BlobRec {
            mark,
            len,
            binary,
            sites,
            content: Rc::new(content),
        });
        let id = self.blobs.len() as u32 - 1;
        self.by_digest.insert(digest, id);
        Ok(id)
    }

    fn new_file_content(&mut self, kind: FileKind) -> Content {
        let size = self.file_size(kind);
        let c = Content::generate(kind, &mut self.rng, size);
        if kind == FileKind::Binary {
            with_binary_header(c, &mut self.rng)
        } else {
            c
        }
    }

    fn new_plant(&mut self, what: PlantWhat) -> (PlantId, String) {
        let p = match what {
            PlantWhat::Secret(k) => k.generate(&mut self.rng),
            PlantWhat::Decoy(k) => k.generate(&mut self.rng),
        };
        self.plants.push(PlantInfo {
            what,
            value: p.value,
            text: p.text.clone(),
            offset_in_text: p.offset,
        });
        (self.plants.len() as PlantId - 1, p.text)
    }

    /// A new version of the file at `path` (now `blob`), with a few small edits.
    fn edit_file(
        &mut self,
        path: Rc<str>,
        blob: u32,
        changes: &mut Vec<Change>,
        busy: &mut HashSet<Rc<str>>,
    ) -> io::Result<()> {
        let c = self.blobs[blob as usize].content.edit(&mut self.rng);
        let nb = self.write_blob(c)?;
        busy.insert(path.clone());
        changes.push(Change {
            path,
            blob: Some(nb),
        });
        Ok(())
    }

    /// A new file of a randomly drawn kind, written as a blob.
    fn random_new_file(&mut self) -> io::Result<Change> {
        let kind = FileKind::draw(&mut self.rng);
        let content = self.new_file_content(kind);
        let path = self.new_path(kind);
        let blob = self.write_blob(content)?;
        Ok(Change {
            path,
            blob: Some(blob),
        })
    }

    fn root_commit(&mut self) -> io::Result<()> {
        let mut changes = Vec::new();
        for _ in 0..self.spec.initial_files {
            changes.push(self.random_new_file()?);
        }
        for _ in 1..self.spec.large_files {
            let mut c = Content::generate(FileKind::Log, &mut self.rng, MIB);
            let target = MIB + MIB / 16 + self.rng.index(MIB / 2);
            c.grow_to(&mut self.rng, target);
            let path = self.new_path(FileKind::Log);
            let blob = self.write_blob(c)?;
            changes.push(Change {
                path,
                blob: Some(blob),
            });
        }
        self.branches.push(Branch {
            reference: "refs/heads/main".into(),
            tip: usize::MAX,
            tree: Tree::default(),
            touched: BTreeSet::new(),
            own_commits: 0,
            merge_after: u64::MAX,
            recent: Vec::new(),
            active: true,
        });
        self.commit(0, changes, None, "Initial import".into())
    }

    fn fork(&mut self) {
        let main = &self.branches[0];
        let n = self.branches.len();
        let name = format!(
            "refs/heads/feature/{}-{n}",
            self.rng.pick(crate::content::NOUNS)
        );
        let (lo, hi) = self.spec.branches.merge_after;
        let merge_after = self.rng.range(lo, hi);
        let b = Branch {
            reference: name,
            tip: main.tip,
            tree: main.tree.clone(),
            touched: BTreeSet::new(),
            own_commits: 0,
            merge_after,
            recent: Vec::new(),
            active: true,
        };
        self.branches.push(b);
    }

    /// Pops the events due by now that can run on branch `b`.
    fn due_events(&mut self, b: usize) -> Vec<Event> {
        let now = self.commits.len();
        let mut due: Vec<Event> = Vec::new();
        let later = self.events.split_off(&(now + 1));
        let ready = std::mem::replace(&mut self.events, later);
        for (_, es) in ready {
            due.extend(es);
        }
        due.append(&mut self.deferred);
        let (run, keep): (Vec<Event>, Vec<Event>) =
            due.into_iter().partition(|e| b == 0 || !e.main_only());
        self.deferred = keep;
        run
    }

    fn schedule_in(&mut self, lo: usize, hi: usize, e: Event) {
        let c = self.commits.len() + lo + self.rng.index(hi - lo);
        self.events.entry(c).or_default().push(e);
    }

    /// Picks a path on branch `b` that a plant can go into.
    fn plantable_path(&mut self, b: usize, busy: &HashSet<Rc<str>>) -> Option<Rc<str>> {
        for _ in 0..20 {
            let p = self.branches[b].tree.pick(&mut self.rng)?;
            let blob = self.branches[b].tree.get(&p)?;
            let rec = &self.blobs[blob as usize];
            if rec.content.kind.plantable()
                && !rec.binary
                && rec.len < MIB / 2
                && !busy.contains(&p)
            {
                return Some(p);
            }
        }
        None
    }

    /// Turns plant events into changes on branch `b`.
    fn apply_events(
        &mut self,
        b: usize,
        events: Vec<Event>,
        changes: &mut Vec<Change>,
        busy: &mut HashSet<Rc<str>>,
    ) -> io::Result<()> {
        for e in events {
            match e {
                Event::NewFile(what) => {
                    let kind = *self.rng.pick(&[
                        FileKind::Env,
                        FileKind::Yaml,
                        FileKind::Toml,
                        FileKind::Json,
                        FileKind::Python,
                        FileKind::Go,
                    ]);
                    let (id, text) = self.new_plant(what);
                    self.add_planted(kind, id, &text, changes, busy)?;
                }
                Event::IntoExisting(what) => {
                    let (id, text) = self.new_plant(what);
                    match self.plantable_path(b, busy) {
                        Some(path) => {
                            let Some(blob) = self.branches[b].tree.get(&path) else {
                                continue;
                            };
                            let mut c = (*self.blobs[blob as usize].content).clone();
                            c.plant(&mut self.rng, id, &text);
                            let blob = self.write_blob(c)?;
                            busy.insert(path.clone());
                            self.schedule_in(1, 10, Event::Edit(path.clone()));
                            self.schedule_in(10, 40, Event::Edit(path.clone()));
                            changes.push(Change {
                                path,
                                blob: Some(blob),
                            });
                        }
                        None => {
                            self.add_planted(FileKind::Yaml, id, &text, changes, busy)?;
                        }
                    }
                }
                Event::DeletedLater(kind) => {
                    let (id, text) = self.new_plant(PlantWhat::Secret(kind));
                    let path = self.add_planted(FileKind::Env, id, &text, changes, busy)?;
                    self.schedule_in(2, 30, Event::Delete(path));
                }
                Event::Repeated(kind) => {
                    let (id, text) = self.new_plant(PlantWhat::Secret(kind));
                    self.add_planted(FileKind::Yaml, id, &text, changes, busy)?;
                    self.schedule_in(3, 40, Event::RepeatCopy(id));
                    self.schedule_in(40, 120, Event::RepeatCopy(id));
                }
                Event::RepeatCopy(id) => {
                    // The same planted lines in another file: a new blob holding
                    // an already-planted secret, in the context its rule needs.
                    let text = self.plants[id as usize].text.clone();
                    self.add_planted(FileKind::Python, id, &text, changes, busy)?;
                }
                Event::Delete(path) => {
                    if self.branches[b].tree.get(&path).is_some() && !busy.contains(&path) {
                        busy.insert(path.clone());
                        changes.push(Change { path, blob: None });
                    }
                }
                Event::Edit(path) => {
                    if let Some(blob) = self.branches[b]
                        .tree
                        .get(&path)
                        .filter(|_| !busy.contains(&path))
                    {
                        self.edit_file(path, blob, changes, busy)?;
                    }
                }
                Event::MergeOnly(kind) => self.pending_merge.push(kind),
                Event::Straddle(kind) => {
                    let (id, text) = self.new_plant(PlantWhat::Secret(kind));
                    let p = &self.plants[id as usize];
                    let (off, len) = (p.offset_in_text, p.value.len());
                    let mut c = Content::generate(FileKind::Log, &mut self.rng, MIB - 4096);
                    c.plant_straddling(id, &text, off, len, MIB);
                    c.grow_to(&mut self.rng, MIB + MIB / 8);
                    let path = self.new_path(FileKind::Log);
                    let blob = self.write_blob(c)?;
                    busy.insert(path.clone());
                    changes.push(Change {
                        path,
                        blob: Some(blob),
                    });
                }
                Event::Latin1(kind) => {
                    let (id, text) = self.new_plant(PlantWhat::Secret(kind));
                    self.add_planted(FileKind::Latin1, id, &text, changes, busy)?;
                }
                Event::Binary(kind) => {
                    let (id, text) = self.new_plant(PlantWhat::Secret(kind));
                    self.add_planted(FileKind::Binary, id, &text, changes, busy)?;
                }
            }
        }
        Ok(())
    }

    fn add_planted(
        &mut self,
        kind: FileKind,
        id: PlantId,
        text: &str,
        changes: &mut Vec<Change>,
        busy: &mut HashSet<Rc<str>>,
    ) -> io::Result<Rc<str>> {
        let mut c = self.new_file_content(kind);
        c.plant(&mut self.rng, id, text);
        let path = self.new_path(kind);
        let blob = self.write_blob(c)?;
        busy.insert(path.clone());
        changes.push(Change {
            path: path.clone(),
            blob: Some(blob),
        });
        Ok(path)
    }

    fn ordinary_commit(&mut self, b: usize) -> io::Result<()> {
        let mut changes = Vec::new();
        let mut busy: HashSet<Rc<str>> = HashSet::new();
        let events = self.due_events(b);
        self.apply_events(b, events, &mut changes, &mut busy)?;
        let (lo, hi) = self.spec.changes_per_commit;
        let ops = self.rng.range(lo, hi);
        for _ in 0..ops {
            self.random_op(b, &mut changes, &mut busy)?;
        }
        if changes.is_empty() {
            // Every commit changes something, like real history.
            changes.push(self.random_new_file()?);
        }
        let msg = format!(
            "{} {} {}",
            self.rng.pick(crate::content::VERBS),
            self.rng.pick(crate::content::NOUNS),
            self.rng.pick(crate::content::NOUNS)
        );
        self.commit(b, changes, None, msg)?;
        if b == 0
            && self
                .commits
                .len()
                .is_multiple_of((self.spec.commits / 10).max(1))
        {
            let name = format!("refs/tags/v0.{}.0", self.tags.len() + 1);
            self.tags.push((name, self.branches[0].tip));
        }
        Ok(())
    }

    fn random_op(
        &mut self,
        b: usize,
        changes: &mut Vec<Change>,
        busy: &mut HashSet<Rc<str>>,
    ) -> io::Result<()> {
        let w = self.spec.ops;
        let table = [
            w.modify,
            w.add,
            w.delete,
            w.rename,
            w.copy,
            w.revert,
            if b == 0 { w.cherry_pick } else { 0 },
        ];
        let mut x = self.rng.below(table.iter().sum());
        let mut op = 0;
        while x >= table[op] {
            x -= table[op];
            op += 1;
        }
        let Some(path) = self.branches[b].tree.pick(&mut self.rng) else {
            return Ok(());
        };
        if busy.contains(&path) {
            return Ok(());
        }
        let Some(blob) = self.branches[b].tree.get(&path) else {
            return Ok(());
        };
        let large = self.blobs[blob as usize].len >= MIB / 2;
        match op {
            0 => {
                if large && !self.rng.chance(0.1) {
                    return Ok(());
                }
                self.edit_file(path, blob, changes, busy)?;
            }
            1 => {
                let ch = self.random_new_file()?;
                busy.insert(ch.path.clone());
                changes.push(ch);
            }
            2 => {
                busy.insert(path.clone());
                changes.push(Change { path, blob: None });
            }
            3 | 4 => {
                let kind = self.blobs[blob as usize].content.kind;
                let np = self.new_path(kind);
                busy.insert(np.clone());
                changes.push(Change {
                    path: np,
                    blob: Some(blob),
                });
                if op == 3 {
                    busy.insert(path.clone());
                    changes.push(Change { path, blob: None });
                }
            }
            5 => {
                let older = self.path_history.get(&path).and_then(|h| {
                    let olds: Vec<u32> = h.iter().copied().filter(|&o| o != blob).collect();
                    if olds.is_empty() {
                        None
                    } else {
                        Some(olds[self.rng.index(olds.len())])
                    }
                });
                if let Some(old) = older {
                    busy.insert(path.clone());
                    changes.push(Change {
                        path,
                        blob: Some(old),
                    });
                }
            }
            _ => {
                let donors: Vec<usize> = (1..self.branches.len())
                    .filter(|&i| !self.branches[i].recent.is_empty())
                    .collect();
                if donors.is_empty() {
                    return Ok(());
                }
                let d = donors[self.rng.index(donors.len())];
                let recent = &self.branches[d].recent;
                let (p, nb) = recent[self.rng.index(recent.len())].clone();
                if !busy.contains(&p) && self.branches[0].tree.get(&p) != Some(nb) {
                    busy.insert(p.clone());
                    changes.push(Change {
                        path: p,
                        blob: Some(nb),
                    });
                }
            }
        }
        Ok(())
    }

    fn merge(&mut self, b: usize) -> io::Result<()> {
        let mut changes = Vec::new();
        let touched: Vec<Rc<str>> = self.branches[b].touched.iter().cloned().collect();
        let mut busy: HashSet<Rc<str>> = HashSet::new();
        for path in touched {
            let theirs = self.branches[b].tree.get(&path);
            if self.branches[0].tree.get(&path) != theirs {
                busy.insert(path.clone());
                changes.push(Change { path, blob: theirs });
            }
        }
        // An "evil merge": content that exists only in the merge commit.
        for kind in std::mem::take(&mut self.pending_merge) {
            let (id, text) = self.new_plant(PlantWhat::Secret(kind));
            self.add_planted(FileKind::Toml, id, &text, &mut changes, &mut busy)?;
        }
        let name = self.branches[b]
            .reference
            .trim_start_matches("refs/heads/")
            .to_string();
        self.branches[b].active = false;
        self.commit(0, changes, Some(b), format!("Merge branch '{name}'"))
    }

    /// Writes a commit on branch `b` (with `merged` as second parent), applies
    /// `changes` to its tree and records introductions.
    fn commit(
        &mut self,
        b: usize,
        changes: Vec<Change>,
        merged: Option<usize>,
        msg: String,
    ) -> io::Result<()> {
        let idx = self.commits.len();
        let mark = self.mark();
        self.time += 30 + self.rng.below(600) as i64;
        let mut parents = Vec::new();
        if self.branches[b].tip != usize::MAX {
            parents.push(self.branches[b].tip);
        }
        if let Some(m) = merged {
            parents.push(self.branches[m].tip);
        }
        let mut fi_changes = Vec::with_capacity(changes.len());
        for ch in &changes {
            let branch = &mut self.branches[b];
            match ch.blob {
                Some(blob) if branch.tree.get(&ch.path) == Some(blob) => {}
                Some(blob) => {
                    let old = branch.tree.set(&ch.path, blob);
                    branch.touched.insert(ch.path.clone());
                    if b != 0 {
                        branch.recent.push((ch.path.clone(), blob));
                        if branch.recent.len() > 16 {
                            branch.recent.remove(0);
                        }
                    }
                    self.stats.introductions += 1;
                    self.path_history
                        .entry(ch.path.clone())
                        .or_default()
                        .push(blob);
                    if !self.blobs[blob as usize].sites.is_empty() {
                        let kind = if old.is_some() {
                            IntroKind::Modified
                        } else {
                            IntroKind::Added
                        };
                        self.intros.push(Intro {
                            blob,
                            commit: idx,
                            path: ch.path.clone(),
                            kind,
                        });
                    }
                    fi_changes.push(TreeChange::Modify {
                        path: &ch.path,
                        blob_mark: self.blobs[blob as usize].mark,
                    });
                }
                None if branch.tree.get(&ch.path).is_none() => {}
                None => {
                    branch.tree.remove(&ch.path);
                    branch.touched.insert(ch.path.clone());
                    fi_changes.push(TreeChange::Delete { path: &ch.path });
                }
            }
        }
        if let Some(m) = merged {
            // Introductions relative to the second parent: every path where
            // the merge result differs from the merged branch's tree.
            self.stats.merges += 1;
            let ours = &self.branches[b].tree.map;
            let theirs = &self.branches[m].tree.map;
            let n = ours
                .iter()
                .filter(|(p, (blob, _))| theirs.get(*p).map(|t| t.0) != Some(*blob))
                .count();
            self.stats.introductions += n as u64;
        }
        let parent_marks: Vec<u32> = parents.iter().map(|&p| self.commits[p].mark).collect();
        let reference = self.branches[b].reference.clone();
        self.out.commit(&CommitCmd {
            reference: &reference,
            mark,
            time: self.time,
            message: &msg,
            parents: &parent_marks,
            changes: &fi_changes,
        })?;
        self.commits.push(CommitRec {
            mark,
            time: self.time,
            parents,
        });
        let branch = &mut self.branches[b];
        branch.tip = idx;
        branch.own_commits += 1;
        Ok(())
    }

    fn all_tips(&self) -> Vec<usize> {
        let mut tips: Vec<usize> = self
            .branches
            .iter()
            .map(|b| b.tip)
            .chain(self.tags.iter().map(|t| t.1))
            .collect();
        tips.sort_unstable();
        tips.dedup();
        tips
    }

    fn final_refs(&self) -> Vec<(String, usize)> {
        let mut refs: Vec<(String, usize)> = self
            .branches
            .iter()
            .map(|b| (b.reference.clone(), b.tip))
            .collect();
        refs.extend(self.tags.iter().cloned());
        refs.sort();
        refs
    }
}
