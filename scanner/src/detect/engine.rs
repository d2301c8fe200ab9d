//! The matching engine: keyword prefilter, anchored or windowed regex
//! confirmation, entropy gate, and the per-blob resolution of overlaps and
//! duplicates.
//!
//! Main types: [`Engine`] (immutable, shared by all threads: the rule set, the
//! keyword automaton over every rule's keywords, per-pattern rule lists) and
//! [`Scratch`] (caller-owned, one per thread: regex caches, capture slots,
//! hit, attempt, window and match buffers, per-rule counters).
//! [`Engine::scan`] returns the resolved [`RawMatch`]es of one blob, borrowed
//! from the scratch.
//!
//! Algorithm, per blob:
//! 1. The blob is cut into chunks of `chunk_size` bytes; chunk `i` is searched
//!    over `[i·S, i·S + S + overlap)` where `overlap` is the longest possible
//!    match of any rule. A match is kept only by the chunk whose owned range
//!    `[i·S, (i+1)·S)` contains its start, so a secret across a chunk boundary
//!    is found exactly once. Regexes run on the whole blob with a span, so
//!    look-around (`^`, `$`, word boundaries) never sees an artificial edge.
//! 2. Keyword hits (overlapping, ASCII case-insensitive) come from four
//!    interleaved walks of the [`KeywordDfa`] over the chunk.
//! 3. For a rule with an [`Anchor`](super::rules::Anchor) (its regex pins a
//!    keyword at a bounded distance from the match start), each hit at `s`
//!    becomes anchored searches starting at `s − before_max ..= s −
//!    before_min_off_start` (plus offset 0 for paths through `^`), using the
//!    rule's small dense DFA when it has one, the meta regex otherwise.
//! 4. For other rules, a hit of pattern `p` at `[s, e)` makes the window
//!    `[s − max_len(r), e + max_len(r))` clipped to the chunk; windows are
//!    sorted and merged per rule and the regex iterates over each, restarting
//!    at the end of the secret (the first capture group) so boundary bytes
//!    consumed by one match can start the next. Since every match of `r`
//!    contains one of its keywords and is at most `max_len(r)` long, both
//!    ways find every match: the prefilter has no false negatives (tested
//!    against running every regex over the whole input).
//! 5. Matches whose secret is empty or fails the rule's entropy gate are
//!    dropped.
//! 6. Resolution: overlapping matches of the same rule keep the leftmost;
//!    a generic rule's match is dropped when its value contains one of the
//!    rule's own keywords of five bytes or more (a label such as
//!    `"challengePassword"`), when it overlaps a specific rule's
//!    match or when its secret starts with a specific rule's token prefix (a
//!    keyword that begins that rule's example secrets: the value has the
//!    provider's shape, so that provider's rule is authoritative); then
//!    one match per (rule, secret bytes) is kept, the first occurrence. The
//!    result is sorted by (secret start, rule index).
//!
//! Invariant: after warm-up (buffers and lazy-DFA caches grown to the working
//! set), `scan` performs no heap allocation.

use super::entropy;
use super::prefilter::KeywordDfa;
use super::rules::RuleSet;
use regex_automata::dfa::Automaton as _;
use regex_automata::{Anchored, Input, meta, util::captures::Captures};
use std::ops::Range;

/// Git's binary heuristic: a blob is binary iff its first 8000 bytes contain
/// a NUL byte. The corpora's ground truth uses the same rule.
pub const BINARY_PREFIX: usize = 8000;

/// Whether `bytes` is binary by git's heuristic ([`BINARY_PREFIX`]).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_PREFIX)].contains(&0)
}

/// Independent DFA walks interleaved by the keyword scan.
const STREAMS: usize = 4;

/// Below `STREAMS * MIN_STREAM_LEN` bytes a chunk is walked as one stream.
const MIN_STREAM_LEN: usize = 64;

/// A keyword occurrence: (pattern id, start, end).
type Hit = (u32, usize, usize);

/// Default chunk size for large blobs.
pub const DEFAULT_CHUNK_SIZE: usize = 256 * 1024;

/// One resolved match in a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawMatch {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: u32,
    /// Byte span of the secret (capture group 1).
    pub secret: (usize, usize),
    /// Byte span of the whole regex match (boundary bytes included).
    pub whole: (usize, usize),
    drop: bool,
}

impl RawMatch {
    pub fn secret_range(&self) -> Range<usize> {
        self.secret.0..self.secret.1
    }
}

/// Per-rule work counters: keyword-hit candidate windows and confirmed
/// (regex + entropy) matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleCounters {
    pub candidates: u64,
    pub confirmed: u64,
}

/// Compiled, immutable matcher shared by all worker threads.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    /// Overlapping, ASCII case-insensitive keyword automaton.
    dfa: KeywordDfa,
    /// Longest keyword, in bytes.
    max_keyword: usize,
    /// For AC pattern `p`: `pattern_rules[p_start[p]..p_start[p+1]]`.
    pattern_rules: Vec<u32>,
    pattern_start: Vec<usize>,
    keywords: Vec<String>,
    generic: Vec<bool>,
    max_len: Vec<usize>,
    overlap: usize,
    chunk_size: usize,
    /// Token prefixes of specific rules: their keywords (as written, ≥ 3
    /// bytes) that begin one of the rule's example secrets. A generic match
    /// whose secret starts with one of these yields.
    yield_prefixes: Vec<Vec<u8>>,
    /// Per rule: for generic rules, their keywords of at least
    /// [`SELF_WORD_LEN`] bytes. A generic value containing its own keyword
    /// (`"challengePassword"`) is a label, not a secret.
    self_words: Vec<Vec<Vec<u8>>>,
}

/// Shortest keyword a generic value may not contain (shorter ones, like
/// `pwd`, occur in random passwords too often).
const SELF_WORD_LEN: usize = 5;

/// Caller-owned mutable state for [`Engine::scan`]; one per thread.
#[derive(Debug)]
pub struct Scratch {
    // Per-rule regex state, created on a rule's first candidate: a scan
    // usually exercises a few of the rules, and building all of them per
    // worker dominated small scans.
    // PERF: `harness run --strata small --iterations 10` (2 workers): eager
    // 14,498 allocations / 23.4 MiB / 7.75 ms median per scan; lazy 3,954
    // allocations / 4.7 MiB / 2.28 ms (allocations are exact; the times were
    // taken with other work on the machine, n = 10 each).
    caches: Vec<Option<meta::Cache>>,
    caps: Vec<Option<Captures>>,
    hits: Vec<Hit>,
    windows: Vec<(u32, usize, usize)>,
    attempts: Vec<(u32, usize)>,
    matches: Vec<RawMatch>,
    counters: Vec<RuleCounters>,
}

impl Scratch {
    /// Per-rule counters accumulated over every scan with this scratch,
    /// indexed like the engine's rules.
    pub fn counters(&self) -> &[RuleCounters] {
        &self.counters
    }
}

impl Engine {
    /// Builds the automaton over every rule's keywords.
    pub fn new(rules: RuleSet) -> Result<Engine, aho_corasick::BuildError> {
        let mut keywords: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut yield_prefixes = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            for kw in &rule.spec.keywords {
                let lower = kw.to_ascii_lowercase();
                match keywords.iter().position(|k| *k == lower) {
                    Some(p) => {
                        if !owners[p].contains(&idx) {
                            owners[p].push(idx);
                        }
                    }
                    None => {
                        keywords.push(lower);
                        owners.push(vec![idx]);
                    }
                }
                let prefixes_secret = rule
                    .spec
                    .examples
                    .iter()
                    .any(|e| e.secret.as_bytes().starts_with(kw.as_bytes()));
                if !rule.spec.generic && kw.len() >= 3 && prefixes_secret {
                    yield_prefixes.push(kw.as_bytes().to_vec());
                }
            }
        }
        yield_prefixes.sort();
        yield_prefixes.dedup();
        let dfa = KeywordDfa::new(&keywords)?;
        let max_keyword = keywords.iter().map(String::len).max().unwrap_or(1);
        let mut pattern_rules = Vec::new();
        let mut pattern_start = vec![0];
        for o in &owners {
            pattern_rules.extend_from_slice(o);
            pattern_start.push(pattern_rules.len());
        }
        let max_len: Vec<usize> = rules.rules().iter().map(|r| r.max_len).collect();
        let overlap = max_len.iter().copied().max().unwrap_or(0);
        let generic = rules.rules().iter().map(|r| r.spec.generic).collect();
        let self_words = rules
            .rules()
            .iter()
            .map(|r| {
                let words = r.spec.keywords.iter().filter(|k| k.len() >= SELF_WORD_LEN);
                let words = words.map(|k| k.as_bytes().to_vec());
                if r.spec.generic {
                    words.collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        Ok(Engine {
            rules,
            dfa,
            max_keyword,
            pattern_rules,
            pattern_start,
            keywords,
            generic,
            max_len,
            overlap,
            chunk_size: DEFAULT_CHUNK_SIZE,
            yield_prefixes,
            self_words,
        })
    }

    /// Sets the chunk size (clamped to at least 1); mainly for tests.
    pub fn set_chunk_size(&mut self, chunk_size: usize) {
        self.chunk_size = chunk_size.max(1);
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Distinct (lower-cased) keywords in the automaton.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Size of the keyword automaton's transition table, in bytes.
    pub fn keyword_table_bytes(&self) -> usize {
        self.dfa.memory_usage()
    }

    /// Chunk overlap in bytes: the longest possible match of any rule.
    pub fn overlap(&self) -> usize {
        self.overlap
    }

    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Fresh scratch state sized for this engine.
    pub fn scratch(&self) -> Scratch {
        let rules = self.rules.rules();
        Scratch {
            caches: rules.iter().map(|_| None).collect(),
            caps: rules.iter().map(|_| None).collect(),
            hits: Vec::with_capacity(256),
            windows: Vec::with_capacity(256),
            attempts: Vec::with_capacity(256),
            matches: Vec::with_capacity(64),
            counters: vec![RuleCounters::default(); rules.len()],
        }
    }

    /// Scans one blob and returns its resolved matches (see the module docs).
    pub fn scan<'s>(&self, scratch: &'s mut Scratch, bytes: &[u8]) -> &'s [RawMatch] {
        scratch.matches.clear();
        let len = bytes.len();
        let stride = self.chunk_size;
        let mut cs: usize = 0;
        loop {
            let owned_end = cs.saturating_add(stride).min(len);
            let ce = owned_end.saturating_add(self.overlap).min(len);
            let owned = cs..if owned_end >= len {
                usize::MAX
            } else {
                owned_end
            };
            self.scan_chunk(scratch, bytes, cs..ce, owned);
            if owned_end >= len {
                break;
            }
            cs = owned_end;
        }
        self.resolve(scratch, bytes);
        &scratch.matches
    }

    /// Only the keyword prefilter over `bytes` (as one chunk): the number of
    /// keyword occurrences. For benchmarks.
    pub fn prefilter_hits(&self, scratch: &mut Scratch, bytes: &[u8]) -> usize {
        scratch.hits.clear();
        self.keyword_hits(bytes, 0..bytes.len(), &mut scratch.hits);
        scratch.hits.len()
    }

    /// The reference the prefilter is tested against: every rule's regex
    /// over the whole input, no keywords, no chunks; same resolution.
    pub fn scan_reference<'s>(&self, scratch: &'s mut Scratch, bytes: &[u8]) -> &'s [RawMatch] {
        scratch.matches.clear();
        for r in 0..self.rules.len() {
            self.confirm(scratch, bytes, r, 0..bytes.len(), 0..usize::MAX);
        }
        self.resolve(scratch, bytes);
        &scratch.matches
    }

    fn scan_chunk(
        &self,
        scratch: &mut Scratch,
        bytes: &[u8],
        chunk: Range<usize>,
        owned: Range<usize>,
    ) {
        scratch.windows.clear();
        let mut hits = std::mem::take(&mut scratch.hits);
        hits.clear();
        self.keyword_hits(bytes, chunk.clone(), &mut hits);
        for &(pattern, hit_start, hit_end) in &hits {
            let p = pattern as usize;
            for &r in &self.pattern_rules[self.pattern_start[p]..self.pattern_start[p + 1]] {
                let ml = self.max_len[r as usize];
                let anchor = self.rules.rules()[r as usize].anchor;
                // PERF: a hit whose probe byte is wrong cannot start a match
                // (see `Probe`). `pat` of airtable-pat hit 16.0 M times in
                // the 8.1 GB of a git.git mirror's blobs, none a token; the
                // probe (a `.` 17 bytes on) turns those into one byte load
                // each instead of anchored searches: see the commit.
                if let Some(probe) = anchor.and_then(|a| a.probe)
                    && !bytes
                        .get(hit_start + probe.offset)
                        .is_some_and(|&b| probe.bytes.contains(b))
                {
                    continue;
                }
                scratch.counters[r as usize].candidates += 1;
                match anchor {
                    Some(a) if hit_start >= a.before_min => {
                        // Paths through `^` can only start at offset 0.
                        let lo = hit_start.saturating_sub(a.before_max).max(chunk.start);
                        if let Some(min) = a.before_min_off_start
                            && hit_start >= min
                        {
                            for start in lo..=hit_start - min {
                                scratch.attempts.push((r, start));
                            }
                        }
                        if chunk.start == 0
                            && hit_start <= a.before_max
                            && a.before_min_off_start.is_none_or(|m| hit_start < m)
                        {
                            scratch.attempts.push((r, 0));
                        }
                    }
                    Some(_) => {}
                    None => {
                        let ws = hit_start.saturating_sub(ml).max(chunk.start);
                        let we = hit_end.saturating_add(ml).min(chunk.end);
                        scratch.windows.push((r, ws, we));
                    }
                }
            }
        }
        scratch.hits = hits;
        // Attempts come in hit order; a repeated (rule, start) only repeats a
        // match that resolution removes, so they are not sorted or deduped.
        let mut attempts = std::mem::take(&mut scratch.attempts);
        for &(r, start) in &attempts {
            let end = start
                .saturating_add(self.max_len[r as usize])
                .min(chunk.end);
            self.confirm_at(scratch, bytes, r as usize, start..end, owned.clone());
        }
        attempts.clear();
        scratch.attempts = attempts;
        let mut windows = std::mem::take(&mut scratch.windows);
        windows.sort_unstable();
        let mut i = 0;
        while i < windows.len() {
            let (r, ws, mut we) = windows[i];
            i += 1;
            while i < windows.len() && windows[i].0 == r && windows[i].1 <= we {
                we = we.max(windows[i].2);
                i += 1;
            }
            self.confirm(scratch, bytes, r as usize, ws..we, owned.clone());
        }
        scratch.windows = windows;
    }

    /// Every keyword occurrence in `chunk` (overlapping), as (pattern, start,
    /// end), in no particular order.
    ///
    /// The DFA walk is latency-bound (each step's table load depends on the
    /// previous state), so large chunks are split into [`STREAMS`] segments
    /// walked in lockstep: independent dependency chains the CPU overlaps.
    /// Segment `i` starts `max_keyword − 1` bytes early to warm its state and
    /// reports only keywords whose last byte lies in its own range, so each
    /// occurrence is reported exactly once.
    // Index loops keep the lockstep walk explicit (one state per lane).
    #[allow(clippy::needless_range_loop)]
    fn keyword_hits(&self, bytes: &[u8], chunk: Range<usize>, hits: &mut Vec<Hit>) {
        let start = self.dfa.start();
        let n = chunk.len();
        if n < STREAMS * MIN_STREAM_LEN {
            self.walk(bytes, chunk.clone(), chunk.start, start, hits);
            return;
        }
        let warm = self.max_keyword - 1;
        let seg = n / STREAMS;
        let own: [usize; STREAMS] = std::array::from_fn(|i| chunk.start + i * seg);
        let from: [usize; STREAMS] = std::array::from_fn(|i| {
            if i == 0 {
                own[0]
            } else {
                own[i].saturating_sub(warm).max(chunk.start)
            }
        });
        let ends: [usize; STREAMS] = std::array::from_fn(|i| {
            if i + 1 == STREAMS {
                chunk.end
            } else {
                own[i + 1]
            }
        });
        let steps = (0..STREAMS).map(|i| ends[i] - from[i]).min().unwrap_or(0);
        let lanes: [&[u8]; STREAMS] = std::array::from_fn(|i| &bytes[from[i]..from[i] + steps]);
        // Four named states stay in registers; one combined branch per step
        // leaves the (rare) match handling out of line.
        let dfa = &self.dfa;
        let [l0, l1, l2, l3] = lanes;
        let (mut s0, mut s1, mut s2, mut s3) = (start, start, start, start);
        for t in 0..steps {
            s0 = dfa.next(s0, l0[t]);
            s1 = dfa.next(s1, l1[t]);
            s2 = dfa.next(s2, l2[t]);
            s3 = dfa.next(s3, l3[t]);
            if dfa.is_match(s0) | dfa.is_match(s1) | dfa.is_match(s2) | dfa.is_match(s3) {
                self.record_lanes([s0, s1, s2, s3], t, &from, &own, hits);
            }
        }
        let sid = [s0, s1, s2, s3];
        // Finish each segment past the common length, keeping its state.
        for i in 0..STREAMS {
            self.walk(bytes, from[i] + steps..ends[i], own[i], sid[i], hits);
        }
    }

    /// Walks `range` from state `sid`, recording keywords ending at or after
    /// `own_from`.
    fn walk(
        &self,
        bytes: &[u8],
        range: Range<usize>,
        own_from: usize,
        mut sid: u32,
        hits: &mut Vec<Hit>,
    ) {
        let base = range.start;
        for (k, &b) in bytes[range].iter().enumerate() {
            sid = self.dfa.next(sid, b);
            if self.dfa.is_match(sid) {
                self.record(sid, base + k, own_from, hits);
            }
        }
    }

    /// Records the keywords of whichever lanes are in a match state after
    /// step `t`.
    #[cold]
    #[inline(never)]
    fn record_lanes(
        &self,
        sid: [u32; STREAMS],
        t: usize,
        from: &[usize; STREAMS],
        own: &[usize; STREAMS],
        hits: &mut Vec<Hit>,
    ) {
        for i in 0..STREAMS {
            if self.dfa.is_match(sid[i]) {
                self.record(sid[i], from[i] + t, own[i], hits);
            }
        }
    }

    /// Records the keywords of match state `sid` reached on the byte at
    /// `at`, if `at` is at or after `own_from`.
    #[inline]
    fn record(&self, sid: u32, at: usize, own_from: usize, hits: &mut Vec<Hit>) {
        if at < own_from {
            return;
        }
        let end = at + 1;
        for &(pid, len) in self.dfa.matches(sid) {
            hits.push((pid, end - len as usize, end));
        }
    }

    /// One anchored search: the leftmost-first match starting exactly at
    /// `span.start`, if any.
    fn confirm_at(
        &self,
        scratch: &mut Scratch,
        bytes: &[u8],
        r: usize,
        span: Range<usize>,
        owned: Range<usize>,
    ) {
        let regex = &self.rules.rules()[r].regex;
        let input = Input::new(bytes).span(span).anchored(Anchored::Yes);
        // Most attempts fail within a few bytes: find the match bounds with
        // the (lazy DFA) match-only search first, captures only on a match.
        let rule = &self.rules.rules()[r];
        let (cache, caps) = slots(scratch, regex, r);
        let half = match rule.anchored_dfa.as_ref().map(|d| d.try_search_fwd(&input)) {
            Some(Ok(half)) => half,
            // No DFA, or it gave up: the meta regex decides.
            _ => regex.search_half_with(cache, &input),
        };
        let Some(half) = half else {
            return;
        };
        let start = input.start();
        let input = input.span(start..half.offset());
        regex.search_captures_with(cache, &input, caps);
        self.accept(scratch, bytes, r, &owned);
    }

    /// Iterates the rule's matches over `window`, restarting at the end of
    /// each secret.
    fn confirm(
        &self,
        scratch: &mut Scratch,
        bytes: &[u8],
        r: usize,
        window: Range<usize>,
        owned: Range<usize>,
    ) {
        let mut pos = window.start;
        let regex = &self.rules.rules()[r].regex;
        while pos < window.end {
            let input = Input::new(bytes).span(pos..window.end);
            let (cache, caps) = slots(scratch, regex, r);
            regex.search_captures_with(cache, &input, caps);
            let Some(m) = caps.get_match() else {
                break;
            };
            let end = caps.get_group(1).map_or(m.end(), |g| g.end);
            pos = end.max(m.start() + 1);
            self.accept(scratch, bytes, r, &owned);
        }
    }

    /// Records the match held in the rule's capture slots if its secret is
    /// non-empty, it starts in the owned range and passes the entropy gate.
    fn accept(&self, scratch: &mut Scratch, bytes: &[u8], r: usize, owned: &Range<usize>) {
        let Some(caps) = scratch.caps[r].as_ref() else {
            return;
        };
        let (Some(m), Some(g)) = (caps.get_match(), caps.get_group(1)) else {
            return;
        };
        if g.is_empty() || !owned.contains(&m.start()) {
            return;
        }
        if let Some(min) = self.rules.rules()[r].spec.min_entropy
            && entropy::shannon(&bytes[g.range()]) < min
        {
            return;
        }
        scratch.counters[r].confirmed += 1;
        scratch.matches.push(RawMatch {
            rule: u32::try_from(r).unwrap_or(u32::MAX),
            secret: (g.start, g.end),
            whole: (m.start(), m.end()),
            drop: false,
        });
    }

    fn resolve(&self, scratch: &mut Scratch, bytes: &[u8]) {
        let matches = &mut scratch.matches;
        if matches.is_empty() {
            return;
        }
        // 1. Same rule, overlapping secrets: keep the leftmost.
        matches.sort_unstable_by_key(|m| (m.rule, m.secret.0, m.secret.1));
        let mut last: Option<(u32, usize)> = None;
        matches.retain(|m| match last {
            Some((r, end)) if r == m.rule && m.secret.0 < end => false,
            _ => {
                last = Some((m.rule, m.secret.1));
                true
            }
        });
        // 2. Generic rules yield to specific ones.
        matches.sort_unstable_by_key(|m| (m.secret.0, m.rule));
        let horizon = self.overlap;
        for i in 0..matches.len() {
            let mi = matches[i];
            if !self.generic[mi.rule as usize] {
                continue;
            }
            let secret = &bytes[mi.secret_range()];
            let names_itself = self.self_words[mi.rule as usize]
                .iter()
                .any(|w| secret.windows(w.len()).any(|s| s.eq_ignore_ascii_case(w)));
            let mut drop =
                names_itself || self.yield_prefixes.iter().any(|p| secret.starts_with(p));
            let mut j = i;
            while !drop && j > 0 {
                j -= 1;
                let mj = matches[j];
                if mj.secret.0 + horizon < mi.secret.0 {
                    break;
                }
                drop = !self.generic[mj.rule as usize] && mj.secret.1 > mi.secret.0;
            }
            for mj in &matches[i + 1..] {
                if drop || mj.secret.0 >= mi.secret.1 {
                    break;
                }
                drop = !self.generic[mj.rule as usize];
            }
            matches[i].drop = drop;
        }
        matches.retain(|m| !m.drop);
        // 3. One match per (rule, secret): the first occurrence.
        matches.sort_unstable_by(|a, b| {
            (a.rule, &bytes[a.secret_range()], a.secret.0).cmp(&(
                b.rule,
                &bytes[b.secret_range()],
                b.secret.0,
            ))
        });
        matches.dedup_by(|later, first| {
            later.rule == first.rule && bytes[later.secret_range()] == bytes[first.secret_range()]
        });
        matches.sort_unstable_by_key(|m| (m.secret.0, m.rule));
    }
}

/// Rule `r`'s regex cache and capture slots in `scratch`, created on first use.
fn slots<'s>(
    scratch: &'s mut Scratch,
    regex: &meta::Regex,
    r: usize,
) -> (&'s mut meta::Cache, &'s mut Captures) {
    let cache = scratch.caches[r].get_or_insert_with(|| regex.create_cache());
    let caps = scratch.caps[r].get_or_insert_with(|| regex.create_captures());
    (cache, caps)
}
