//! The `scanner` binary: `rules check|list`, `scan --path`, formats, exit
//! codes, suppression, and bad input failing before any scanning.

use std::path::Path;
use std::process::{Command, Output};

fn scanner(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scanner"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run scanner")
}

/// `scanner scan --path . ARGS` in `cwd`.
fn scan_path(cwd: &Path, args: &[&str]) -> Output {
    let mut all = vec!["scan", "--path", "."];
    all.extend_from_slice(args);
    scanner(&all, cwd)
}

/// `scanner scan --path . ARGS` in `cwd`, asserting its exit status.
fn scan_status(cwd: &Path, args: &[&str], status: i32) -> Output {
    let o = scan_path(cwd, args);
    assert_eq!(
        o.status.code(),
        Some(status),
        "{args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GH: &str = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.env"),
        format!("GH_TOKEN={GH}\nDEBUG=1\n"),
    )
    .expect("write");
    std::fs::write(dir.path().join("clean.rs"), "fn main() {}\n").expect("write");
    std::fs::write(dir.path().join(".gitignore"), "ignored/\n").expect("write");
    std::fs::create_dir(dir.path().join("ignored")).expect("mkdir");
    std::fs::write(
        dir.path().join("ignored/x.env"),
        "T=glpat-abcdefghij0123456789\n",
    )
    .expect("write");
    dir
}

#[test]
fn rules_check_and_list() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = scanner(&["rules", "check"], here);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("rules check: ok:"));
    let o = scanner(&["rules", "check", "--rules", "rules"], here);
    assert!(
        o.status.success(),
        "the committed directory equals the embedded set: {}",
        stderr(&o)
    );
    let o = scanner(&["rules", "list"], here);
    assert!(o.status.success());
    assert!(stdout(&o).lines().count() >= 120);
    let o = scanner(&["rules", "list", "--json"], here);
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert!(v["examples"].as_u64().expect("examples") >= 2);
    }
}

#[test]
fn scan_path_formats_and_exit_codes() {
    let dir = tree();
    let p = dir.path();
    let o = scan_status(p, &["--format", "json"], 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, ".gitignore respected: {findings:?}");
    assert_eq!(findings[0]["rule_id"], "github-pat-classic");
    assert_eq!(findings[0]["path"], "config.env");
    assert_eq!(findings[0]["start_line"], 1);
    assert_eq!(findings[0]["start_column"], 10);
    assert!(!stdout(&o).contains(GH), "redacted by default");

    let o = scan_status(p, &["--format", "jsonl", "--show-secrets"], 1);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).contains(GH));

    let o = scan_status(p, &["--exit-code", "0"], 0);
    assert!(stdout(&o).contains("github-pat-classic config.env:1:10"));

    let o = scan_status(p, &["--format", "sarif", "--output", "out.sarif"], 1);
    assert!(stdout(&o).is_empty());
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("out.sarif")).expect("read"))
            .expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");

    std::fs::remove_file(p.join("config.env")).expect("rm");
    std::fs::remove_file(p.join("out.sarif")).expect("rm");
    scan_status(p, &[], 0);
}

#[test]
fn baseline_and_ignore_file_from_the_command_line() {
    let dir = tree();
    let p = dir.path();
    scan_status(p, &["--format", "json", "-o", "prev.json"], 1);
    scan_status(p, &["--baseline", "prev.json"], 0);
    std::fs::write(
        p.join("new.env"),
        "SG=SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n",
    )
    .expect("write");
    let o = scan_status(p, &["--baseline", "prev.json", "--format", "jsonl"], 1);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).contains("sendgrid-api-key"));
    std::fs::write(p.join(".scannerignore"), "*.env\n").expect("write");
    scan_status(p, &[], 0);
}

#[test]
fn bad_input_fails_with_status_2_before_scanning() {
    let dir = tree();
    let p = dir.path();
    let o = scan_status(p, &["--rules", "missing-rules"], 2);
    assert!(stderr(&o).contains("missing-rules"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "nothing scanned or printed");

    std::fs::create_dir(p.join("badrules")).expect("mkdir");
    std::fs::write(
        p.join("badrules/r.toml"),
        "[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\ncategory = \"c\"\nconfidence = \"high\"\nkeywords = [\"ab\"]\nregex = '(ab['\n",
    )
    .expect("write");
    let o = scan_status(p, &["--rules", "badrules"], 2);
    assert!(
        stderr(&o).contains("r.toml") && stderr(&o).contains("invalid regex"),
        "{}",
        stderr(&o)
    );
    let o = scanner(&["rules", "check", "--rules", "badrules"], p);
    assert_eq!(o.status.code(), Some(2));

    std::fs::write(p.join("bad.json"), "[1, 2").expect("write");
    let o = scan_status(p, &["--baseline", "bad.json", "-o", "never.json"], 2);
    assert!(stderr(&o).contains("baseline bad.json"), "{}", stderr(&o));
    assert!(
        !p.join("never.json").exists(),
        "failed before creating output"
    );

    let o = scanner(&["scan", "--path", "does-not-exist"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does-not-exist"));

    let o = scanner(&["scan", "."], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a git repository"),
        "{}",
        stderr(&o)
    );

    // A repository with a malformed range or an unknown ref: the error names both.
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .current_dir(p)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "first"]);
    let o = scanner(&["scan", ".", "--range", "nodots"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("malformed range 'nodots'"),
        "{}",
        stderr(&o)
    );
    // Memory flags: a malformed size names itself; a directory scan refuses them.
    let o = scanner(&["scan", ".", "--memory-budget", "12Q"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("12Q"), "{}", stderr(&o));
    let o = scanner(&["scan", "--path", ".", "--tree-cache-budget", "1M"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("git history only"), "{}", stderr(&o));
    let o = scanner(&["scan", ".", "--range", "main..nosuchref"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown revision 'nosuchref'"),
        "{}",
        stderr(&o)
    );
}

/// A repository whose `dir` tree is missing from the object database, with
/// `secret` (if any) in a file outside it and a planted token inside it.
fn damaged_repo(secret: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("git");
        assert!(o.status.success(), "git {args:?}");
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    };
    git(&["init", "-q", "-b", "main", "."]);
    std::fs::create_dir(dir.path().join("dir")).expect("mkdir");
    std::fs::write(dir.path().join("dir/hidden.env"), format!("TOKEN={GH}\n")).expect("write");
    let top = secret.map_or_else(
        || "nothing here\n".to_owned(),
        |s| format!("GH_TOKEN={s}\n"),
    );
    std::fs::write(dir.path().join("top.env"), top).expect("write");
    git(&["add", "-A"]);
    git(&["commit", "-qm", "one"]);
    let tree = git(&["rev-parse", "HEAD:dir"]);
    std::fs::remove_file(
        dir.path()
            .join(".git/objects")
            .join(&tree[..2])
            .join(&tree[2..]),
    )
    .expect("remove the tree");
    dir
}

#[test]
fn a_partial_scan_reports_what_it_skipped_and_fails_only_when_asked() {
    let repo = damaged_repo(None);
    let path = repo.path().to_str().expect("utf-8 path");
    // Nothing found, partial: 0, or 3 with --fail-on-partial.
    let o = scanner(&["scan", path, "--all", "--format", "json"], repo.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    let skipped = report["skipped"].as_array().expect("skipped objects");
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("damaged tree")
    );
    assert!(stderr(&o).contains("partial scan"), "{}", stderr(&o));
    let o = scanner(&["scan", path, "--all", "--fail-on-partial"], repo.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = scanner(&["scan", path, "--all", "--format", "sarif"], repo.path());
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("sarif");
    let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{log}");
    // Findings outside the damage still fail with --exit-code, and no
    // secret reaches stderr.
    let repo = damaged_repo(Some(GH));
    let path = repo.path().to_str().expect("utf-8 path");
    for args in [vec!["--fail-on-partial"], vec![]] {
        let mut all = vec!["scan", path, "--all"];
        all.extend(args);
        let o = scanner(&all, repo.path());
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            !stderr(&o).contains(GH),
            "a secret on stderr: {}",
            stderr(&o)
        );
        assert!(!stdout(&o).contains(GH), "redacted by default");
    }
    // Tiny budgets (every cache at its floor, dedupe spilling) change nothing
    // a user sees.
    let json = |extra: &[&str]| {
        let mut all = vec!["scan", path, "--all", "--format", "json"];
        all.extend(extra);
        let o = scanner(&all, repo.path());
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
        v.as_object_mut().map(|m| m.remove("stats"));
        v
    };
    assert_eq!(json(&[]), json(&["--memory-budget", "4K"]));
    assert_eq!(
        json(&[]),
        json(&["--dedupe-budget", "1", "--base-cache-budget", "0"])
    );
}

/// `git ARGS` in `dir` (fixed identity, no user configuration); stdout,
/// trimmed.
fn git_at(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// A loose object file of `kind` holding `body` under the id `oid` (which
/// need not be its hash): stored zlib blocks, as git would inflate them.
fn put_loose(repo: &Path, oid: &str, kind: &str, body: &[u8]) {
    let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
    raw.extend_from_slice(body);
    let mut z = vec![0x78, 0x01, 1];
    let len = u16::try_from(raw.len()).expect("a small object");
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&(!len).to_le_bytes());
    z.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let path = repo.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, z).expect("write the object");
}

/// A repository with the token in `top.env` (HEAD~1 and HEAD), in
/// `dir/hidden.env` and in commit messages, then damaged as `kind` says.
/// Returns it and extra `scan` arguments.
fn bad_repo(kind: &str) -> (tempfile::TempDir, Vec<&'static str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let init: &[&str] = match kind {
        "sha256" => &["init", "-q", "-b", "main", "--object-format=sha256", "."],
        "reftable" => &["init", "-q", "-b", "main", "--ref-format=reftable", "."],
        _ => &["init", "-q", "-b", "main", "."],
    };
    git_at(p, init);
    std::fs::create_dir(p.join("dir")).expect("mkdir");
    std::fs::write(p.join("dir/hidden.env"), format!("TOKEN={GH}\n")).expect("write");
    std::fs::write(p.join("top.env"), format!("GH_TOKEN={GH}\n")).expect("write");
    git_at(p, &["add", "-A"]);
    git_at(p, &["commit", "-qm", &format!("one {GH}")]);
    std::fs::write(p.join("more.txt"), "more\n").expect("write");
    git_at(p, &["add", "-A"]);
    git_at(p, &["commit", "-qm", &format!("two {GH}")]);
    let mut args = Vec::new();
    let blob = || git_at(p, &["rev-parse", "HEAD:top.env"]);
    match kind {
        "missing-tree" => {
            let tree = git_at(p, &["rev-parse", "HEAD:dir"]);
            std::fs::remove_file(p.join(".git/objects").join(&tree[..2]).join(&tree[2..]))
                .expect("rm");
        }
        "corrupt-commit" => {
            let c = git_at(p, &["rev-parse", "HEAD~1"]);
            put_loose(p, &c, "commit", format!("tree {GH}\n\n{GH}\n").as_bytes());
        }
        "missing-commit" => {
            let c = git_at(p, &["rev-parse", "HEAD~1"]);
            std::fs::remove_file(p.join(".git/objects").join(&c[..2]).join(&c[2..])).expect("rm");
        }
        "corrupt-tag" => {
            let tag = "1234567890123456789012345678901234567890";
            put_loose(
                p,
                tag,
                "tag",
                format!("object {GH}\ntype x\n{GH}\n").as_bytes(),
            );
            std::fs::write(p.join(".git/refs/tags/broken"), format!("{tag}\n")).expect("ref");
        }
        "corrupt-blob" => {
            // The token inside, and a header that lies about the size.
            let b = blob();
            put_loose(p, &b, "blob", format!("GH_TOKEN={GH}\n{GH}\n").as_bytes());
            let path = p.join(".git/objects").join(&b[..2]).join(&b[2..]);
            let mut bytes = std::fs::read(&path).expect("read");
            // After the zlib and stored-block headers (7 bytes), "blob 91":
            // its first digit becomes 4, so the header says 41 bytes.
            let at = 7 + 5;
            bytes[at] = b'4';
            std::fs::write(&path, bytes).expect("write");
        }
        "corrupt-pack" => {
            git_at(p, &["repack", "-adq"]);
            let pack_dir = p.join(".git/objects/pack");
            let pack = std::fs::read_dir(&pack_dir)
                .expect("pack dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|x| x.extension().is_some_and(|e| e == "pack"))
                .expect("a pack");
            let mut bytes = std::fs::read(&pack).expect("read");
            let n = bytes.len();
            for b in &mut bytes[n / 3..n - 24] {
                *b ^= 0x5a;
            }
            std::fs::write(&pack, bytes).expect("write");
        }
        "oversize" => args.extend(["--max-blob-size", "8"]),
        "corrupt-commit-graph" => {
            git_at(p, &["commit-graph", "write", "--reachable"]);
            let graph = p.join(".git/objects/info/commit-graph");
            let mut bytes = std::fs::read(&graph).expect("read");
            bytes[..4].copy_from_slice(b"XXXX");
            std::fs::write(&graph, bytes).expect("write");
        }
        "corrupt-idx" => {
            git_at(p, &["repack", "-adq"]);
            let pack_dir = p.join(".git/objects/pack");
            let idx = std::fs::read_dir(&pack_dir)
                .expect("pack dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|x| x.extension().is_some_and(|e| e == "idx"))
                .expect("an idx");
            let bytes = std::fs::read(&idx).expect("read");
            std::fs::write(&idx, &bytes[..100]).expect("write");
        }
        _ => {}
    }
    (dir, args)
}

#[test]
fn no_bad_input_puts_a_planted_secret_on_stderr() {
    for kind in [
        "missing-tree",
        "corrupt-commit",
        "missing-commit",
        "corrupt-tag",
        "corrupt-blob",
        "corrupt-pack",
        "oversize",
        "corrupt-commit-graph",
        "corrupt-idx",
        "sha256",
        "reftable",
    ] {
        let (repo, extra) = bad_repo(kind);
        let path = repo.path().to_str().expect("utf-8 path");
        for format in ["text", "json", "sarif"] {
            let mut args = vec!["scan", path, "--all", "--format", format];
            args.extend(&extra);
            let o = scanner(&args, repo.path());
            let (out, err) = (stdout(&o), stderr(&o));
            assert!(
                matches!(o.status.code(), Some(0..=3)),
                "{kind}: {:?}: {err}",
                o.status
            );
            assert!(!err.contains("panicked"), "{kind}: {err}");
            assert!(!err.contains(GH), "{kind}: a secret on stderr: {err}");
            assert!(!out.contains(GH), "{kind}: a secret on stdout: {out}");
        }
        let o = scanner(&["blobs", path, "--all"], repo.path());
        assert!(!stderr(&o).contains(GH), "{kind}: blobs: {}", stderr(&o));
        if kind == "corrupt-commit-graph" {
            let err = stderr(&scanner(&["scan", path, "--all"], repo.path()));
            assert_eq!(err.matches("commit-graph not used").count(), 1, "{err}");
        }
    }
}
