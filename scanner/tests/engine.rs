//! Engine properties: chunking finds every secret exactly once whatever the
//! chunk size, and the prefilter never loses a match the reference finds.

use corpora::rng::Rng;
use corpora::secrets::{DecoyKind, SecretKind};
use proptest::prelude::*;
use scanner::detect::{Engine, RawMatch, RuleSet};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine"))
}

const FILLER: &[&str] = &[
    "fn main() { println!(\"hello\"); }\n",
    "let token = config.token.clone(); // not a secret\n",
    "    password: ${DB_PASSWORD}\n",
    "# see https://example.com/docs?key=value&x=1\n",
    "SELECT id, name FROM users WHERE id = 42;\n",
    "x",
    "\n",
    "ghp_ sk_live_ AKIA xoxb- eyJ -----BEGIN\n",
];

/// A blob of filler, planted secrets and decoys, from a seed.
fn blob(seed: u64, pieces: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut text = String::new();
    for _ in 0..pieces {
        match rng.below(4) {
            0 => text.push_str(rng.pick(SecretKind::all()).generate(&mut rng).text.as_str()),
            1 => text.push_str(rng.pick(DecoyKind::all()).generate(&mut rng).text.as_str()),
            _ => {
                let filler: &&str = rng.pick(FILLER);
                text.push_str(filler);
            }
        }
    }
    text
}

fn scan_with_chunk(chunk: usize, bytes: &[u8]) -> Vec<RawMatch> {
    // Engines are immutable and shared; a chunk size needs its own copy.
    let mut e = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    e.set_chunk_size(chunk);
    let mut scratch = e.scratch();
    e.scan(&mut scratch, bytes).to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn chunked_scan_equals_whole_scan(seed in any::<u64>(), pieces in 1usize..60, chunk in 1usize..3000) {
        let text = blob(seed, pieces);
        let e = engine();
        let mut scratch = e.scratch();
        let whole = e.scan(&mut scratch, text.as_bytes()).to_vec();
        let reference = e.scan_reference(&mut scratch, text.as_bytes()).to_vec();
        prop_assert_eq!(&whole, &reference);
        let chunked = scan_with_chunk(chunk, text.as_bytes());
        prop_assert_eq!(&chunked, &whole);
    }
}

#[test]
fn secret_straddling_every_chunk_boundary_is_found_once() {
    let mut rng = Rng::new(7);
    let p = SecretKind::GithubPatClassic.generate(&mut rng);
    let text = format!("{}{}", "a\n".repeat(50), p.text);
    let start = 100 + p.offset;
    let mut e = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    let mut seen = 0;
    for chunk in (start - 5)..(start + p.value.len() + 5) {
        e.set_chunk_size(chunk);
        let mut scratch = e.scratch();
        let found = e.scan(&mut scratch, text.as_bytes());
        assert_eq!(found.len(), 1, "chunk {chunk}");
        assert_eq!(found[0].secret.0, start);
        seen += 1;
    }
    assert!(seen > 40);
}

#[test]
fn prefilter_equals_reference_on_many_blobs() {
    let e = engine();
    let mut a = e.scratch();
    let mut b = e.scratch();
    for seed in 0..200 {
        let text = blob(seed, 40);
        assert_eq!(
            e.scan(&mut a, text.as_bytes()),
            e.scan_reference(&mut b, text.as_bytes()),
            "seed {seed}"
        );
    }
}

#[test]
fn generic_yields_to_specific_deterministically() {
    let e = engine();
    let mut s = e.scratch();
    let text = b"password = \"ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\"\n";
    let found = e.scan(&mut s, text).to_vec();
    assert_eq!(found.len(), 1);
    assert_eq!(
        e.rules().rules()[found[0].rule as usize].spec.id,
        "github-pat-classic"
    );
}

#[test]
fn binary_heuristic_is_gits() {
    use scanner::detect::is_binary;
    assert!(!is_binary(b"plain text"));
    assert!(is_binary(b"abc\0def"));
    let mut late = vec![b'a'; 8000];
    late.push(0);
    assert!(!is_binary(&late), "NUL after the first 8000 bytes");
    late[7999] = 0;
    assert!(is_binary(&late));
}

#[test]
fn counters_count_candidates_and_confirmations() {
    let e = engine();
    let mut s = e.scratch();
    let text = b"export GH_TOKEN=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\nghp_ too short\n";
    e.scan(&mut s, text);
    let idx = e.rules().position("github-pat-classic").expect("rule");
    assert_eq!(s.counters()[idx].candidates, 2);
    assert_eq!(s.counters()[idx].confirmed, 1);
}

#[test]
fn interleaved_keyword_scan_equals_aho_corasick() {
    use aho_corasick::{AhoCorasick, MatchKind};
    let e = engine();
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(e.keywords())
        .expect("automaton");
    let mut s = e.scratch();
    for seed in 0..300u64 {
        // Sizes around the single/multi-stream threshold and segment edges.
        let text = blob(seed, 1 + (seed as usize % 97));
        for cut in [text.len(), text.len() / 2, 255, 256, 257, 1023] {
            let bytes = &text.as_bytes()[..cut.min(text.len())];
            let want = ac.find_overlapping_iter(bytes).count();
            assert_eq!(
                e.prefilter_hits(&mut s, bytes),
                want,
                "seed {seed} len {}",
                bytes.len()
            );
        }
    }
}

#[test]
fn secrets_at_the_very_start_of_a_blob() {
    // `^` branches only hold at offset 0: secrets there must still be found.
    let e = engine();
    let mut a = e.scratch();
    let mut b = e.scratch();
    let mut rng = Rng::new(17);
    for rule in e.rules().rules() {
        for ex in &rule.spec.examples {
            for text in [
                ex.secret.clone(),
                format!("{}\n", ex.secret),
                format!("{} tail", ex.secret),
            ] {
                let bytes = text.as_bytes();
                assert_eq!(
                    e.scan(&mut a, bytes),
                    e.scan_reference(&mut b, bytes),
                    "{}",
                    rule.spec.id
                );
            }
        }
    }
    for &kind in SecretKind::all() {
        let p = kind.generate(&mut rng);
        let found = e.scan(&mut a, p.value.as_bytes()).to_vec();
        assert_eq!(
            found,
            e.scan_reference(&mut b, p.value.as_bytes()),
            "{kind:?}"
        );
        let prefixed = [
            "aws-access-key-id",
            "github-pat-classic",
            "gitlab-pat",
            "slack-bot-token",
            "npm-access-token",
            "openai-api-key",
            "huggingface-token",
            "jwt",
        ];
        if prefixed.contains(&kind.id()) {
            assert_eq!(found.len(), 1, "{kind:?} at offset 0");
            assert_eq!(found[0].secret.0, 0);
        }
    }
}
