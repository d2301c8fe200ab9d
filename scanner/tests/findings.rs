//! Findings: locations, fingerprints, redaction, allow marker, one finding per
//! (rule, secret, blob), binary handling, deterministic reports, suppression
//! and bad-input errors.

use corpora::rng::Rng;
use corpora::secrets::{SecretKind, fingerprint as corpora_fingerprint};
use scanner::detect::findings::{Origin, REDACTED};
use scanner::detect::suppress::Suppressions;
use scanner::detect::{
    Engine, FindingsSink, FindingsSinkFactory, Report, RuleSet, ScanOptions, build_report, dirscan,
};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine"))
}

fn scan_one(text: &[u8], opts: ScanOptions) -> Report {
    let mut sink = FindingsSink::new(engine(), opts, None);
    let origin = Origin {
        blob: None,
        commit: None,
        tag: None,
        path: b"dir/file.env",
    };
    sink.scan_blob(&origin, text);
    build_report(engine(), [sink], &Suppressions::default())
}

#[test]
fn locations_and_fingerprints_match_the_corpora_contract() {
    let mut rng = Rng::new(5);
    for &kind in SecretKind::all() {
        let p = kind.generate(&mut rng);
        let prefix = "line one\nline two has ünïcode\n\n";
        let text = format!("{prefix}{}tail\n", p.text);
        let report = scan_one(text.as_bytes(), ScanOptions::default());
        assert_eq!(report.findings.len(), 1, "{kind:?}");
        let f = &report.findings[0];
        let start = prefix.len() + p.offset;
        assert_eq!(f.rule_id, kind.id());
        assert_eq!((f.byte_start, f.byte_end), (start, start + p.value.len()));
        assert_eq!(f.start_line, 4 + p.lines_before_value(), "{kind:?}");
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        assert_eq!(f.start_column, start - line_start + 1);
        let end_line = f.start_line + p.value.matches('\n').count();
        assert_eq!(f.end_line, end_line);
        assert_eq!(f.fingerprint, corpora_fingerprint(p.value.as_bytes()));
        assert_eq!(
            f.fingerprint,
            scanner::detect::findings::fingerprint(p.value.as_bytes())
        );
        assert!(!f.snippet.contains(&p.value), "redacted by default");
        assert!(f.snippet.contains(REDACTED));
        assert!(f.secret.is_none());
        assert_eq!(f.path, "dir/file.env");
        assert_eq!(
            f.blob,
            scanner::detect::findings::git_blob_id(text.as_bytes())
        );
    }
}

#[test]
fn show_secrets_keeps_the_secret() {
    let text = b"export GH_TOKEN=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\n";
    let report = scan_one(
        text,
        ScanOptions {
            show_secrets: true,
            ..ScanOptions::default()
        },
    );
    let f = &report.findings[0];
    assert_eq!(
        f.secret.as_deref(),
        Some("ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5")
    );
    assert_eq!(
        f.snippet,
        "export GH_TOKEN=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
    );
    assert_eq!(f.end_column, 57);
}

#[test]
fn allow_marker_suppresses_inline() {
    let text = b"a = \"ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\" # scanner:allow\nb = \"ghp_zB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\"\n";
    let report = scan_one(text, ScanOptions::default());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].start_line, 2);
    assert_eq!(report.stats.suppressed_inline, 1);
}

#[test]
fn one_finding_per_rule_secret_and_blob_first_occurrence() {
    let line = "t = \"ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\"\n";
    let text = format!("{line}x\n{line}{line}");
    let report = scan_one(text.as_bytes(), ScanOptions::default());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].start_line, 1);
    // The same secret in two blobs is two findings.
    let mut sink = FindingsSink::new(engine(), ScanOptions::default(), None);
    for path in [&b"b.txt"[..], &b"a.txt"[..]] {
        let origin = Origin {
            blob: None,
            commit: None,
            tag: None,
            path,
        };
        sink.scan_blob(&origin, format!("{path:?}\n{line}").as_bytes());
    }
    let report = build_report(engine(), [sink], &Suppressions::default());
    let paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "b.txt"], "sorted by path");
}

#[test]
fn binary_blobs_are_skipped_unless_asked() {
    let mut text = b"\0binary\n".to_vec();
    text.extend_from_slice(b"k = \"ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\"\n");
    let report = scan_one(&text, ScanOptions::default());
    assert!(report.findings.is_empty());
    assert_eq!(report.stats.binary_skipped, 1);
    let report = scan_one(
        &text,
        ScanOptions {
            scan_binary: true,
            ..ScanOptions::default()
        },
    );
    assert_eq!(report.findings.len(), 1);
}

fn write_tree(dir: &std::path::Path) {
    let mut rng = Rng::new(11);
    for i in 0..30 {
        let mut text = String::new();
        for &kind in SecretKind::all().iter().skip(i % 5).step_by(3) {
            text.push_str("some ordinary text\n");
            text.push_str(&kind.generate(&mut rng).text);
        }
        let sub = dir.join(format!("d{}", i % 4));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join(format!("f{i}.txt")), text).expect("write");
    }
}

#[test]
fn report_is_deterministic_across_thread_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path());
    let files = dirscan::list_files(dir.path()).expect("list");
    let run = |threads| {
        let factory = FindingsSinkFactory {
            engine: engine(),
            opts: ScanOptions::default(),
            progress: None,
        };
        let sinks = dirscan::scan_dir(&factory, &files, threads).expect("scan");
        build_report(engine(), sinks, &Suppressions::default())
    };
    let one = run(1);
    assert!(one.findings.len() > 100);
    for t in [2, 3, 8] {
        let other = run(t);
        assert_eq!(one.findings, other.findings, "threads {t}");
        assert_eq!(one.stats, other.stats);
    }
}

#[test]
fn ignore_file_and_baseline_suppress() {
    let text = b"a = \"ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\"\nexport SENDGRID=SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n";
    let base = scan_one(text, ScanOptions::default());
    assert_eq!(base.findings.len(), 2);
    let fp = &base.findings[0].fingerprint;
    let run = |s: &Suppressions| {
        let mut sink = FindingsSink::new(engine(), ScanOptions::default(), None);
        sink.scan_blob(
            &Origin {
                blob: None,
                commit: None,
                tag: None,
                path: b"dir/file.env",
            },
            text,
        );
        build_report(engine(), [sink], s)
    };
    let mut s = Suppressions::default();
    s.add_ignore_text(std::path::Path::new("ign"), &format!("# comment\n{fp}\n"))
        .expect("ignore");
    assert_eq!(run(&s).findings.len(), 1);
    let mut s = Suppressions::default();
    s.add_ignore_text(std::path::Path::new("ign"), &format!("other-rule:{fp}\n"))
        .expect("ignore");
    assert_eq!(
        run(&s).findings.len(),
        2,
        "rule-scoped fingerprint for another rule"
    );
    let mut s = Suppressions::default();
    s.add_ignore_text(std::path::Path::new("ign"), "dir/*.env\n")
        .expect("ignore");
    let r = run(&s);
    assert!(r.findings.is_empty());
    assert_eq!(r.stats.suppressed_ignore, 2);
    // Baseline: a previous JSON report hides what it already contains.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prev.json");
    let mut one = base.clone();
    one.findings.truncate(1);
    std::fs::write(&path, serde_json::to_string(&one).expect("json")).expect("write");
    let mut s = Suppressions::default();
    s.add_baseline_file(&path).expect("baseline");
    let r = run(&s);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule_id, base.findings[1].rule_id);
    assert_eq!(r.stats.suppressed_baseline, 1);
}

#[test]
fn bad_inputs_are_clear_errors_naming_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-dir");
    let err = RuleSet::load_dir(&missing)
        .expect_err("missing dir")
        .to_string();
    assert!(
        err.contains("no-such-dir") && err.contains("cannot read"),
        "{err}"
    );

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = RuleSet::load_dir(&empty)
        .expect_err("empty dir")
        .to_string();
    assert!(err.contains("no *.toml"), "{err}");

    let rule = |id: &str, regex: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\nname = \"n\"\ndescription = \"d\"\ncategory = \"c\"\nconfidence = \"high\"\nkeywords = [\"abc\"]\nregex = '''{regex}'''\n"
        )
    };
    let bad = dir.path().join("bad-regex");
    std::fs::create_dir(&bad).expect("mkdir");
    std::fs::write(bad.join("x.toml"), rule("broken", "(abc[")).expect("write");
    let err = RuleSet::load_dir(&bad).expect_err("bad regex").to_string();
    assert!(
        err.contains("x.toml") && err.contains("broken") && err.contains("invalid regex"),
        "{err}"
    );

    std::fs::write(bad.join("x.toml"), rule("unbounded", "(abc.*)")).expect("write");
    let err = RuleSet::load_dir(&bad).expect_err("unbounded").to_string();
    assert!(
        err.contains("unbounded") && err.contains("maximum match length"),
        "{err}"
    );

    std::fs::write(bad.join("x.toml"), rule("nogroup", "abc")).expect("write");
    let err = RuleSet::load_dir(&bad).expect_err("no group").to_string();
    assert!(err.contains("capture group"), "{err}");

    std::fs::write(bad.join("x.toml"), "[[rule]]\nid = 3\n").expect("write");
    let err = RuleSet::load_dir(&bad).expect_err("bad toml").to_string();
    assert!(
        err.contains("x.toml") && err.contains("invalid TOML"),
        "{err}"
    );

    let dup = dir.path().join("dup");
    std::fs::create_dir(&dup).expect("mkdir");
    std::fs::write(dup.join("a.toml"), rule("same", "(abc)")).expect("write");
    std::fs::write(dup.join("b.toml"), rule("same", "(abcd)")).expect("write");
    let err = RuleSet::load_dir(&dup).expect_err("duplicate").to_string();
    assert!(
        err.contains("duplicate rule id \"same\"")
            && err.contains("a.toml")
            && err.contains("b.toml"),
        "{err}"
    );

    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, "{ not json").expect("write");
    let err = Suppressions::default()
        .add_baseline_file(&baseline)
        .expect_err("baseline")
        .to_string();
    assert!(
        err.contains("baseline.json") && err.contains("not a scanner JSON report"),
        "{err}"
    );
    let err = Suppressions::default()
        .add_baseline_file(&dir.path().join("nope.json"))
        .expect_err("missing baseline")
        .to_string();
    assert!(err.contains("nope.json"), "{err}");

    let err = Suppressions::default()
        .add_ignore_text(std::path::Path::new(".scannerignore"), "ok/*\nbad[glob\n")
        .expect_err("glob")
        .to_string();
    assert!(
        err.contains(".scannerignore") && err.contains("line 2"),
        "{err}"
    );
}
