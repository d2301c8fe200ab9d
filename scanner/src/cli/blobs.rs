//! `scanner blobs`: list the unique blobs of a history with their canonical
//! context, one JSON line each, sorted by blob id (for inspection and as the
//! oracle the tests and the harness compare against).

use clap::{Args as ClapArgs, ValueEnum};
use scanner::git::{self, Options, Selection, Status};
use scanner::sink::{BlobContext, BlobSink, SinkFactory};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Jsonl,
}

#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Exit status: 0 complete, 3 partial (skipped objects are listed on stderr), 2 error."
)]
pub struct Args {
    /// Repository (work tree, .git directory or bare repository).
    pub repo: PathBuf,
    /// Scan every ref and HEAD.
    #[arg(long, conflicts_with_all = ["range", "refs"])]
    pub all: bool,
    /// Scan A..B: commits reachable from B but not from A.
    #[arg(long, value_name = "A..B", conflicts_with = "refs")]
    pub range: Option<String>,
    /// Refs (or full commit ids) whose histories to scan; default HEAD.
    pub refs: Vec<String>,
    /// Decoding worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    #[command(flatten)]
    pub budgets: super::budgets::Budgets,
    /// Directory for dedupe spill runs (default: system temp directory).
    #[arg(long)]
    pub spill_dir: Option<PathBuf>,
    /// Skip blobs larger than this many bytes.
    #[arg(long)]
    pub max_blob_size: Option<u64>,
    /// Print the per-stage metrics to stderr as `name value` lines.
    #[arg(long)]
    pub metrics: bool,
}

struct Record {
    oid: gix::ObjectId,
    commit: Option<gix::ObjectId>,
    /// The introducing ref when no commit introduces the blob.
    tag: Option<Vec<u8>>,
    path: Vec<u8>,
    size: usize,
}

#[derive(Default)]
struct Collect(Vec<Record>);

impl BlobSink for Collect {
    type Error = std::convert::Infallible;

    fn blob(&mut self, ctx: &BlobContext<'_>, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0.push(Record {
            oid: *ctx.oid,
            commit: ctx.commit().copied(),
            tag: ctx.ref_name().map(<[u8]>::to_vec),
            path: ctx.path.to_vec(),
            size: bytes.len(),
        });
        Ok(())
    }
}

struct Factory;

impl SinkFactory for Factory {
    type Sink = Collect;

    fn make(&self, _worker: usize) -> Collect {
        Collect::default()
    }
}

/// One output line; fields in this order. Exactly one of `commit` and
/// `tag` is present: `tag` (the full ref name) for a blob reached only
/// through a ref that names it or a tree holding it.
#[derive(serde::Serialize)]
struct Line<'a> {
    oid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<std::borrow::Cow<'a, str>>,
    /// Lossy UTF-8 (git paths are bytes).
    path: std::borrow::Cow<'a, str>,
    size: usize,
}

fn write_records(records: &[Record], format: Format) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Jsonl => {
            for r in records {
                let line = Line {
                    oid: r.oid.to_string(),
                    commit: r.commit.map(|c| c.to_string()),
                    tag: r.tag.as_deref().map(String::from_utf8_lossy),
                    path: String::from_utf8_lossy(&r.path),
                    size: r.size,
                };
                serde_json::to_writer(&mut out, &line)?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.flush()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = Options::new(&args.repo);
    opts.selection = if args.all {
        Selection::All
    } else if let Some(r) = args.range {
        Selection::Range(r)
    } else if !args.refs.is_empty() {
        Selection::Refs(args.refs)
    } else {
        Selection::Head
    };
    if let Some(t) = args.threads {
        opts.threads = t;
    }
    args.budgets.apply(&mut opts);
    opts.spill_dir = args.spill_dir;
    if let Some(m) = args.max_blob_size {
        opts.max_blob_size = m;
    }
    let (outcome, sinks) = git::scan(&opts, &Factory)?;
    let mut records: Vec<Record> = sinks.into_iter().flat_map(|s| s.0).collect();
    records.sort_unstable_by_key(|r| r.oid);
    match write_records(&records, args.format) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r?,
    }
    if args.metrics {
        for (name, value) in outcome.metrics() {
            eprintln!("{name} {value}");
        }
    }
    for w in &outcome.warnings {
        eprintln!("scanner: warning: {w}");
    }
    for s in &outcome.skipped {
        eprintln!("scanner: skipped {}: {}", s.oid, s.reason);
    }
    Ok(match outcome.status {
        Status::Complete => ExitCode::SUCCESS,
        Status::Partial => ExitCode::from(3),
    })
}
