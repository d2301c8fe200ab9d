//! Engine throughput on generated source-like text with all rules.
//!
//! `cargo run --release -p scanner --example throughput [MIB] [ROUNDS] [plain]`
//! (`THROUGHPUT_DIR=DIR` scans the text files under DIR instead, up to MIB;
//! `THROUGHPUT_REPO=REPO` the unique text blobs of REPO's whole history, e.g.
//! the medium corpus's blob mix: `target/corpora/medium/repo.git`)
//!
//! Generates MIB (default 64) MiB of source-like blobs (Rust, Python, JS,
//! YAML, JSON, shell; sizes 512 B to 256 KiB, log-uniform; one planted secret
//! per ~64 KiB; identifiers drawn from 41 words of which 5 are credential
//! words (token, password, secret, key, auth), or none with `plain`), then on one thread measures, per round, (a) aho-corasick's
//! own overlapping iterator over the same keywords, (b) the engine's keyword
//! prefilter alone (interleaved DFA walks), and (c) the full engine
//! (`Engine::scan`). Prints MB/s and TSC cycles per
//! byte (best and median of ROUNDS), the automaton kind, and the rules with the
//! most candidate windows.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use corpora::rng::Rng;
use corpora::secrets::SecretKind;
use scanner::detect::{Engine, RuleSet};
use std::time::Instant;

const WORDS: &[&str] = &[
    "config", "user", "value", "result", "error", "request", "response", "client", "server",
    "handler", "buffer", "index", "count", "name", "path", "file", "data", "items", "state",
    "context", "message", "session", "cache", "query", "params", "options", "timeout", "retry",
    "logger", "metrics", "header", "status", "version", "build", "deploy", "service",
    // Credential words last: `plain` text leaves them out.
    "token", "password", "secret", "key", "auth",
];

/// Identifiers without credential words, for `plain` text.
const PLAIN_WORDS: usize = 36;

thread_local! {
    static PLAIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn word(rng: &mut Rng) -> &'static str {
    if PLAIN.with(std::cell::Cell::get) {
        WORDS[rng.index(PLAIN_WORDS)]
    } else {
        let w: &&'static str = rng.pick(WORDS);
        w
    }
}

fn ident(rng: &mut Rng) -> String {
    let a = word(rng);
    if rng.chance(0.5) {
        format!("{a}_{}", word(rng))
    } else {
        (*a).to_string()
    }
}

fn line(rng: &mut Rng) -> String {
    let (a, b, c) = (ident(rng), ident(rng), ident(rng));
    let n = rng.below(10_000);
    match rng.below(14) {
        0 => format!("fn {a}(&self, {b}: u32) -> Result<(), Error> {{\n"),
        1 => format!("    let {a} = {b}.{c}({n})?;\n"),
        2 => format!("    // {a} {b} {c}: handle the {c} case before returning\n"),
        3 => format!("def {a}({b}, {c}=None):\n"),
        4 => format!("    return {a}[{n}] if {b} else {c}\n"),
        5 => format!("const {a} = require(\"./{b}/{c}\");\n"),
        6 => format!("  {a}: \"{b} {c}\"\n"),
        7 => format!("  \"{a}\": {n},\n"),
        8 => format!("# see https://docs.example.com/{a}/{b}?id={n}\n"),
        9 => format!("export {}={n}\n", a.to_uppercase()),
        10 => format!("    if {a}.len() > {n} {{ return Err(Error::{b}); }}\n"),
        11 => "}\n".to_string(),
        12 => format!("    {a}.insert(\"{b}\".to_string(), {c}.clone());\n"),
        _ => format!("        self.{a} = {b}::new({c}, {n});\n"),
    }
}

/// Keeps every delivered blob's bytes (for `THROUGHPUT_REPO`).
struct Keep(Vec<Vec<u8>>);

impl scanner::sink::BlobSink for Keep {
    type Error = std::convert::Infallible;
    fn blob(
        &mut self,
        _: &scanner::sink::BlobContext<'_>,
        bytes: &[u8],
    ) -> Result<(), Self::Error> {
        self.0.push(bytes.to_vec());
        Ok(())
    }
}

struct KeepFactory;

impl scanner::sink::SinkFactory for KeepFactory {
    type Sink = Keep;
    fn make(&self, _: usize) -> Keep {
        Keep(Vec::new())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(64);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let plain = args.next().is_some_and(|s| s == "plain");
    PLAIN.with(|p| p.set(plain));
    let mut rng = Rng::new(2026);
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    let mut total = 0usize;
    let mut since_secret = 0usize;
    if let Some(repo) = std::env::var_os("THROUGHPUT_REPO") {
        let mut opts = scanner::git::Options::new(std::path::PathBuf::from(repo));
        opts.selection = scanner::git::Selection::All;
        let (_, sinks) = scanner::git::scan(&opts, &KeepFactory).expect("repository scans");
        let mut all: Vec<Vec<u8>> = sinks.into_iter().flat_map(|k| k.0).collect();
        // Delivery order depends on threads; sort for a repeatable order.
        all.sort_unstable();
        for b in all {
            if total >= mib << 20 {
                break;
            }
            if !scanner::detect::is_binary(&b) {
                total += b.len();
                blobs.push(b);
            }
        }
    }
    if let Some(dir) = std::env::var_os("THROUGHPUT_DIR") {
        // Real files instead of generated text: the text (non-binary) files
        // under DIR in path order, up to MIB.
        let mut paths = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.is_file() {
                    paths.push(p);
                }
            }
        }
        paths.sort();
        for p in paths {
            if total >= mib << 20 {
                break;
            }
            if let Ok(b) = std::fs::read(&p)
                && !scanner::detect::is_binary(&b)
            {
                total += b.len();
                blobs.push(b);
            }
        }
    }
    while total < mib << 20 {
        let size =
            (512.0 * 512f64.powf((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)) as usize;
        let mut text = String::with_capacity(size + 128);
        while text.len() < size {
            let l = line(&mut rng);
            since_secret += l.len();
            text.push_str(&l);
            if since_secret > 64 << 10 {
                text.push_str(&rng.pick(SecretKind::all()).generate(&mut rng).text);
                since_secret = 0;
            }
        }
        total += text.len();
        blobs.push(text.into_bytes());
    }
    if let Some(dump) = std::env::var_os("THROUGHPUT_DUMP") {
        // Write the generated blobs to a directory, e.g. for `scanner scan --path`.
        let dir = std::path::PathBuf::from(dump);
        std::fs::create_dir_all(&dir).expect("dump dir");
        for (i, b) in blobs.iter().enumerate() {
            std::fs::write(dir.join(format!("blob{i:05}.txt")), b).expect("dump");
        }
    }
    let engine = Engine::new(RuleSet::embedded().expect("rules")).expect("engine");
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(engine.keywords())
        .expect("automaton");
    println!(
        "{} blobs, {:.1} MiB, {} rules, {} keywords, keyword table {} KiB",
        blobs.len(),
        total as f64 / (1 << 20) as f64,
        engine.rules().len(),
        engine.keywords().len(),
        engine.keyword_table_bytes() >> 10,
    );
    let mut scratch = engine.scratch();
    let mut bench = engine.scratch();
    // THROUGHPUT_ONLY=<name prefix> runs one measurement (for profiling).
    let only = std::env::var("THROUGHPUT_ONLY").unwrap_or_default();
    let measure = |name: &str, f: &mut dyn FnMut() -> usize| {
        if !name.starts_with(only.as_str()) {
            return;
        }
        let mut runs = Vec::new();
        let mut out = 0;
        for _ in 0..rounds {
            let t0 = Instant::now();
            let c0 = tsc();
            out = f();
            let cycles = tsc() - c0;
            runs.push((t0.elapsed().as_secs_f64(), cycles));
        }
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (best, med) = (runs[0], runs[runs.len() / 2]);
        println!(
            "{name:<22} best {:>8.1} MB/s {:>5.2} cycles/byte | median {:>8.1} MB/s {:>5.2} cycles/byte | result {out}",
            total as f64 / best.0 / 1e6,
            best.1 as f64 / total as f64,
            total as f64 / med.0 / 1e6,
            med.1 as f64 / total as f64,
        );
    };
    measure("prefilter (engine)", &mut || {
        blobs
            .iter()
            .map(|b| engine.prefilter_hits(&mut bench, b))
            .sum()
    });
    measure("aho-corasick iter", &mut || {
        blobs
            .iter()
            .map(|b| ac.find_overlapping_iter(b.as_slice()).count())
            .sum()
    });
    measure("full engine", &mut || {
        blobs
            .iter()
            .map(|b| engine.scan(&mut scratch, b).len())
            .sum()
    });
    let mut counters: Vec<(u64, u64, &str)> = engine
        .rules()
        .rules()
        .iter()
        .zip(scratch.counters())
        .map(|(r, c)| (c.candidates, c.confirmed, r.spec.id.as_str()))
        .collect();
    counters.sort_unstable_by(|a, b| b.cmp(a));
    println!("top rules by candidate windows (all rounds): candidates confirmed id");
    for (cand, conf, id) in counters.iter().take(8) {
        println!("  {cand:>10} {conf:>8} {id}");
    }
}

#[cfg(target_arch = "x86_64")]
fn tsc() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc() -> u64 {
    0
}
