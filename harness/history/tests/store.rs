//! The history store against the committed results files and synthetic
//! series built from them.

use harness_analysis::changepoint::ChangePointSettings;
use harness_history::{History, HistoryError, Imported, RunMeta, SCHEMA_VERSION, detect};
use harness_model::results::{Metric, RunFile, read_run, rfc3339};
use std::path::{Path, PathBuf};

fn committed_runs() -> Vec<(PathBuf, RunFile)> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../results/runs"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("results/runs lists")
        .map(|e| e.expect("results/runs entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let run = read_run(&p).expect("a committed run reads");
            (p, run)
        })
        .collect()
}

fn meta(p: &Path) -> RunMeta {
    RunMeta {
        source: p.display().to_string(),
        commit_time: None,
        branch: Some("main".into()),
    }
}

#[test]
fn importing_the_same_runs_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h/history.sqlite");
    let runs = committed_runs();
    let mut h = History::open(&db).unwrap();
    assert_eq!(h.version().unwrap(), SCHEMA_VERSION);
    for (p, r) in &runs {
        assert!(matches!(h.import(r, &meta(p)).unwrap(), Imported::Added(n) if n > 0));
    }
    let keys = h.keys().unwrap();
    drop(h);
    let mut h = History::open(&db).unwrap();
    for (p, r) in &runs {
        assert_eq!(h.import(r, &meta(p)).unwrap(), Imported::AlreadyPresent);
        assert!(h.contains(r).unwrap());
    }
    assert_eq!(h.runs().unwrap(), runs.len());
    assert_eq!(h.keys().unwrap(), keys);
    let medium = h.find("medium", "cpu_ns", None).unwrap();
    assert!(!medium.is_empty());
    let points: usize = medium.iter().map(|s| s.points.len()).sum();
    assert_eq!(
        points,
        runs.iter().filter(|(_, r)| !r.strata.is_empty()).count()
    );
    // Stages and microbenchmarks are series too.
    assert!(
        !h.find("medium", "cycles_per_byte", Some("exec"))
            .unwrap()
            .is_empty()
    );
    assert!(
        h.keys()
            .unwrap()
            .iter()
            .any(|k| k.workload == "spill_merge/runs_16" && k.metric == "instructions")
    );
}

#[test]
fn a_newer_database_is_refused_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    drop(History::open(&db).unwrap());
    let conn = set_version(&db, SCHEMA_VERSION + 1);
    drop(conn);
    let err = History::open(&db).unwrap_err();
    assert!(matches!(err, HistoryError::Newer { .. }), "{err}");
    assert!(err.to_string().contains("history.sqlite"), "{err}");
}

fn set_version(db: &Path, v: i64) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).expect("the database opens");
    conn.pragma_update(None, "user_version", v)
        .expect("user_version is set");
    conn
}

/// Ten successive commits of one run, the last four 4% slower in `cpu_ns`.
#[test]
fn a_slowdown_in_the_series_is_found_at_its_commit() {
    let (_, base) = committed_runs()
        .into_iter()
        .find(|(_, r)| !r.strata.is_empty())
        .unwrap();
    let mut h = History::in_memory().unwrap();
    let noise = [
        1.0, 0.996, 1.004, 0.998, 1.003, 0.997, 1.002, 1.001, 0.999, 1.0,
    ];
    for (k, wiggle) in noise.into_iter().enumerate() {
        let mut run = base.clone();
        run.created = rfc3339(1_800_000_000 + k as u64 * 3_600);
        run.environment.git_sha = Some(format!("{k:040x}"));
        let factor = if k >= 6 { 1.04 } else { 1.0 } * wiggle;
        for s in &mut run.strata {
            for m in &mut s.metrics {
                if m.metric == Metric::CpuNs {
                    m.summary.median *= factor;
                    m.summary.median_ci.low *= factor;
                    m.summary.median_ci.high *= factor;
                }
            }
        }
        let meta = RunMeta {
            source: format!("synthetic {k}"),
            commit_time: Some(1_800_000_000 + k as i64 * 3_600),
            branch: Some("main".into()),
        };
        h.import(&run, &meta).unwrap();
    }
    let series = h.find("medium", "cpu_ns", None).unwrap();
    assert_eq!(series.len(), 1);
    let found = detect(&series[0], &ChangePointSettings::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].index, 6);
    assert_eq!(
        found[0].after.commit.as_deref(),
        Some(format!("{:040x}", 6).as_str())
    );
    assert!((found[0].ratio - 1.04).abs() < 0.01, "{}", found[0].ratio);
    // The untouched metrics have no change point.
    let allocations = h.find("medium", "allocations", None).unwrap();
    assert!(allocations[0].deterministic);
    assert!(detect(&allocations[0], &ChangePointSettings::default()).is_empty());
    // A deterministic figure that varies between runs (allocations with
    // two threads) is not judged by exact steps: a ±2% wobble is no shift.
    let mut wobbly = allocations[0].clone();
    for (k, p) in wobbly.points.iter_mut().enumerate() {
        let f = if k % 2 == 0 { 1.025 } else { 0.975 };
        p.median *= f;
        p.low = p.median * 0.99;
        p.high = p.median * 1.01;
    }
    assert!(detect(&wobbly, &ChangePointSettings::default()).is_empty());
    let mut exact = wobbly.clone();
    for p in &mut exact.points {
        p.low = p.median;
        p.high = p.median;
    }
    assert!(!detect(&exact, &ChangePointSettings::default()).is_empty());
}

#[test]
fn exact_end_to_end_figures_are_their_own_series_and_step_exactly() {
    use harness_model::Stratum;
    use harness_model::exact::{ExactFigures, ExactRun, ExactSource, ExactStage};
    use harness_model::profile::PipelineStage;
    let (_, base) = committed_runs()
        .into_iter()
        .find(|(_, r)| !r.strata.is_empty())
        .unwrap();
    let mut h = History::in_memory().unwrap();
    // Eight commits: a few instructions of wobble (far below 2%), then a
    // 4% step in the scan at commit 5.
    for k in 0..8u64 {
        let mut run = base.clone();
        run.created = rfc3339(1_800_000_000 + k * 3_600);
        run.environment.git_sha = Some(format!("{k:040x}"));
        let engine = if k >= 5 { 1_040_000_000 } else { 1_000_000_000 } + k;
        run.exact = vec![ExactRun {
            stratum: Stratum::Medium,
            source: ExactSource::Callgrind,
            figures: ExactFigures {
                instructions: engine + 500_000_000,
                estimated_cycles: Some(2 * engine),
                stages: vec![ExactStage {
                    stage: PipelineStage::Detect,
                    instructions: engine,
                }],
            },
        }];
        let meta = RunMeta {
            source: format!("synthetic {k}"),
            commit_time: Some(1_800_000_000 + k as i64 * 3_600),
            branch: Some("main".into()),
        };
        h.import(&run, &meta).unwrap();
    }
    let settings = ChangePointSettings::default();
    for (metric, stage, ratio) in [
        ("exact_instructions", None, 1.54 / 1.5),
        ("exact_instructions", Some("detect"), 1.04),
        ("exact_estimated_cycles", None, 1.04),
    ] {
        let series = h.find("medium", metric, stage).unwrap();
        assert_eq!(series.len(), 1, "{metric} {stage:?}");
        assert!(series[0].deterministic);
        assert_eq!(series[0].points.len(), 8);
        let found = detect(&series[0], &settings);
        // Total instructions moved by 2.7%, the stage and the cycles by 4%:
        // each has exactly one change point, at commit 5, with no interval.
        assert_eq!(found.len(), 1, "{metric} {stage:?}: {found:?}");
        assert_eq!(found[0].index, 5);
        assert!((found[0].ratio - ratio).abs() < 1e-3, "{}", found[0].ratio);
        assert!(found[0].interval.is_none());
    }
    // The timed `instructions` metric (perf-event's) is a different series.
    assert!(h.find("medium", "instructions", None).unwrap().is_empty());
}
