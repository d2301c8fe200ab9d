//! harness-history: main's benchmark history in an embedded SQLite database
//! (rusqlite with SQLite compiled in), and the change points in it.
//!
//! The JSON results files stay the interchange format; the database is an
//! index over them, rebuilt from them at any time ([`History::import`] is
//! idempotent: a run is keyed by its creation time, revision, machine and
//! counter source). One row per run ([`RunMeta`] adds what the file does
//! not hold: the commit's time and the branch); one row per run ×
//! workload × metric × stage with the median, its interval and the sample
//! count. [`History::series`] reads them back as the model's
//! [`Series`], one per machine fingerprint and counter source, in commit
//! order; [`detect`] finds their change points (E-divisive means for timed
//! metrics, exact steps for deterministic ones: `harness_analysis::changepoint`).
//!
//! Invariants: the schema is versioned (`PRAGMA user_version`) and migrated
//! forward in one transaction per step; a database newer than this build is
//! refused, never rewritten; an import is one transaction (all of a run's
//! rows or none).

use harness_analysis::changepoint::{ChangePointSettings, e_divisive, exact_steps};
use harness_model::exact::{ExactMetric, ExactRun};
use harness_model::history::{Detection, Series, SeriesKey, SeriesPoint};
use harness_model::micro::MicroFigure;
use harness_model::results::RunFile;
use harness_model::{CounterSource, Environment};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Migrations, in order: entry `k` takes the schema from version `k` to
/// `k + 1`.
const MIGRATIONS: &[&str] = &["
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    created TEXT NOT NULL,
    commit_sha TEXT,
    commit_time INTEGER,
    branch TEXT,
    dirty INTEGER NOT NULL,
    machine TEXT NOT NULL,
    counter_source TEXT NOT NULL
);
CREATE TABLE points (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    workload TEXT NOT NULL,
    metric TEXT NOT NULL,
    stage TEXT NOT NULL,
    unit TEXT NOT NULL,
    deterministic INTEGER NOT NULL,
    median REAL NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (run_id, workload, metric, stage)
);
CREATE INDEX points_by_series ON points (workload, metric, stage);
"];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "{path}: history schema {found} is newer than this harness's ({SCHEMA_VERSION}); rebuild it with `harness history import`"
    )]
    Newer { path: PathBuf, found: i64 },
    #[error("{path}: cannot create its folder: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a results file does not say about its run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunMeta {
    /// Where the run came from (its file), for people.
    pub source: String,
    /// The commit's committer time (seconds since the epoch).
    pub commit_time: Option<i64>,
    pub branch: Option<String>,
}

/// What [`History::import`] did with a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// New: this many figures stored.
    Added(usize),
    /// The same run was imported before; nothing changed.
    AlreadyPresent,
}

/// An open history database.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
}

/// One figure of a run, as stored.
struct Row<'a> {
    workload: &'a str,
    metric: &'a str,
    stage: &'a str,
    unit: &'a str,
    deterministic: bool,
    median: f64,
    low: f64,
    high: f64,
    n: usize,
}

fn micro_row<'a>(id: &'a str, f: &'a MicroFigure) -> Row<'a> {
    let spread = f.mad.unwrap_or(0.0);
    Row {
        workload: id,
        metric: f.metric.as_str(),
        stage: "",
        unit: &f.unit,
        deterministic: f.metric.deterministic(),
        median: f.value,
        low: f.value - spread,
        high: f.value + spread,
        n: f.samples.unwrap_or(1),
    }
}

/// Every figure of a run: each stratum's metrics, each stage's wall time
/// and cycles per byte, each microbenchmark figure, each exact end-to-end
/// figure.
fn rows(run: &RunFile) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for s in &run.strata {
        let workload = s.stratum.as_str();
        for m in &s.metrics {
            out.push(Row {
                workload,
                metric: m.metric.as_str(),
                stage: "",
                unit: &m.unit,
                deterministic: m.metric.deterministic(),
                median: m.summary.median,
                low: m.summary.median_ci.low,
                high: m.summary.median_ci.high,
                n: m.summary.n,
            });
        }
        for st in &s.stages {
            out.push(Row {
                workload,
                metric: "wall_ns",
                stage: &st.stage,
                unit: "ns",
                deterministic: false,
                median: st.wall_ns.median,
                low: st.wall_ns.median_ci.low,
                high: st.wall_ns.median_ci.high,
                n: st.wall_ns.n,
            });
            if let Some(cpb) = &st.cycles_per_byte {
                out.push(Row {
                    workload,
                    metric: "cycles_per_byte",
                    stage: &st.stage,
                    unit: st.cycles_source.unit(),
                    deterministic: false,
                    median: cpb.median,
                    low: cpb.median_ci.low,
                    high: cpb.median_ci.high,
                    n: cpb.n,
                });
            }
        }
    }
    for m in &run.micro {
        out.extend(m.figures.iter().map(|f| micro_row(&m.id, f)));
    }
    for e in &run.exact {
        out.extend(exact_rows(e));
    }
    out
}

/// The history's name of an exact end-to-end metric: its own series, apart
/// from the timed metrics' (`instructions` is perf-event's, sampled).
fn exact_metric_name(metric: ExactMetric) -> &'static str {
    match metric {
        ExactMetric::Instructions => "exact_instructions",
        ExactMetric::EstimatedCycles => "exact_estimated_cycles",
    }
}

/// A run's exact figures of one stratum: the totals and each stage's
/// instructions, each a single exact value (an interval of width 0).
fn exact_rows(e: &ExactRun) -> Vec<Row<'_>> {
    let exact = |metric: ExactMetric, stage: &'static str, value: u64| Row {
        workload: e.stratum.as_str(),
        metric: exact_metric_name(metric),
        stage,
        unit: metric.as_str(),
        deterministic: true,
        median: value as f64,
        low: value as f64,
        high: value as f64,
        n: 1,
    };
    let totals = ExactMetric::all()
        .into_iter()
        .filter_map(|m| Some(exact(m, "", e.figures.value(m)?)));
    let stages = e
        .figures
        .stages
        .iter()
        .map(|s| exact(ExactMetric::Instructions, s.stage.as_str(), s.instructions));
    totals.chain(stages).collect()
}

/// The key that makes an import idempotent.
fn run_key(run: &RunFile, env: &Environment) -> String {
    format!(
        "{}|{}|{}|{}",
        run.created,
        env.git_sha.as_deref().unwrap_or("-"),
        env.machine(),
        env.counters.source
    )
}

impl History {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Folder {
                path: path.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| HistoryError::Sqlite {
            path: path.to_owned(),
            source,
        })?;
        let mut h = History {
            conn,
            path: path.to_owned(),
        };
        h.migrate()?;
        Ok(h)
    }

    /// An in-memory history (tests, one-off analyses).
    pub fn in_memory() -> Result<History, HistoryError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut h = History { conn, path };
        h.migrate()?;
        Ok(h)
    }

    fn sql(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// The schema version stored in the file.
    pub fn version(&self) -> Result<i64, HistoryError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        self.conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(|e| self.sql(e))?;
        let found = self.version()?;
        if found > SCHEMA_VERSION {
            return Err(HistoryError::Newer {
                path: self.path.clone(),
                found,
            });
        }
        for (k, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let path = self.path.clone();
            let err = |source| HistoryError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(step).map_err(err)?;
            tx.pragma_update(None, "user_version", k as i64 + 1)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// Stores `run` unless it is already there.
    pub fn import(&mut self, run: &RunFile, meta: &RunMeta) -> Result<Imported, HistoryError> {
        let env = &run.environment;
        let key = run_key(run, env);
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let inserted = tx
            .execute(
                "INSERT OR IGNORE INTO runs (key, source, created, commit_sha, commit_time, branch, dirty, machine, counter_source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    key,
                    meta.source,
                    run.created,
                    env.git_sha,
                    meta.commit_time,
                    meta.branch,
                    env.git_dirty,
                    env.machine(),
                    env.counters.source.as_str(),
                ],
            )
            .map_err(err)?;
        if inserted == 0 {
            return Ok(Imported::AlreadyPresent);
        }
        let run_id = tx.last_insert_rowid();
        let rows = rows(run);
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO points (run_id, workload, metric, stage, unit, deterministic, median, low, high, n)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(err)?;
            for r in &rows {
                stmt.execute(params![
                    run_id,
                    r.workload,
                    r.metric,
                    r.stage,
                    r.unit,
                    r.deterministic,
                    r.median,
                    r.low,
                    r.high,
                    r.n as i64,
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(Imported::Added(rows.len()))
    }

    /// How many runs are stored.
    pub fn runs(&self) -> Result<usize, HistoryError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.sql(e))
    }

    /// Every stored series key (workload, metric, stage, machine, source).
    pub fn keys(&self) -> Result<Vec<SeriesKey>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT p.workload, p.metric, p.stage, r.machine, r.counter_source
                 FROM points p JOIN runs r ON r.id = p.run_id
                 ORDER BY p.workload, p.stage, p.metric, r.machine, r.counter_source",
            )
            .map_err(|e| self.sql(e))?;
        let keys = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))?;
        Ok(keys
            .into_iter()
            .filter_map(|(workload, metric, stage, machine, source)| {
                // A source this build does not know cannot be compared with
                // anything it measures.
                let counter_source = source.parse::<CounterSource>().ok()?;
                Some(SeriesKey {
                    workload,
                    metric,
                    stage: (!stage.is_empty()).then_some(stage),
                    machine,
                    counter_source,
                })
            })
            .collect())
    }

    /// The series of `key`, oldest commit first (runs without a commit
    /// time by creation time, after those with one at the same instant).
    pub fn series(&self, key: &SeriesKey) -> Result<Option<Series>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.commit_sha, r.commit_time, r.created, r.branch, r.dirty,
                        p.median, p.low, p.high, p.n, p.unit, p.deterministic
                 FROM points p JOIN runs r ON r.id = p.run_id
                 WHERE p.workload = ?1 AND p.metric = ?2 AND p.stage = ?3
                   AND r.machine = ?4 AND r.counter_source = ?5
                 ORDER BY COALESCE(r.commit_time, strftime('%s', r.created)), r.created",
            )
            .map_err(|e| self.sql(e))?;
        let stage = key.stage.clone().unwrap_or_default();
        let mut unit = None;
        let mut deterministic = false;
        let points = stmt
            .query_map(
                params![
                    key.workload,
                    key.metric,
                    stage,
                    key.machine,
                    key.counter_source.as_str()
                ],
                |r| {
                    Ok((
                        SeriesPoint {
                            commit: r.get(0)?,
                            commit_time: r.get(1)?,
                            created: r.get(2)?,
                            branch: r.get(3)?,
                            dirty: r.get(4)?,
                            median: r.get(5)?,
                            low: r.get(6)?,
                            high: r.get(7)?,
                            n: r.get::<_, i64>(8)? as usize,
                        },
                        r.get::<_, String>(9)?,
                        r.get::<_, bool>(10)?,
                    ))
                },
            )
            .map_err(|e| self.sql(e))?
            .map(|row| {
                row.map(|(p, u, d)| {
                    unit.get_or_insert(u);
                    deterministic = d;
                    p
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))?;
        Ok(unit.map(|unit| Series {
            key: key.clone(),
            unit,
            deterministic,
            points,
        }))
    }

    /// The series of `workload` × `metric` (× `stage`) on every machine and
    /// counter source it was measured with.
    pub fn find(
        &self,
        workload: &str,
        metric: &str,
        stage: Option<&str>,
    ) -> Result<Vec<Series>, HistoryError> {
        let mut out = Vec::new();
        for key in self.keys()? {
            if key.workload == workload && key.metric == metric && key.stage.as_deref() == stage {
                out.extend(self.series(&key)?);
            }
        }
        Ok(out)
    }

    /// Whether the run with this key is stored (tests, tools).
    pub fn contains(&self, run: &RunFile) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT id FROM runs WHERE key = ?1",
                params![run_key(run, &run.environment)],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|id| id.is_some())
            .map_err(|e| self.sql(e))
    }
}

/// The change points of `series`: exact steps for figures that are exact
/// in every run (deterministic, and every run's interval a single value:
/// instruction counts), E-divisive means otherwise. Allocation counts are
/// deterministic with one scanner thread but vary by a percent or two with
/// several, which exact steps would report as shifts.
pub fn detect(series: &Series, settings: &ChangePointSettings) -> Vec<Detection> {
    let values: Vec<f64> = series.points.iter().map(|p| p.median).collect();
    let exact = series.deterministic && series.points.iter().all(|p| p.low == p.high);
    let found = if exact {
        exact_steps(&values, settings.min_magnitude)
    } else {
        e_divisive(&values, settings)
    };
    found
        .into_iter()
        .filter_map(|c| {
            let before = series.points.get(c.index.checked_sub(1)?)?.clone();
            let after = series.points.get(c.index)?.clone();
            Some(Detection {
                key: series.key.clone(),
                index: c.index,
                before,
                after,
                ratio: c.ratio,
                interval: c.interval,
                p_value: c.p_value,
            })
        })
        .collect()
}
