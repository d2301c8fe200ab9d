//! Test support: build git repositories with the git CLI (deterministic ids:
//! isolated config, fixed dates) and compute oracles from `git log`.
#![allow(dead_code, clippy::unwrap_used)]

pub mod peak;

use scanner::git::{self, Options, Outcome, Selection};
use scanner::sink::{BlobContext, BlobSink, ChangeKind, SinkFactory};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestRepo {
    pub dir: tempfile::TempDir,
    time: i64,
}

/// A git command isolated from user/system config, with a fixed identity.
pub fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid");
    c
}

/// Runs git; `date` (if any) is the author and committer date.
fn git_dated(dir: &Path, args: &[&str], date: Option<&str>) -> String {
    let mut cmd = git_cmd(dir);
    cmd.args(args);
    if let Some(date) = date {
        cmd.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
    }
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn git_in(dir: &Path, args: &[&str]) -> String {
    git_dated(dir, args, None)
}

/// Runs git with `input` on stdin (written from a thread, so large inputs
/// and outputs cannot deadlock); returns stdout, trimmed.
pub fn git_stdin(dir: &Path, args: &[&str], input: &str) -> String {
    let mut child = git_cmd(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "git {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A `--filter=blob:none` clone of `src` (bare when `bare`) in a new
/// temporary directory: the directory and the clone's path.
pub fn partial_clone(src: &TestRepo, bare: bool) -> (tempfile::TempDir, PathBuf) {
    src.git(&["config", "uploadpack.allowFilter", "true"]);
    let dst = tempfile::tempdir().unwrap();
    let url = format!("file://{}", src.path().display());
    let mode = if bare { "--bare" } else { "--no-checkout" };
    git_in(
        dst.path(),
        &["clone", "-q", mode, "--filter=blob:none", &url, "clone"],
    );
    let clone = dst.path().join("clone");
    (dst, clone)
}

/// Asserts that every delivered blob has the expected canonical context.
pub fn assert_contexts(
    seen: &BTreeMap<String, Seen>,
    expected: &BTreeMap<String, Intro>,
    label: &str,
) {
    for (oid, s) in seen {
        let want = expected
            .get(oid)
            .unwrap_or_else(|| panic!("{label}: {oid} not expected"));
        assert_eq!(
            (&s.commit, &s.tag, &s.path, s.change),
            (&want.commit, &want.tag, &want.path, want.change),
            "{label}: canonical context of {oid}"
        );
    }
}

impl TestRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = TestRepo {
            dir,
            time: 1_700_000_000,
        };
        r.git(&["init", "-q", "-b", "main", "."]);
        r.git(&["config", "core.autocrlf", "false"]);
        r.git(&["config", "gc.auto", "0"]);
        r.git(&["config", "maintenance.auto", "false"]);
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// `git rev-parse REV` as an object id.
    pub fn oid(&self, rev: &str) -> gix::ObjectId {
        gix::ObjectId::from_hex(self.git(&["rev-parse", rev]).trim().as_bytes()).unwrap()
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }

    pub fn remove(&self, path: &str) {
        let p = self.path().join(path);
        if p.is_dir() {
            std::fs::remove_dir_all(p).expect("rm -r");
        } else {
            std::fs::remove_file(p).expect("rm");
        }
    }

    /// Commits everything with the next timestamp (`same_time`: reuse the
    /// previous one, to exercise the commit-id tie-break).
    pub fn commit_at(&mut self, msg: &str, same_time: bool) -> String {
        if !same_time {
            self.time += 60;
        }
        self.git(&["add", "-A"]);
        let date = format!("{} +0000", self.time);
        let args = ["commit", "-q", "--allow-empty", "--no-verify", "-m", msg];
        git_dated(self.path(), &args, Some(&date));
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Sets the clock the next commit's time is taken from (minus 60 s).
    pub fn set_clock(&mut self, time: i64) {
        self.time = time;
    }

    /// Commits with a committer time an hour before the clock (as if the
    /// committer's clock were wrong), leaving the clock as it is.
    pub fn commit_skewed(&mut self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        let date = format!("{} +0000", self.time - 3600);
        let args = ["commit", "-q", "--allow-empty", "--no-verify", "-m", msg];
        git_dated(self.path(), &args, Some(&date));
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    pub fn commit(&mut self, msg: &str) -> String {
        self.commit_at(msg, false)
    }

    /// Merges `branch` into the current branch (no fast-forward).
    pub fn merge(&mut self, branch: &str) -> String {
        self.time += 60;
        let date = format!("{} +0000", self.time);
        let args = [
            "merge",
            "-q",
            "--no-ff",
            "--no-edit",
            "-s",
            "ort",
            "-X",
            "theirs",
            branch,
        ];
        git_dated(self.path(), &args, Some(&date));
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }
}

fn lines(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| format!("line {i} of {tag}: some filler text to make deltas worthwhile\n"))
        .collect()
}

/// A history with branches, merges (one with a manual change), renames,
/// copies, reverts (duplicate blobs), mode changes, symlinks, a gitlink,
/// tree↔blob and file↔symlink type changes, equal timestamps, tags (one on a
/// blob), an unmerged branch, and a file edited many times (delta chains).
pub fn rich_repo() -> TestRepo {
    let mut r = TestRepo::new();
    r.write("a.txt", "alpha\n");
    r.write("dir/b.txt", "bravo\n");
    r.write("dir/sub/c.txt", "charlie\n");
    r.write("tree2/x/y.txt", "yankee\n");
    r.write("big.txt", lines(200, "v0"));
    r.write("script.sh", "#!/bin/sh\necho hi\n");
    std::os::unix::fs::symlink("a.txt", r.path().join("link")).expect("symlink");
    r.commit("root");
    r.write("a.txt", "alpha 2\n");
    r.write("copy.txt", "bravo\n"); // copy of dir/b.txt: same blob
    r.git(&["update-index", "--chmod=+x", "script.sh"]);
    std::fs::set_permissions(
        r.path().join("script.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    r.commit("modify, copy, chmod");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.git(&["mv", "dir/b.txt", "dir/b2.txt"]);
    r.write("dir/sub/c.txt", "charlie 2\n");
    r.write("feature/new.txt", "feature file\n");
    r.commit("rename and modify on feature");
    r.write("same-time-1.txt", "same time one\n");
    r.commit_at("same time commit 1", true);
    r.git(&["checkout", "-q", "main"]);
    r.write("a.txt", "alpha\n"); // revert to the root's blob
    r.write("same-time-2.txt", "same time one\n");
    r.commit_at("revert a.txt", false);
    r.remove("tree2/x");
    r.write("tree2/x", "now a file\n"); // tree -> blob
    r.remove("link");
    r.write("link", "no longer a link\n"); // symlink -> file: type change
    r.commit("type changes");
    for i in 1..=30 {
        let mut text = lines(200, "v0");
        text.push_str(&lines(i, &format!("edit {i}")));
        r.write("big.txt", text);
        r.commit(&format!("edit big {i}"));
    }
    r.merge("feature");
    // A merge with an extra change of its own ("evil merge").
    r.git(&["checkout", "-q", "-b", "side", "HEAD~3"]);
    r.write("side.txt", "side\n");
    r.commit("side");
    r.git(&["checkout", "-q", "main"]);
    r.time += 60;
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    r.write("evil.txt", "added in the merge itself\n");
    r.write("a.txt", "alpha merged\n");
    r.commit_at("evil merge", true);
    // Gitlink (submodule entry) — not a blob. The empty directory is an
    // unpopulated submodule; without it `git add -A` drops the entry.
    std::fs::create_dir_all(r.path().join("vendor/sub")).expect("mkdir");
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1111111111111111111111111111111111111111,vendor/sub",
    ]);
    r.commit("add gitlink");
    // Unmerged branch and tags.
    r.git(&["checkout", "-q", "-b", "dangling", "HEAD~2"]);
    r.write("dangling.txt", "only on dangling\n");
    r.write("a.txt", "alpha 2\n");
    r.commit("dangling work");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["tag", "-a", "-m", "annotated", "v1", "HEAD~1"]);
    let blob = r.git(&["rev-parse", "HEAD:evil.txt"]);
    r.git(&["tag", "blobtag", blob.trim()]);
    r
}

/// One introduction as the oracle sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intro {
    /// Empty when a ref introduces the blob (then `tag` is set).
    pub commit: String,
    pub time: i64,
    /// The introducing ref's full name, or empty.
    pub tag: String,
    pub path: String,
    pub change: ChangeKind,
}

/// `git log -m --raw --no-renames --diff-filter=AMT --root` over `revs`
/// (replace refs not applied): blob id → its canonical introduction (min by
/// time, commit, path; ties in print order, i.e. parent order).
pub fn oracle(dir: &Path, revs: &[&str]) -> BTreeMap<String, Intro> {
    oracle_counting_gitlinks(dir, revs).0
}

/// [`oracle`], and the number of raw lines whose new side is a gitlink
/// (what `Counts::gitlinks` counts).
pub fn oracle_counting_gitlinks(dir: &Path, revs: &[&str]) -> (BTreeMap<String, Intro>, u64) {
    let mut args = vec![
        "--no-replace-objects",
        "log",
        "-m",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--diff-filter=AMT",
        "--root",
        "--format=C %H %ct",
    ];
    args.extend_from_slice(revs);
    args.push("--");
    let out = git_in(dir, &args);
    let mut best: BTreeMap<String, Intro> = BTreeMap::new();
    let mut gitlinks = 0;
    let (mut commit, mut time) = (String::new(), 0i64);
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("C ") {
            let (h, t) = rest.split_once(' ').expect("C line");
            commit = h.to_owned();
            time = t.parse().expect("time");
        } else if let Some(rest) = line.strip_prefix(':') {
            let (meta, path) = rest.split_once('\t').expect("raw line");
            let f: Vec<&str> = meta.split(' ').collect();
            if f[1] == "160000" {
                gitlinks += 1;
                continue;
            }
            let change = if f[4] == "A" {
                ChangeKind::Added
            } else {
                ChangeKind::Modified
            };
            let intro = Intro {
                commit: commit.clone(),
                time,
                tag: String::new(),
                path: path.to_owned(),
                change,
            };
            let key = |i: &Intro| (i.time, i.commit.clone(), i.path.clone());
            match best.get(f[3]) {
                Some(b) if key(b) <= key(&intro) => {}
                _ => {
                    best.insert(f[3].to_owned(), intro);
                }
            }
        }
    }
    (best, gitlinks)
}

/// Blobs reached through refs that name a blob or a tree (tags peeled with
/// `^{}`), refs in `git for-each-ref` order (by name) then `HEAD` — the
/// canonical ref context of each: blob id → (ref, path in the tree or "").
pub fn ref_oracle(dir: &Path) -> BTreeMap<String, (String, String)> {
    let mut names: Vec<String> = git_in(dir, &["for-each-ref", "--format=%(refname)"])
        .lines()
        .map(str::to_owned)
        .collect();
    names.push("HEAD".to_owned());
    names.sort();
    let mut best: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut offer = |blob: &str, name: &str, path: &str| {
        let cand = (name.to_owned(), path.to_owned());
        match best.get(blob) {
            Some(b) if *b <= cand => {}
            _ => {
                best.insert(blob.to_owned(), cand);
            }
        }
    };
    for name in &names {
        let out = git_cmd(dir)
            .args(["rev-parse", "-q", "--verify", &format!("{name}^{{}}")])
            .output()
            .unwrap();
        if !out.status.success() {
            continue;
        }
        let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        match git_in(dir, &["cat-file", "-t", &id]).trim() {
            "blob" => offer(&id, name, ""),
            "tree" => {
                let list = git_in(dir, &["ls-tree", "-r", "-z", "--full-tree", &id]);
                for entry in list.split('\0').filter(|e| !e.is_empty()) {
                    let (meta, path) = entry.split_once('\t').unwrap();
                    let f: Vec<&str> = meta.split(' ').collect();
                    if f[1] == "blob" {
                        offer(f[2], name, path);
                    }
                }
            }
            _ => {}
        }
    }
    best
}

/// The canonical contexts `--all` must give: [`oracle`] over `--all`, and
/// for the blobs no commit introduces, their [`ref_oracle`] context.
pub fn all_oracle(dir: &Path) -> BTreeMap<String, Intro> {
    let mut best = oracle(dir, &["--all"]);
    for (blob, (tag, path)) in ref_oracle(dir) {
        best.entry(blob).or_insert(Intro {
            commit: String::new(),
            time: 0,
            tag,
            path,
            change: ChangeKind::Added,
        });
    }
    best
}

/// What `git rev-list --objects --all --missing=print` reaches (replace
/// refs not applied): the blobs, and the missing objects (`?` lines, of
/// unknown type).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub blobs: BTreeSet<String>,
    pub missing: BTreeSet<String>,
}

pub fn rev_list_reach(dir: &Path) -> Reach {
    let out = git_in(
        dir,
        &[
            "--no-replace-objects",
            "rev-list",
            "--objects",
            "--all",
            "--missing=print",
        ],
    );
    let mut reach = Reach::default();
    let mut present = String::new();
    for line in out.lines() {
        let oid = line.split(' ').next().unwrap();
        match oid.strip_prefix('?') {
            Some(m) => {
                reach.missing.insert(m.to_owned());
            }
            None => {
                present.push_str(oid);
                present.push('\n');
            }
        }
    }
    let types = git_stdin(
        dir,
        &[
            "--no-replace-objects",
            "cat-file",
            "--batch-check=%(objectname) %(objecttype)",
        ],
        &present,
    );
    for line in types.lines() {
        if let Some(oid) = line.strip_suffix(" blob") {
            reach.blobs.insert(oid.to_owned());
        }
    }
    reach
}

/// What a scan reached: the delivered blobs and the ids skipped as missing.
pub fn scan_reach(outcome: &Outcome, seen: &BTreeMap<String, Seen>) -> Reach {
    Reach {
        blobs: seen.keys().cloned().collect(),
        missing: outcome
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, git::SkipReason::Missing { .. }))
            .map(|s| s.oid.to_string())
            .collect(),
    }
}

/// What a test sink saw of one blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Empty when a ref introduces the blob.
    pub commit: String,
    /// The introducing ref, or empty.
    pub tag: String,
    pub path: String,
    pub change: ChangeKind,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
pub struct Collect(pub Vec<(String, Seen)>);

impl BlobSink for Collect {
    type Error = std::convert::Infallible;
    fn blob(&mut self, ctx: &BlobContext<'_>, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0.push((
            ctx.oid.to_string(),
            Seen {
                commit: ctx.commit().map(|c| c.to_string()).unwrap_or_default(),
                tag: String::from_utf8_lossy(ctx.ref_name().unwrap_or_default()).into_owned(),
                path: String::from_utf8_lossy(ctx.path).into_owned(),
                change: ctx.change,
                bytes: bytes.to_vec(),
            },
        ));
        Ok(())
    }
}

pub struct CollectFactory;
impl SinkFactory for CollectFactory {
    type Sink = Collect;
    fn make(&self, _worker: usize) -> Collect {
        Collect::default()
    }
}

pub fn options(dir: &Path, selection: Selection) -> Options {
    let mut o = Options::new(dir);
    o.selection = selection;
    o.threads = 2;
    o
}

/// Runs a scan and returns the outcome and blob id → what was delivered;
/// panics if a blob is delivered twice.
pub fn run(opts: &Options) -> (Outcome, BTreeMap<String, Seen>) {
    let (outcome, sinks) = git::scan(opts, &CollectFactory).expect("scan succeeds");
    let mut all = BTreeMap::new();
    for s in sinks {
        for (oid, seen) in s.0 {
            assert!(
                all.insert(oid.clone(), seen).is_none(),
                "blob {oid} delivered twice"
            );
        }
    }
    (outcome, all)
}

/// `git cat-file blob` of every id.
pub fn cat_blobs(dir: &Path, oids: impl Iterator<Item = String>) -> BTreeMap<String, Vec<u8>> {
    oids.map(|o| {
        let out = Command::new("git")
            .args(["cat-file", "blob", &o])
            .current_dir(dir)
            .output()
            .expect("cat-file");
        assert!(out.status.success());
        (o, out.stdout)
    })
    .collect()
}

pub fn scratch(dir: &Path) -> PathBuf {
    let p = dir.join("scratch");
    std::fs::create_dir_all(&p).expect("mkdir");
    p
}

/// Stores `data` as one zlib stream made of stored (uncompressed) blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(65535).collect()
    };
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A pack entry header: type (1 commit … 3 blob, 6 ofs-delta, 7 ref-delta)
/// and the size it claims.
pub fn entry_header(kind: u8, size: u64) -> Vec<u8> {
    let mut v = vec![(kind << 4) | (size & 0x0f) as u8];
    let mut rest = size >> 4;
    while rest > 0 {
        *v.last_mut().unwrap() |= 0x80;
        v.push((rest & 0x7f) as u8);
        rest >>= 7;
    }
    v
}

/// git's ofs-delta distance encoding.
pub fn ofs_distance(mut n: u64) -> Vec<u8> {
    let mut v = vec![(n & 0x7f) as u8];
    n >>= 7;
    while n > 0 {
        n -= 1;
        v.insert(0, 0x80 | (n & 0x7f) as u8);
        n >>= 7;
    }
    v
}

/// Writes `pack-<name>.pack` and `.idx` into the repository's pack
/// directory from raw entries (`oid → entry bytes`; `None` entry bytes with
/// an explicit offset make the index point wherever the test wants).
/// Checksums are zero: nothing on the read path verifies them.
pub fn write_raw_pack(
    repo: &Path,
    name: &str,
    entries: &[(gix::ObjectId, Vec<u8>)],
    extra_index: &[(gix::ObjectId, u32)],
) {
    let mut pack = b"PACK".to_vec();
    pack.extend_from_slice(&2u32.to_be_bytes());
    pack.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut index: Vec<(gix::ObjectId, u32)> = extra_index.to_vec();
    for (oid, bytes) in entries {
        index.push((*oid, pack.len() as u32));
        pack.extend_from_slice(bytes);
    }
    pack.extend_from_slice(&[0u8; 20]);
    index.sort();
    let mut idx = vec![0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2];
    for b in 0..256usize {
        let n = index
            .iter()
            .filter(|(o, _)| (o.as_bytes()[0] as usize) <= b)
            .count() as u32;
        idx.extend_from_slice(&n.to_be_bytes());
    }
    for (o, _) in &index {
        idx.extend_from_slice(o.as_bytes());
    }
    for _ in &index {
        idx.extend_from_slice(&0u32.to_be_bytes());
    }
    for (_, ofs) in &index {
        idx.extend_from_slice(&ofs.to_be_bytes());
    }
    idx.extend_from_slice(&[0u8; 40]);
    let dir = repo.join(".git/objects/pack");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("pack-{name}.pack")), pack).unwrap();
    std::fs::write(dir.join(format!("pack-{name}.idx")), idx).unwrap();
}

/// Writes `body` as a loose object of `kind` ("blob", "tree", "commit",
/// "tag") without asking git (which would refuse hostile objects, and is
/// slow for thousands of them); returns its id.
pub fn write_loose(repo: &Path, kind: &str, body: &[u8]) -> gix::ObjectId {
    let k = gix::objs::Kind::from_bytes(kind.as_bytes()).unwrap();
    let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, k, body).unwrap();
    let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
    raw.extend_from_slice(body);
    let path = loose_path(repo, &id.to_string());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, zlib_stored(&raw)).unwrap();
    id
}

/// A commit object's body: `tree`, `parents`, a fixed identity and time.
pub fn commit_body(tree: &gix::ObjectId, parents: &[gix::ObjectId], msg: &str) -> Vec<u8> {
    let mut s = format!("tree {tree}\n");
    for p in parents {
        s.push_str(&format!("parent {p}\n"));
    }
    s.push_str("author T <t@example.invalid> 1700000000 +0000\n");
    s.push_str("committer T <t@example.invalid> 1700000000 +0000\n\n");
    s.push_str(msg);
    s.push('\n');
    s.into_bytes()
}

/// Removes the loose object file of `oid`.
pub fn remove_loose(repo: &Path, oid: &str) {
    std::fs::remove_file(loose_path(repo, oid)).unwrap();
}

pub fn loose_path(repo: &Path, oid: &str) -> PathBuf {
    repo.join(".git/objects").join(&oid[..2]).join(&oid[2..])
}

/// Moves every blob into one pack of its own (`pack-blobs…`), leaving
/// commits and trees loose; returns the pack's path.
pub fn blobs_only_pack(r: &TestRepo) -> PathBuf {
    let list = r.git(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname) %(objecttype)",
    ]);
    let blobs: String = list
        .lines()
        .filter_map(|l| l.strip_suffix(" blob"))
        .map(|o| format!("{o}\n"))
        .collect();
    let hash = git_stdin(
        r.path(),
        &["pack-objects", "-q", ".git/objects/pack/pack"],
        &blobs,
    );
    for o in blobs.lines() {
        remove_loose(r.path(), o);
    }
    r.path().join(format!(".git/objects/pack/pack-{hash}.pack"))
}
