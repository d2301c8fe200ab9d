//! The keyword prefilter's automaton: a compact, dense copy of
//! aho-corasick's DFA built for the engine's interleaved walk.
//!
//! Main type: [`KeywordDfa`]. It is built from aho-corasick's `dfa::DFA`
//! (standard overlapping semantics, ASCII case-insensitive, no prefilter) by
//! exploring every reachable state, then renumbered so that match states come
//! first, with state ids premultiplied by the row stride.
//!
//! Invariants: bytes that occur in no keyword (case-folded) form class 0 and
//! every keyword byte (case-folded) its own class, so `stride` (a power of
//! two) exceeds every class; every stored state id is a multiple of `stride`
//! below `trans.len()`, and `trans.len()` is a power of two, so
//! `trans[(sid + class) & mask]` never masks anything off and needs no
//! bounds check; a state is a match state iff `sid < match_limit`.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use std::collections::HashMap;

/// Dense keyword automaton; see the module docs.
#[derive(Debug)]
pub struct KeywordDfa {
    trans: Box<[u32]>,
    mask: usize,
    classes: [u8; 256],
    stride: usize,
    start: u32,
    match_limit: u32,
    /// For match state `sid / stride`: (pattern id, pattern length).
    matches: Vec<Vec<(u32, u32)>>,
}

impl KeywordDfa {
    /// Builds the automaton over `keywords` (ASCII case-insensitive).
    pub fn new(keywords: &[String]) -> Result<KeywordDfa, aho_corasick::BuildError> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .start_kind(StartKind::Unanchored)
            .build(keywords)?;
        // Byte classes: one per case-folded keyword byte, 0 for the rest.
        let mut classes = [0u8; 256];
        let mut reps = vec![0u8]; // a representative byte per class
        let mut folded = [0u8; 256];
        for b in keywords.iter().flat_map(|k| k.bytes()) {
            let f = b.to_ascii_lowercase();
            if folded[usize::from(f)] == 0 {
                reps.push(f);
                folded[usize::from(f)] = u8::try_from(reps.len() - 1).unwrap_or(u8::MAX);
            }
        }
        for b in 0..=255u8 {
            classes[usize::from(b)] = folded[usize::from(b.to_ascii_lowercase())];
        }
        // Class 0 must really be inert: a byte in no keyword.
        if let Some(r) = (0..=255u8).find(|b| folded[usize::from(b.to_ascii_lowercase())] == 0) {
            reps[0] = r;
        }
        let stride = reps.len().next_power_of_two();
        // Explore every reachable state.
        let Ok(start) = dfa.start_state(Anchored::No) else {
            // Unreachable for a DFA built with StartKind::Unanchored.
            return Ok(KeywordDfa::empty());
        };
        let mut order: Vec<StateID> = vec![start];
        let mut index: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut i = 0;
        while i < order.len() {
            let s = order[i];
            for &r in &reps {
                let n = dfa.next_state(Anchored::No, s, r);
                index.entry(n).or_insert_with(|| {
                    order.push(n);
                    order.len() - 1
                });
            }
            i += 1;
        }
        // Renumber: match states first.
        let mut renum: Vec<usize> = (0..order.len()).collect();
        renum.sort_by_key(|&k| (!dfa.is_match(order[k]), k));
        let mut new_of = vec![0usize; order.len()];
        for (new, &old) in renum.iter().enumerate() {
            new_of[old] = new;
        }
        let n_match = order.iter().filter(|&&s| dfa.is_match(s)).count();
        let size = (order.len() * stride).next_power_of_two();
        let mut trans = vec![0u32; size].into_boxed_slice();
        let mut matches = vec![Vec::new(); n_match];
        for (old, &s) in order.iter().enumerate() {
            let row = new_of[old] * stride;
            for (class, &r) in reps.iter().enumerate() {
                let n = dfa.next_state(Anchored::No, s, r);
                let id = new_of[index[&n]] * stride;
                trans[row + class] = u32::try_from(id).unwrap_or(u32::MAX);
            }
            if dfa.is_match(s) {
                matches[new_of[old]] = (0..dfa.match_len(s))
                    .map(|k| {
                        let pid = dfa.match_pattern(s, k);
                        (
                            pid.as_u32(),
                            u32::try_from(dfa.pattern_len(pid)).unwrap_or(u32::MAX),
                        )
                    })
                    .collect();
            }
        }
        Ok(KeywordDfa {
            trans,
            mask: size - 1,
            classes,
            stride,
            start: u32::try_from(new_of[0] * stride).unwrap_or(0),
            match_limit: u32::try_from(n_match * stride).unwrap_or(u32::MAX),
            matches,
        })
    }

    fn empty() -> KeywordDfa {
        KeywordDfa {
            trans: vec![0u32; 1].into_boxed_slice(),
            mask: 0,
            classes: [0; 256],
            stride: 1,
            start: 0,
            match_limit: 0,
            matches: Vec::new(),
        }
    }

    /// The start state.
    #[inline(always)]
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The state after `byte`.
    #[inline(always)]
    pub fn next(&self, sid: u32, byte: u8) -> u32 {
        let class = usize::from(self.classes[usize::from(byte)]);
        self.trans[(sid as usize + class) & self.mask]
    }

    /// Whether `sid` is a match state.
    #[inline(always)]
    pub fn is_match(&self, sid: u32) -> bool {
        sid < self.match_limit
    }

    /// The (pattern id, pattern length) pairs of match state `sid`.
    pub fn matches(&self, sid: u32) -> &[(u32, u32)] {
        &self.matches[sid as usize / self.stride]
    }

    /// Table size in bytes.
    pub fn memory_usage(&self) -> usize {
        self.trans.len() * 4
    }
}
