//! Golden and property tests of the compare core on synthetic rounds.
//!
//! The rounds come from a seeded generator (SplitMix64 from `corpora::rng`,
//! Irwin–Hall noise, so no libm call shapes the inputs): every round has a
//! drift factor shared by its two iterations, as a busy neighbour would add,
//! plus independent noise per iteration and a relative shift of head.
//!
//! `compare.json` and `comment.md` of the fixed scenario are compared byte
//! for byte with `harness/tests/golden/`. After an intended change of the
//! output, regenerate them with
//! `UPDATE_GOLDEN=1 cargo test -p harness --test compare_golden` and review
//! the diff.

// A test crate: helpers unwrap, and a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use corpora::Stratum;
use corpora::rng::Rng;
use harness_analysis::compare::{analyze, more_rounds};
use harness_model::compare::{
    CompareFile, CompareInput, ExactFigures, ExactPair, ExactSource, ExactStage, Findings,
    MethodInput, MicroPair, PMethod, ProcessPair, Revision, Round, StratumPairs, parse_compare,
    to_json,
};
use harness_model::contamination::{Noise, Verdict as Contamination};
use harness_model::gate::Gate;
use harness_model::profile::PipelineStage;
use harness_model::results::{Iteration, Metric, StageSample};
use harness_model::verdict::{GateOutcome, Verdict};
use harness_model::{CounterReport, CounterSource, Environment};
use harness_report::comment::render_comment;
use std::path::{Path, PathBuf};

const TSC_HZ: f64 = 2.596e9;

/// Pipeline stages and their share of the wall time.
const STAGES: [(&str, f64); 6] = [
    ("repo", 0.02),
    ("tree_diff", 0.40),
    ("dedupe", 0.10),
    ("mapping", 0.05),
    ("plan", 0.03),
    ("exec", 0.40),
];

/// How one stratum's synthetic rounds are drawn.
#[derive(Clone, Copy, Debug)]
struct Scenario {
    stratum: Stratum,
    bytes: u64,
    /// Median wall time of base, ns.
    wall_ns: f64,
    /// Relative change of head's timings (0.05 = 5% slower).
    shift: f64,
    /// Relative spread of the noise of each iteration (about one σ).
    noise: f64,
    /// Relative spread of the drift shared by a round's two iterations.
    drift: f64,
    allocations: u64,
    head_allocations: u64,
}

/// About standard normal: the sum of three uniforms, centred and scaled.
fn normalish(rng: &mut Rng) -> f64 {
    let u = |r: &mut Rng| (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (u(rng) + u(rng) + u(rng) - 1.5) * 2.0
}

fn iteration(rng: &mut Rng, s: &Scenario, factor: f64, allocations: u64) -> Iteration {
    let wall = s.wall_ns * factor * (1.0 + s.noise * normalish(rng));
    let stages = STAGES
        .iter()
        .map(|(name, share)| StageSample {
            stage: (*name).to_string(),
            wall_ns: (wall * share * (1.0 + s.noise * normalish(rng))).round() as u64,
            items_in: 1000,
            items_out: 900,
            bytes_in: s.bytes,
            bytes_out: s.bytes,
        })
        .collect();
    Iteration {
        wall_ns: wall.round() as u64,
        cpu_ns: (wall * 1.8 * (1.0 + s.noise * normalish(rng))).round() as u64,
        cycles: (wall * TSC_HZ / 1e9).round() as u64,
        instructions: None,
        allocations: Some(allocations),
        allocated_bytes: Some(allocations * 96),
        peak_rss_bytes: Some((40.0 * 1048576.0 * (1.0 + 0.01 * normalish(rng))).round() as u64),
        // Memory that follows the allocations exactly (no draw, so the
        // other figures keep their values).
        peak_heap_bytes: Some(allocations * 64 + (20 << 20)),
        rss_anon_peak_bytes: Some(allocations * 64 + (28 << 20)),
        rss_file_peak_bytes: Some(12 << 20),
        noise: Noise::default(),
        verdict: Contamination::Clean,
        counted: true,
        stages,
    }
}

fn stratum_pairs(seed: u64, s: &Scenario, rounds: usize) -> StratumPairs {
    let mut rng = Rng::new(seed);
    let rounds = (0..rounds)
        .map(|index| {
            let drift = 1.0 + s.drift * normalish(&mut rng);
            let base_first = index % 2 == 0;
            let base = iteration(&mut rng, s, drift, s.allocations);
            let head = iteration(&mut rng, s, drift * (1.0 + s.shift), s.head_allocations);
            Round {
                index,
                process: 0,
                base_first,
                base,
                head,
            }
        })
        .collect();
    StratumPairs {
        stratum: s.stratum.into(),
        bytes: s.bytes,
        rounds,
    }
}

fn environment() -> Environment {
    Environment {
        cpu_model: "AMD EPYC 7B13 (synthetic)".into(),
        logical_cores: 2,
        pinned_cores: vec![0, 1],
        governor: None,
        kernel: "6.1.0-synthetic".into(),
        rustc: "rustc 1.95.0 (synthetic)".into(),
        git_sha: None,
        git_dirty: false,
        counters: CounterReport {
            source: CounterSource::Tsc,
            instructions: false,
            tsc_hz: Some(TSC_HZ),
            fallback_reason: Some(
                "perf_event_open(cycles): No such file or directory (os error 2)".into(),
            ),
        },
        invariant_tsc: true,
    }
}

fn input(scenarios: &[Scenario], seed: u64, rounds: usize, micro: Vec<MicroPair>) -> CompareInput {
    CompareInput {
        created: "2026-11-21T05:00:00Z".into(),
        base: Revision {
            rev: "main".into(),
            commit: "e715c9d0b1a2c3d4e5f60718293a4b5c6d7e8f90".into(),
            dirty: false,
        },
        head: Revision {
            rev: "HEAD".into(),
            commit: "8233ef42cc2ea744a421d210b0657c8bbcf5a7f1".into(),
            dirty: true,
        },
        environment: environment(),
        method: MethodInput {
            warmup_rounds: 3,
            threads: 2,
            extensions: 0,
            allow_findings_change: false,
        },
        findings: Findings {
            base_digest: "5f1c0a9e".repeat(8),
            head_digest: "5f1c0a9e".repeat(8),
            base_count: 137,
            head_count: 137,
        },
        strata: scenarios
            .iter()
            .enumerate()
            .map(|(k, s)| stratum_pairs(seed.wrapping_add(k as u64 * 0x9E37), s, rounds))
            .collect(),
        micro,
        processes: Vec::new(),
        exact: Vec::new(),
        calibration: None,
    }
}

fn scenario(stratum: Stratum, shift: f64, noise: f64) -> Scenario {
    let (bytes, wall_ns) = match stratum {
        Stratum::Small => (2 << 20, 1.6e6),
        Stratum::Medium => (60 << 20, 253e6),
        Stratum::Large => (250 << 20, 0.9e9),
    };
    Scenario {
        stratum,
        bytes,
        wall_ns,
        shift,
        noise,
        drift: 0.05,
        allocations: 48_213,
        head_allocations: 48_213,
    }
}

/// The golden scenario: small unchanged, medium +5% with small noise, large
/// too noisy to tell; allocations identical except a +1% change in small
/// (below the threshold); three microbenchmarks, one +3% in Ir.
fn golden_input() -> CompareInput {
    let mut small = scenario(Stratum::Small, 0.0, 0.01);
    small.head_allocations = 48_695;
    let scenarios = [
        small,
        scenario(Stratum::Medium, 0.05, 0.005),
        scenario(Stratum::Large, 0.0, 0.15),
    ];
    let micro = vec![
        MicroPair {
            id: "tree_diff::flat_1k".into(),
            metric: "Ir".into(),
            unit: "instr".into(),
            base: 1_204_331.0,
            head: 1_240_461.0,
        },
        MicroPair {
            id: "detect::prefilter_64k".into(),
            metric: "Ir".into(),
            unit: "instr".into(),
            base: 8_920_114.0,
            head: 8_920_114.0,
        },
        MicroPair {
            id: "pack_exec::inflate_1m".into(),
            metric: "Ir".into(),
            unit: "instr".into(),
            base: 31_002_877.0,
            head: 30_692_848.0,
        },
    ];
    input(&scenarios, 0x0060_1DE7, 20, micro)
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run UPDATE_GOLDEN=1 cargo test -p harness --test compare_golden",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {} (regenerate with UPDATE_GOLDEN=1 if intended):\n  golden: {:?}\n  actual: {:?}",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn verdict_of(file: &CompareFile, stratum: Stratum, metric: Metric) -> Verdict {
    file.strata
        .iter()
        .find(|s| s.stratum == stratum)
        .and_then(|s| s.metrics.iter().find(|m| m.metric == metric))
        .map(|m| m.comparison.verdict)
        .unwrap()
}

#[test]
fn golden_compare_json_and_comment() {
    let gate = Gate::default();
    let file = analyze(&golden_input(), &gate).unwrap();
    // The scenario is what it claims to be before its output is frozen.
    for (stratum, metric, want) in [
        (Stratum::Small, Metric::CyclesPerByte, Verdict::Unchanged),
        (Stratum::Medium, Metric::CyclesPerByte, Verdict::Regressed),
        (Stratum::Large, Metric::CyclesPerByte, Verdict::Inconclusive),
        (Stratum::Small, Metric::Allocations, Verdict::Unchanged),
    ] {
        assert_eq!(
            verdict_of(&file, stratum, metric),
            want,
            "{stratum:?} {metric:?}"
        );
    }
    let micro: Vec<Verdict> = file.micro.iter().map(|m| m.verdict).collect();
    assert_eq!(
        micro,
        vec![Verdict::Regressed, Verdict::Unchanged, Verdict::Unchanged]
    );
    assert_eq!(file.outcome, GateOutcome::Regression);
    assert_eq!(file.exit_code, 1);
    assert!(more_rounds(&file, &gate).is_empty());

    let json = to_json(&file).unwrap();
    check_golden("compare.json", &json);
    check_golden("comment.md", &render_comment(&file));

    // The file reads back as written.
    let back = parse_compare(&json, Path::new("golden/compare.json")).unwrap();
    let again = to_json(&back).unwrap();
    if let Some((a, b)) = json.lines().zip(again.lines()).find(|(a, b)| a != b) {
        panic!("read back differs: {a} vs {b}");
    }
    assert_eq!(back, file);
}

/// The committed gate with fewer bootstrap resamples: the property tests
/// analyse dozens of compares in a debug build, and 400 resamples decide
/// these clear-cut cases as well as 2,000.
fn quick_gate() -> Gate {
    let mut gate = Gate::default();
    gate.statistics.bootstrap_resamples = 400;
    gate
}

/// Every statistical verdict of the compare for one metric, over strata.
fn verdicts(file: &CompareFile, metric: Metric) -> Vec<Verdict> {
    file.strata
        .iter()
        .flat_map(|s| s.metrics.iter().filter(|m| m.metric == metric))
        .map(|m| m.comparison.verdict)
        .collect()
}

fn all_strata(shift: f64, noise: f64) -> Vec<Scenario> {
    Stratum::all()
        .into_iter()
        .map(|s| scenario(s, shift, noise))
        .collect()
}

#[test]
fn identical_sides_are_unchanged_everywhere() {
    let gate = quick_gate();
    for seed in 0..3 {
        let mut inp = input(&all_strata(0.0, 0.02), seed, 20, Vec::new());
        // Head's iterations are base's own: every ratio is exactly 1.
        for s in &mut inp.strata {
            for r in &mut s.rounds {
                r.head = r.base.clone();
            }
        }
        let file = analyze(&inp, &gate).unwrap();
        for s in &file.strata {
            let stages = s.stages.iter().map(|st| &st.comparison);
            for c in s.metrics.iter().map(|m| &m.comparison).chain(stages) {
                assert_eq!(c.verdict, Verdict::Unchanged, "seed {seed}");
            }
        }
        assert_eq!(file.outcome, GateOutcome::Pass);
        assert!(render_comment(&file).starts_with(
            "<!-- scanner-rs perf-gate --> **perf gate: ✅ pass** — 3 strata, 9 gated comparisons, no regression"
        ));
    }
}

#[test]
fn a_five_percent_shift_with_small_noise_is_detected_both_ways() {
    let gate = quick_gate();
    for seed in 0..3 {
        for (shift, want, outcome) in [
            (0.05, Verdict::Regressed, GateOutcome::Regression),
            (-0.05, Verdict::Improved, GateOutcome::Pass),
        ] {
            let file = analyze(
                &input(&all_strata(shift, 0.01), seed, 20, Vec::new()),
                &gate,
            )
            .unwrap();
            for metric in [Metric::CyclesPerByte, Metric::CpuNs, Metric::WallNs] {
                assert_eq!(
                    verdicts(&file, metric),
                    vec![want; 3],
                    "seed {seed}, shift {shift}, {}",
                    metric.as_str()
                );
            }
            assert_eq!(file.outcome, outcome, "seed {seed}, shift {shift}");
        }
    }
}

#[test]
fn very_noisy_pairs_are_inconclusive_and_ask_for_rounds() {
    let gate = quick_gate();
    for seed in 0..3 {
        let file = analyze(&input(&all_strata(0.0, 0.25), seed, 20, Vec::new()), &gate).unwrap();
        assert_eq!(
            verdicts(&file, Metric::CyclesPerByte),
            vec![Verdict::Inconclusive; 3],
            "seed {seed}"
        );
        assert_eq!(file.outcome, GateOutcome::Inconclusive);
        assert_eq!(file.exit_code, 3);
        assert_eq!(
            more_rounds(&file, &gate),
            [
                (Stratum::Small.into(), 100),
                (Stratum::Medium.into(), 10),
                (Stratum::Large.into(), 10)
            ]
        );
        let first = render_comment(&file);
        assert!(
            first.starts_with(
                "<!-- scanner-rs perf-gate --> **perf gate: ⚠️ inconclusive** — small cpu_ns "
            ),
            "{}",
            first.lines().next().unwrap()
        );
    }
    // At the cap the verdict stands, whatever it is.
    let small = [scenario(Stratum::Medium, 0.0, 0.25)];
    let capped = analyze(&input(&small, 1, 60, Vec::new()), &gate).unwrap();
    assert_eq!(capped.method.rounds, 60);
    assert!(more_rounds(&capped, &gate).is_empty());
    // Close to the cap, only the rounds left are asked for.
    let near = analyze(&input(&small, 1, 55, Vec::new()), &gate).unwrap();
    assert_eq!(near.outcome, GateOutcome::Inconclusive);
    assert_eq!(more_rounds(&near, &gate), [(Stratum::Medium.into(), 5)]);
}

#[test]
fn changed_findings_fail_unless_allowed() {
    let gate = quick_gate();
    let mut inp = golden_input();
    inp.micro.clear();
    inp.strata.retain(|s| s.stratum == Stratum::Small);
    inp.findings.head_count = 136;
    inp.findings.head_digest = "0bad".repeat(16);
    let file = analyze(&inp, &gate).unwrap();
    assert_eq!(file.outcome, GateOutcome::FindingsChanged);
    assert_eq!(file.exit_code, 1);
    assert!(!file.findings.identical);
    assert!(render_comment(&file).starts_with(
        "<!-- scanner-rs perf-gate --> **perf gate: ❌ findings changed** — base 137 findings (`5f1c0a9`), head 136 (`0bad0ba`)"
    ));
    inp.method.allow_findings_change = true;
    assert_eq!(analyze(&inp, &gate).unwrap().outcome, GateOutcome::Pass);
}

#[test]
fn bad_input_is_a_typed_error_naming_it() {
    let gate = quick_gate();
    let mut inp = golden_input();
    inp.strata[1].rounds[4].head.cycles = 0;
    let err = analyze(&inp, &gate).unwrap_err().to_string();
    assert_eq!(
        err,
        "stratum medium, cycles_per_byte: head value of pair 4 is 0: ratios need finite values above 0"
    );

    let mut inp = golden_input();
    inp.strata[0].rounds[7].base.allocations = None;
    let err = analyze(&inp, &gate).unwrap_err().to_string();
    assert_eq!(
        err,
        "stratum small: gated metric allocations is not recorded by the base side in round 7"
    );

    let mut inp = golden_input();
    inp.strata[2].rounds.truncate(1);
    let err = analyze(&inp, &gate).unwrap_err().to_string();
    assert!(err.contains("stratum large: only 1 of 1 rounds"), "{err}");

    let mut inp = golden_input();
    inp.strata.push(inp.strata[0].clone());
    let err = analyze(&inp, &gate).unwrap_err().to_string();
    assert_eq!(err, "stratum small appears twice");

    let mut inp = golden_input();
    inp.micro[1].head = f64::NAN;
    let err = analyze(&inp, &gate).unwrap_err().to_string();
    assert!(
        err.starts_with("microbenchmark detect::prefilter_64k (Ir): head value NaN"),
        "{err}"
    );
}

#[test]
fn contaminated_rounds_are_left_out_of_the_pairs() {
    let gate = quick_gate();
    let mut inp = golden_input();
    inp.strata[0].rounds[3].head.counted = false;
    let file = analyze(&inp, &gate).unwrap();
    let small = &file.strata[0];
    assert_eq!((small.rounds, small.rounds_counted), (20, 19));
    assert!(!small.series[3].counted);
    let cpb = &small.metrics[0].comparison;
    assert_eq!(cpb.paired.as_ref().unwrap().ratios.len(), 19);
}

#[test]
fn allocation_counts_that_vary_are_compared_statistically() {
    let gate = quick_gate();
    let mut inp = input(&all_strata(0.0, 0.01), 7, 20, Vec::new());
    // Threads make the counts vary a little from iteration to iteration.
    for s in &mut inp.strata {
        for (k, r) in s.rounds.iter_mut().enumerate() {
            let jitter = (k % 5) as u64 * 100;
            r.base.allocations = r.base.allocations.map(|a| a + jitter);
            r.head.allocations = r.head.allocations.map(|a| a + (4 - k as u64 % 5) * 100);
        }
    }
    let file = analyze(&inp, &gate).unwrap();
    for s in &file.strata {
        let m = s
            .metrics
            .iter()
            .find(|m| m.metric == Metric::Allocations)
            .unwrap();
        assert!(!m.deterministic, "{}", s.stratum.as_str());
        assert!(m.comparison.paired.is_some());
        assert_ne!(m.comparison.verdict, Verdict::Regressed);
        // Bytes stayed constant: still exact.
        let b = s
            .metrics
            .iter()
            .find(|m| m.metric == Metric::AllocatedBytes)
            .unwrap();
        assert!(b.deterministic && b.comparison.paired.is_none());
    }
}

/// Rounds from `pairs` process pairs, each pair with its own fixed effect
/// on head (a layout, a heap offset): `effects[k]` for pair `k`.
fn replicated_input(effects: &[f64], per_pair: usize, seed: u64) -> CompareInput {
    let s = scenario(Stratum::Medium, 0.0, 0.004);
    let mut inp = input(&[s], seed, effects.len() * per_pair, Vec::new());
    for (k, r) in inp.strata[0].rounds.iter_mut().enumerate() {
        let pair = k / per_pair;
        r.process = pair;
        let f = 1.0 + effects[pair];
        r.head.wall_ns = (r.head.wall_ns as f64 * f) as u64;
        r.head.cpu_ns = (r.head.cpu_ns as f64 * f) as u64;
        r.head.cycles = (r.head.cycles as f64 * f) as u64;
    }
    inp.processes = (0..effects.len())
        .map(|index| ProcessPair {
            index,
            layout: index % 4,
            env_pad: 0,
            heap_offset: 0,
            setup_seconds: 2.0,
        })
        .collect();
    inp
}

#[test]
fn between_process_effects_widen_the_interval_instead_of_alarming() {
    // Each process pair sees a fixed ±1.5% effect (what one layout or heap
    // offset does), the rounds within a pair are tight. Treated as one
    // process, the rounds look like a significant change; replicated, the
    // interval covers the spread between pairs and 1.
    let gate = quick_gate();
    let effects = [0.015, -0.012, 0.018, -0.015, 0.011, -0.009];
    let inp = replicated_input(&effects, 10, 7);
    let file = analyze(&inp, &gate).unwrap();
    let cpu = &file.strata[0]
        .metrics
        .iter()
        .find(|m| m.metric == Metric::CpuNs)
        .unwrap()
        .comparison;
    let p = cpu.paired.as_ref().unwrap();
    assert_eq!(p.processes, 6);
    assert_eq!(p.p_method, PMethod::Bootstrap);
    assert!(p.ci.low < 1.0 && p.ci.high > 1.0, "{:?}", p.ci);
    assert!(p.between_process_share.unwrap() > 0.8, "{p:?}");
    assert_ne!(cpu.verdict, Verdict::Regressed);
    assert_eq!(file.strata[0].processes, 6);
    // The same rounds as one process: a narrower interval.
    let mut single = inp.clone();
    for r in &mut single.strata[0].rounds {
        r.process = 0;
    }
    let one = analyze(&single, &gate).unwrap();
    let q = one.strata[0].metrics[0].comparison.paired.clone().unwrap();
    assert_eq!(q.processes, 1);
    assert!(
        q.ci.high - q.ci.low < p.ci.high - p.ci.low,
        "{q:?} vs {p:?}"
    );
    // Inconclusive strata say what would settle them.
    if cpu.verdict == Verdict::Inconclusive {
        let n = file.strata[0].needed.as_ref().unwrap();
        assert!(n.more_processes > 0, "{n:?}");
        assert!(n.seconds > 0.0);
    }
}

/// The CPU-time comparison of a compare's first stratum.
fn first_cpu(file: &CompareFile) -> harness_model::compare::Comparison {
    file.strata[0]
        .metrics
        .iter()
        .find(|m| m.metric == Metric::CpuNs)
        .unwrap()
        .comparison
        .clone()
}

#[test]
fn pairs_that_repeat_a_layout_count_as_one_draw() {
    // Eight pairs ran four layout variants (`k mod 4`): each variant moves
    // head by its own fixed amount, the pairs of one variant agree. Eight
    // independent pairs would make that look like a +1.6% change; four
    // draws of the layout effect cannot tell it from none.
    let mut gate = quick_gate();
    gate.replication.layouts = 4;
    let layout = [0.03, -0.002, 0.028, 0.008];
    let effects: Vec<f64> = (0..8).map(|k| layout[k % 4] + 0.0005 * k as f64).collect();
    let shared = replicated_input(&effects, 10, 11);
    let mut distinct = shared.clone();
    for p in &mut distinct.processes {
        p.layout = p.index;
    }
    let by_layout = analyze(&shared, &gate).unwrap();
    let by_pair = analyze(&distinct, &gate).unwrap();
    let (l, p) = (first_cpu(&by_layout), first_cpu(&by_pair));
    let (lp, pp) = (l.paired.as_ref().unwrap(), p.paired.as_ref().unwrap());
    assert_eq!((lp.processes, pp.processes), (8, 8));
    assert!(
        pp.ci.low > 1.0,
        "eight draws exclude no change: {:?}",
        pp.ci
    );
    assert!(lp.ci.low < 1.0 && lp.ci.high > 1.0, "{:?}", lp.ci);
    assert!(lp.p_value > pp.p_value, "{lp:?} {pp:?}");
    assert_eq!(l.verdict, Verdict::Inconclusive);
    // What would settle it needs layout variants, not only pairs: the
    // eight pairs already ran all four.
    let n = by_layout.strata[0].needed.as_ref().unwrap();
    assert!(n.more_processes > 0, "{n:?}");
    assert_eq!(n.layouts_needed, Some(4 + n.more_processes), "{n:?}");
    let text = render_comment(&by_layout);
    assert!(
        text.contains(&format!(
            "each with a layout variant of its own (`[replication] layouts = {}`)",
            4 + n.more_processes
        )),
        "{text}"
    );
}

#[test]
fn a_real_change_survives_replication() {
    let gate = quick_gate();
    let effects = [0.05, 0.046, 0.054, 0.049, 0.052];
    let file = analyze(&replicated_input(&effects, 8, 3), &gate).unwrap();
    assert_eq!(
        verdict_of(&file, Stratum::Medium, Metric::CpuNs),
        Verdict::Regressed
    );
    assert_eq!(file.outcome, GateOutcome::Regression);
}

#[test]
fn exact_end_to_end_figures_gate_exactly() {
    let gate = Gate::default();
    let mut inp = golden_input();
    let figures = |ir: u64| ExactFigures {
        instructions: ir,
        estimated_cycles: Some(ir + ir / 4),
        stages: vec![ExactStage {
            stage: PipelineStage::Detect,
            instructions: ir / 2,
        }],
    };
    inp.exact = vec![ExactPair {
        stratum: Stratum::Small,
        source: ExactSource::Callgrind,
        base: figures(1_000_000),
        head: figures(1_030_000),
    }];
    let file = analyze(&inp, &gate).unwrap();
    let totals: Vec<_> = file.exact.iter().filter(|e| e.stage.is_none()).collect();
    assert_eq!(totals.len(), 2);
    assert!(
        totals
            .iter()
            .all(|e| e.gated && e.verdict == Verdict::Regressed)
    );
    assert!(
        file.exact
            .iter()
            .any(|e| e.stage == Some(PipelineStage::Detect) && !e.gated)
    );
    assert_eq!(file.outcome, GateOutcome::Regression);
    let comment = render_comment(&file);
    assert!(
        comment.contains(
            "| small | all | instructions | 1,000,000 | 1,030,000 | +3.00% | ❌ regressed |"
        ),
        "{comment}"
    );
    inp.exact[0].head = figures(1_000_000);
    let same = analyze(&inp, &gate).unwrap();
    assert!(same.exact.iter().all(|e| e.verdict == Verdict::Unchanged));
}

#[test]
fn timing_past_the_threshold_needs_its_whole_interval_when_the_work_is_unchanged() {
    // Six pairs, each with its own layout variant, read medium CPU time
    // about +2.5%: the shape of a measured +0.97%-instruction change.
    let gate = quick_gate();
    let figures = |ir: u64| ExactFigures {
        instructions: ir,
        estimated_cycles: Some(ir + ir / 4),
        stages: Vec::new(),
    };
    let with_exact = |effects: &[f64], head_ir: u64| {
        let mut inp = replicated_input(effects, 10, 5);
        for p in &mut inp.processes {
            p.layout = p.index;
        }
        inp.exact = vec![ExactPair {
            stratum: Stratum::Medium,
            source: ExactSource::Callgrind,
            base: figures(1_000_000),
            head: figures(head_ir),
        }];
        inp
    };
    let near = [0.022, 0.031, 0.018, 0.027, 0.024, 0.029];
    let file = analyze(&with_exact(&near, 1_009_700), &gate).unwrap();
    let c = first_cpu(&file);
    let ci = c.paired.as_ref().unwrap().ci;
    assert!(ci.low > 1.0 && ci.low < 1.02, "{ci:?}");
    assert_eq!(c.verdict, Verdict::Inconclusive);
    assert_eq!(file.strata[0].uncorroborated, vec![Metric::CpuNs]);
    assert_eq!(file.outcome, GateOutcome::Inconclusive);
    // Not settled even at the cap: its interval excludes no change.
    assert!(file.strata[0].settled.is_none());
    // Deciding it needs the interval past the threshold, not past 1.
    let n = file.strata[0].needed.as_ref().unwrap();
    let past = c.paired.as_ref().unwrap().median_ratio - 1.02;
    assert!((n.target_half_width - past).abs() < 1e-12, "{n:?}");
    let comment = render_comment(&file);
    assert!(
        comment.contains("⚠️ inconclusive, exact figures unchanged"),
        "{comment}"
    );
    assert!(
        comment.contains(
            "medium's cpu_ns moved past the threshold, but its exact figures are unchanged and its interval does not lie wholly beyond ±2.0%"
        ),
        "{comment}"
    );
    // Without exact figures, or with the work changed, timing decides as before.
    let mut bare = with_exact(&near, 1_000_000);
    bare.exact.clear();
    assert_eq!(
        first_cpu(&analyze(&bare, &gate).unwrap()).verdict,
        Verdict::Regressed
    );
    let changed = analyze(&with_exact(&near, 1_030_000), &gate).unwrap();
    assert_eq!(first_cpu(&changed).verdict, Verdict::Regressed);
    assert!(changed.strata[0].uncorroborated.is_empty());
    let mut off = gate.clone();
    off.exact.corroborate = false;
    let file = analyze(&with_exact(&near, 1_009_700), &off).unwrap();
    assert_eq!(first_cpu(&file).verdict, Verdict::Regressed);
    // A timing-only change whose whole interval clears the threshold stands.
    let far = [0.052, 0.061, 0.048, 0.057, 0.054, 0.059];
    let file = analyze(&with_exact(&far, 1_000_000), &gate).unwrap();
    assert!(first_cpu(&file).paired.unwrap().ci.low > 1.02);
    assert_eq!(first_cpu(&file).verdict, Verdict::Regressed);
    assert!(file.strata[0].uncorroborated.is_empty());
}

/// Medium at its round cap with noise that leaves CPU time inconclusive
/// (its interval about ±3% around no change), and exact totals of
/// `head_ir` against a base of 1,000,000 instructions.
fn noisy_at_cap(rounds: usize, shift: f64, head_ir: Option<u64>) -> CompareInput {
    let mut inp = input(
        &[scenario(Stratum::Medium, shift, 0.06)],
        7,
        rounds,
        Vec::new(),
    );
    let figures = |ir: u64| ExactFigures {
        instructions: ir,
        estimated_cycles: Some(ir + ir / 4),
        stages: Vec::new(),
    };
    inp.exact = head_ir
        .map(|ir| ExactPair {
            stratum: Stratum::Medium,
            source: ExactSource::Callgrind,
            base: figures(1_000_000),
            head: figures(ir),
        })
        .into_iter()
        .collect();
    inp
}

#[test]
fn unchanged_exact_figures_settle_inconclusive_timing_at_the_cap() {
    let gate = quick_gate();
    let cap = gate.rounds.caps(&Stratum::Medium.into()).max;
    // Without exact figures the timing decides, and cannot.
    let alone = analyze(&noisy_at_cap(cap, 0.0, None), &gate).unwrap();
    let cpu = &alone.strata[0].metrics[0];
    assert_eq!(cpu.metric, Metric::CpuNs);
    assert_eq!(cpu.comparison.verdict, Verdict::Inconclusive);
    let ci = cpu.comparison.paired.as_ref().unwrap().ci;
    assert!(
        ci.low < 1.0 && ci.high > 1.0 && ci.high - ci.low < 0.1,
        "{ci:?}"
    );
    assert_eq!(alone.outcome, GateOutcome::Inconclusive);
    assert!(alone.strata[0].settled.is_none());

    // Unchanged counts (+0.5%) settle it: the verdict stays, the gate passes.
    let settled = analyze(&noisy_at_cap(cap, 0.0, Some(1_005_000)), &gate).unwrap();
    assert_eq!(
        verdict_of(&settled, Stratum::Medium, Metric::CpuNs),
        Verdict::Inconclusive
    );
    let s = settled.strata[0].settled.as_ref().unwrap();
    assert_eq!(s.metrics, [Metric::CpuNs]);
    assert_eq!(s.by.len(), 2);
    assert_eq!(settled.outcome, GateOutcome::Pass);
    assert_eq!(settled.exit_code, 0);
    assert!(more_rounds(&settled, &gate).is_empty());
    let comment = render_comment(&settled);
    assert!(
        comment.contains(
            "interval around no change (at most ±5.0%), and is settled by the exact figures"
        ),
        "{comment}"
    );
    // The file keeps the settlement.
    let text = to_json(&settled).unwrap();
    let back = parse_compare(&text, Path::new("compare.json")).unwrap();
    assert_eq!(back.strata[0].settled, settled.strata[0].settled);

    // Before the cap the timed rounds still get their chance.
    let early = analyze(&noisy_at_cap(cap - 10, 0.0, Some(1_000_000)), &gate).unwrap();
    assert!(early.strata[0].settled.is_none());
    assert_eq!(early.outcome, GateOutcome::Inconclusive);
    assert!(!more_rounds(&early, &gate).is_empty());

    // Counts that changed settle nothing, whichever way they moved.
    let regressed = analyze(&noisy_at_cap(cap, 0.0, Some(1_030_000)), &gate).unwrap();
    assert!(regressed.strata[0].settled.is_none());
    assert_eq!(regressed.outcome, GateOutcome::Regression);
    let improved = analyze(&noisy_at_cap(cap, 0.0, Some(970_000)), &gate).unwrap();
    assert!(improved.strata[0].settled.is_none());
    assert_eq!(improved.outcome, GateOutcome::Inconclusive);

    // Settled timing is not what holds a compare that stays inconclusive:
    // the summary names the stratum that does.
    let mut mixed = noisy_at_cap(cap, 0.0, Some(1_000_000));
    let mut other = input(&[scenario(Stratum::Small, 0.0, 0.3)], 11, cap, Vec::new());
    mixed.strata.push(other.strata.remove(0));
    let file = analyze(&mixed, &gate).unwrap();
    assert!(file.strata[0].settled.is_some());
    assert_eq!(file.outcome, GateOutcome::Inconclusive);
    let comment = render_comment(&file);
    let first = comment.lines().next().unwrap();
    assert!(first.contains("small cpu_ns"), "{first}");
    assert!(!first.contains("medium cpu_ns"), "{first}");

    // Switched off, the timing decides alone again.
    let mut off = gate.clone();
    off.exact.settle = false;
    let unsettled = analyze(&noisy_at_cap(cap, 0.0, Some(1_000_000)), &off).unwrap();
    assert_eq!(unsettled.outcome, GateOutcome::Inconclusive);
}

#[test]
fn timing_that_excludes_no_change_is_not_settled() {
    // A slowdown the counts cannot see (cache, scheduling): the interval
    // lies above 1, so unchanged counts must not wave it through.
    let gate = quick_gate();
    let cap = gate.rounds.caps(&Stratum::Medium.into()).max;
    let file = analyze(&noisy_at_cap(cap, 0.025, Some(1_000_000)), &gate).unwrap();
    let cpu = &file.strata[0].metrics[0];
    let ci = cpu.comparison.paired.as_ref().unwrap().ci;
    assert!(ci.low > 1.0, "{ci:?}");
    assert_ne!(cpu.comparison.verdict, Verdict::Unchanged);
    assert!(file.strata[0].settled.is_none());
    assert_ne!(file.outcome, GateOutcome::Pass);
}
