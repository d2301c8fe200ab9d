//! The index files a scan trusts to find objects: a pack's `.idx`, the
//! multi-pack-index and the commit-graph. A tiny repository (built once per
//! process with git, repacked, with a multi-pack-index and a commit-graph)
//! gets one of the three replaced by the input (its first byte chooses
//! which) and is scanned with `--all` on one thread, through everything the
//! scan does with them: opening, lookups, commit selection, mapping, plan
//! and exec. A bad index is an error naming it or a skip with a reason;
//! a bad commit-graph is a warning; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::git::{Options, Selection};
use scanner::sink::{BlobContext, BlobSink, SinkFactory};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

struct Template {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    /// The three files and their sound contents.
    files: [(PathBuf, Vec<u8>); 3],
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=f", "-c", "user.email=f@example.invalid"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "git {args:?} (the fuzz target needs git)");
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).expect("mkdir");
        git(&repo, &["init", "-q", "-b", "main", "."]);
        for i in 0..3 {
            std::fs::write(repo.join("a.txt"), format!("alpha {i}\n")).expect("write");
            std::fs::write(repo.join(format!("f{i}.txt")), "file\n").expect("write");
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-qm", &format!("c{i}")]);
        }
        git(&repo, &["repack", "-adq"]);
        git(&repo, &["multi-pack-index", "write"]);
        git(&repo, &["commit-graph", "write", "--reachable"]);
        let objects = repo.join(".git/objects");
        let idx = std::fs::read_dir(objects.join("pack"))
            .expect("pack dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .expect("an idx");
        let files = [
            idx,
            objects.join("pack/multi-pack-index"),
            objects.join("info/commit-graph"),
        ]
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        });
        Template {
            _dir: dir,
            repo,
            files,
        }
    })
}

struct Discard;
impl BlobSink for Discard {
    type Error = std::convert::Infallible;
    fn blob(&mut self, _: &BlobContext<'_>, _: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }
}
struct Factory;
impl SinkFactory for Factory {
    type Sink = Discard;
    fn make(&self, _: usize) -> Discard {
        Discard
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let t = template();
    let which = usize::from(which % 3);
    for (i, (path, sound)) in t.files.iter().enumerate() {
        let bytes = if i == which { body } else { sound.as_slice() };
        std::fs::write(path, bytes).expect("write");
    }
    let mut opts = Options::new(&t.repo);
    opts.selection = Selection::All;
    opts.threads = 1;
    let _ = scanner::git::scan(&opts, &Factory);
});
