//! Profiles from raw counts: which pipeline stage a stack or a function
//! belongs to, the per-stage and per-function tables of a profile, and the
//! ranked differences between two builds' profiles.
//!
//! Main functions: [`attribute`] (a stack, leaf first, to a
//! [`PipelineStage`] by the model's [`STAGE_RULES`]), [`stage_of_function`],
//! [`exact_profile`] (a parsed callgrind part to an [`ExactProfile`]),
//! [`sampled_profile`] (folded stacks to a [`SampledProfile`]) and
//! [`diff`] (two exact profiles to a [`ProfileDiffFile`]).
//!
//! Invariants: attribution looks only at a frame's own path (generic
//! arguments removed, so `drop_in_place<scanner::git::plan::Plan>` is not
//! plan's) and only at frames of the `scanner` crate; the first frame from
//! the leaf that a rule assigns a stage decides, pass-through frames (the
//! shared pack component) never do; a stack no rule assigns is
//! [`PipelineStage::Other`]. Movers are ranked by |Δ exclusive|, then
//! |Δ inclusive|, then name, so the order is total and reproducible.

use crate::callgrind::Callgrind;
use harness_model::WorkloadId;
use harness_model::compare::{CompareFile, Revision};
use harness_model::profile::{
    ExactProfile, FoldedStacks, FunctionCost, FunctionDelta, PipelineStage, ProfileDiffFile,
    ProfileSource, RuleEffect, STAGE_RULES, SampledFunction, SampledProfile, StageDelta,
    StageShare, profile_schema,
};
use harness_model::verdict::Verdict;
use std::collections::{BTreeMap, BTreeSet};

/// Why profiles could not be summarised or compared.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the {side} profile has no {event} event (events: {events})")]
    NoEvent {
        side: &'static str,
        event: &'static str,
        events: String,
    },
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A demangled name without its generic argument lists: a `<` right after
/// an identifier or a turbofish `::` opens arguments, which are dropped;
/// a qualified self type (`<A as B>::f`) is kept.
pub fn own_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dropping = 0usize;
    let mut prev = ' ';
    for c in name.chars() {
        if dropping > 0 {
            match c {
                '<' => dropping += 1,
                '>' => dropping -= 1,
                _ => {}
            }
            continue;
        }
        if c == '<' && (is_ident(prev) || out.ends_with("::")) {
            dropping = 1;
            if out.ends_with("::") {
                out.truncate(out.len() - 2);
            }
            continue;
        }
        out.push(c);
        prev = c;
    }
    out
}

/// The module path of a source file: `…/scanner/src/git/pack_exec.rs` →
/// `scanner::git::pack_exec`, `…/zlib-rs-0.5.2/src/inflate/mod.rs` →
/// `zlib_rs::inflate` (the crate is the folder above the last `src`, its
/// version removed; `lib.rs`, `main.rs` and `mod.rs` name their folder).
/// `None` for a path with no `src` folder.
pub fn module_of_file(file: &str) -> Option<String> {
    let file = file.replace('\\', "/");
    let at = file.rfind("/src/")?;
    let krate_dir = file[..at].rsplit('/').next()?;
    // A registry folder is `name-1.2.3`: the version starts at the last
    // `-` followed by a digit.
    let krate = match krate_dir.rfind('-') {
        Some(i) if krate_dir[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => &krate_dir[..i],
        _ => krate_dir,
    };
    if krate.is_empty() {
        return None;
    }
    let mut parts = vec![krate.replace('-', "_")];
    let rest = file[at + 5..].strip_suffix(".rs")?;
    let segments: Vec<&str> = rest.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if last && matches!(*seg, "lib" | "main" | "mod") {
            continue;
        }
        parts.push((*seg).to_string());
    }
    Some(parts.join("::"))
}

/// A frame's name with its module path: inlined frames carry only their
/// short name in line tables (`run_worker`), so the module is taken from
/// the frame's source file; a name that already has a path is kept.
pub fn qualify(name: &str, file: Option<&str>) -> String {
    if own_path(name).contains("::") {
        return name.to_string();
    }
    match file.and_then(module_of_file) {
        Some(module) => format!("{module}::{name}"),
        None => name.to_string(),
    }
}

/// Whether `path` holds `pattern` as whole path segments; a pattern
/// starting with `::` may follow any segment.
fn has_segments(path: &str, pattern: &str) -> bool {
    let anchored = !pattern.starts_with("::");
    path.match_indices(pattern).any(|(at, _)| {
        let before = path[..at].chars().next_back();
        let after = path[at + pattern.len()..].chars().next();
        let starts = !anchored || before.is_none_or(|c| !is_ident(c) && c != ':');
        starts && after.is_none_or(|c| !is_ident(c))
    })
}

/// What the stage table says about one frame: `None` when it is not a
/// `scanner` frame or no rule matches.
pub fn frame_effect(name: &str) -> Option<RuleEffect> {
    let path = own_path(name);
    if !has_segments(&path, "scanner") {
        return None;
    }
    STAGE_RULES
        .iter()
        .find(|r| has_segments(&path, r.pattern))
        .map(|r| r.effect)
}

/// The stage of a stack given leaf first: the first frame a rule assigns
/// a stage, walking towards the root.
pub fn attribute<S: AsRef<str>>(leaf_first: &[S]) -> PipelineStage {
    leaf_first
        .iter()
        .find_map(|f| match frame_effect(f.as_ref()) {
            Some(RuleEffect::Stage(s)) => Some(s),
            Some(RuleEffect::PassThrough) | None => None,
        })
        .unwrap_or(PipelineStage::Other)
}

/// The stage of a function by its own name (callgrind's rows have no stack).
pub fn stage_of_function(name: &str) -> PipelineStage {
    attribute(&[name])
}

fn shares(counts: &BTreeMap<PipelineStage, u64>, total: u64) -> Vec<StageShare> {
    PipelineStage::all()
        .into_iter()
        .map(|stage| {
            let count = counts.get(&stage).copied().unwrap_or(0);
            let share = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            StageShare {
                stage,
                count,
                share,
            }
        })
        .collect()
}

/// The per-stage table of folded stacks.
pub fn stage_table(folded: &FoldedStacks) -> Vec<StageShare> {
    let mut counts = BTreeMap::new();
    for (stack, n) in &folded.stacks {
        let leaf_first: Vec<&String> = stack.iter().rev().collect();
        *counts.entry(attribute(&leaf_first)).or_insert(0) += n;
    }
    shares(&counts, folded.total())
}

/// How a sampled profile was taken, for [`sampled_profile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SamplerRun {
    pub frequency_hz: u32,
    pub warmup: usize,
    pub iterations: usize,
    pub threads: usize,
}

/// Folded samples to the sampled side's tables (the top `top` functions).
pub fn sampled_profile(folded: &FoldedStacks, run: SamplerRun, top: usize) -> SampledProfile {
    let mut own: BTreeMap<&str, u64> = BTreeMap::new();
    let mut total: BTreeMap<&str, u64> = BTreeMap::new();
    for (stack, n) in &folded.stacks {
        if let Some(leaf) = stack.last() {
            *own.entry(leaf).or_insert(0) += n;
        }
        let distinct: BTreeSet<&str> = stack.iter().map(String::as_str).collect();
        for f in distinct {
            *total.entry(f).or_insert(0) += n;
        }
    }
    let mut rows: Vec<SampledFunction> = total
        .iter()
        .map(|(f, &t)| SampledFunction {
            function: (*f).to_string(),
            self_samples: own.get(f).copied().unwrap_or(0),
            total_samples: t,
            stage: stage_of_function(f),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.self_samples
            .cmp(&a.self_samples)
            .then(b.total_samples.cmp(&a.total_samples))
            .then_with(|| a.function.cmp(&b.function))
    });
    rows.truncate(top);
    SampledProfile {
        source: ProfileSource::Sampler,
        frequency_hz: run.frequency_hz,
        warmup: run.warmup,
        iterations: run.iterations,
        threads: run.threads,
        samples: folded.total(),
        stages: stage_table(folded),
        top: rows,
    }
}

/// The name of callgrind's estimated-cycles column.
pub const ESTIMATED_CYCLES: &str = "Est";

/// A parsed callgrind part to the exact side's tables; `raw_file` names the
/// file it came from. With the cache simulation's events an estimated
/// cycles column ([`ESTIMATED_CYCLES`]) is appended.
pub fn exact_profile(cg: &Callgrind, raw_file: &str) -> Result<ExactProfile, ProfileError> {
    let ir = cg.event_index("Ir").ok_or_else(|| ProfileError::NoEvent {
        side: "callgrind",
        event: "Ir",
        events: cg.events.join(" "),
    })?;
    let with_est = cg.estimated_cycles(&cg.totals).is_some();
    let extend = |costs: &[u64]| {
        let mut v = costs.to_vec();
        if let Some(e) = cg.estimated_cycles(costs).filter(|_| with_est) {
            v.push(e);
        }
        v
    };
    let mut events = cg.events.clone();
    if with_est {
        events.push(ESTIMATED_CYCLES.to_string());
    }
    let mut functions: Vec<FunctionCost> = cg
        .functions
        .iter()
        .filter(|(_, c)| c.inclusive.iter().any(|&v| v > 0))
        .map(|(name, c)| FunctionCost {
            function: name.clone(),
            file: c.file.clone(),
            stage: stage_of_function(name),
            exclusive: extend(&c.exclusive),
            inclusive: extend(&c.inclusive),
        })
        .collect();
    functions.sort_by(|a, b| {
        b.exclusive[ir]
            .cmp(&a.exclusive[ir])
            .then_with(|| a.function.cmp(&b.function))
    });
    let mut counts = BTreeMap::new();
    for f in &functions {
        *counts.entry(f.stage).or_insert(0) += f.exclusive[ir];
    }
    let total = cg.totals.get(ir).copied().unwrap_or(0);
    Ok(ExactProfile {
        source: ProfileSource::Callgrind,
        events,
        totals: extend(&cg.totals),
        stages: shares(&counts, total),
        functions,
        raw_file: raw_file.to_string(),
    })
}

fn delta(head: u64, base: u64) -> i64 {
    let d = i128::from(head) - i128::from(base);
    i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN })
}

/// The two sides being diffed, for [`diff`].
#[derive(Clone, Copy, Debug)]
pub struct DiffSides<'a> {
    pub workload: &'a WorkloadId,
    pub base: &'a Revision,
    pub head: &'a Revision,
}

/// Per-function and per-stage movers of exclusive and inclusive
/// instructions from `base` to `head`.
pub fn diff(
    sides: DiffSides<'_>,
    base: &ExactProfile,
    head: &ExactProfile,
) -> Result<ProfileDiffFile, ProfileError> {
    let ir = |p: &ExactProfile, side| {
        p.event_index("Ir").ok_or_else(|| ProfileError::NoEvent {
            side,
            event: "Ir",
            events: p.events.join(" "),
        })
    };
    let (bi, hi) = (ir(base, "base")?, ir(head, "head")?);
    let mut rows: BTreeMap<&str, FunctionDelta> = BTreeMap::new();
    let blank = |f: &FunctionCost| FunctionDelta {
        function: f.function.clone(),
        stage: f.stage,
        base_exclusive: 0,
        head_exclusive: 0,
        base_inclusive: 0,
        head_inclusive: 0,
        delta_exclusive: 0,
        delta_inclusive: 0,
    };
    for f in &base.functions {
        let r = rows.entry(&f.function).or_insert_with(|| blank(f));
        r.base_exclusive += f.exclusive[bi];
        r.base_inclusive += f.inclusive[bi];
    }
    for f in &head.functions {
        let r = rows.entry(&f.function).or_insert_with(|| blank(f));
        r.stage = f.stage;
        r.head_exclusive += f.exclusive[hi];
        r.head_inclusive += f.inclusive[hi];
    }
    let mut movers: Vec<FunctionDelta> = rows
        .into_values()
        .map(|mut r| {
            r.delta_exclusive = delta(r.head_exclusive, r.base_exclusive);
            r.delta_inclusive = delta(r.head_inclusive, r.base_inclusive);
            r
        })
        .filter(|r| r.delta_exclusive != 0 || r.delta_inclusive != 0)
        .collect();
    movers.sort_by(|a, b| {
        b.delta_exclusive
            .unsigned_abs()
            .cmp(&a.delta_exclusive.unsigned_abs())
            .then(
                b.delta_inclusive
                    .unsigned_abs()
                    .cmp(&a.delta_inclusive.unsigned_abs()),
            )
            .then_with(|| a.function.cmp(&b.function))
    });
    let stage_count = |p: &ExactProfile, s: PipelineStage| {
        p.stages
            .iter()
            .find(|x| x.stage == s)
            .map_or(0, |x| x.count)
    };
    let stages = PipelineStage::all()
        .into_iter()
        .map(|stage| {
            let (b, h) = (stage_count(base, stage), stage_count(head, stage));
            StageDelta {
                stage,
                base: b,
                head: h,
                delta: delta(h, b),
            }
        })
        .collect();
    Ok(ProfileDiffFile {
        schema: profile_schema(),
        workload: sides.workload.clone(),
        base: sides.base.clone(),
        head: sides.head.clone(),
        event: "Ir".into(),
        base_total: base.totals.get(bi).copied().unwrap_or(0),
        head_total: head.totals.get(hi).copied().unwrap_or(0),
        stages,
        movers,
        flame_graph: None,
    })
}

/// The workloads of a compare that get a differential profile: those
/// with a gated metric that regressed or improved, or every one with `all`.
pub fn workloads_to_profile(file: &CompareFile, all: bool) -> Vec<WorkloadId> {
    file.strata
        .iter()
        .filter(|s| {
            all || s.metrics.iter().any(|m| {
                m.comparison.gated
                    && match m.comparison.verdict {
                        Verdict::Regressed | Verdict::Improved => true,
                        Verdict::Unchanged | Verdict::Inconclusive => false,
                    }
            })
        })
        .map(|s| s.stratum.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callgrind;
    use harness_model::Stratum;

    #[test]
    fn only_workloads_whose_gated_metric_moved_are_profiled() {
        let path = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/golden/compare.json"
        ));
        let text = std::fs::read_to_string(path).unwrap();
        let mut file = harness_model::compare::parse_compare(&text, path).unwrap();
        assert!(file.strata.len() >= 2);
        for s in &mut file.strata {
            for m in &mut s.metrics {
                m.comparison.verdict = Verdict::Unchanged;
            }
        }
        assert!(workloads_to_profile(&file, false).is_empty());
        assert_eq!(workloads_to_profile(&file, true).len(), file.strata.len());
        let moved = |file: &mut CompareFile, i: usize, gated: bool, v: Verdict| {
            let m = &mut file.strata[i].metrics[0];
            m.comparison.gated = gated;
            m.comparison.verdict = v;
        };
        moved(&mut file, 0, false, Verdict::Regressed);
        moved(&mut file, 1, true, Verdict::Improved);
        assert_eq!(
            workloads_to_profile(&file, false),
            [file.strata[1].stratum.clone()]
        );
        moved(&mut file, 0, true, Verdict::Inconclusive);
        assert_eq!(workloads_to_profile(&file, false).len(), 1);
    }

    #[test]
    fn generic_arguments_are_not_part_of_the_path() {
        assert_eq!(
            own_path("core::ptr::drop_in_place<scanner::git::plan::Plan>"),
            "core::ptr::drop_in_place"
        );
        assert_eq!(
            own_path("<scanner::git::dedupe::Dedupe as core::ops::Drop>::drop"),
            "<scanner::git::dedupe::Dedupe as core::ops::Drop>::drop"
        );
        assert_eq!(
            own_path("scanner::git::scan::<harness::Sinks<u8>>"),
            "scanner::git::scan"
        );
        assert_eq!(
            own_path("<alloc::vec::Vec<u8> as Clone>::clone"),
            "<alloc::vec::Vec as Clone>::clone"
        );
    }

    #[test]
    fn inlined_frames_get_their_module_from_the_file() {
        let cases = [
            (
                "/work/x/scanner/src/git/pack_exec.rs",
                Some("scanner::git::pack_exec"),
            ),
            (
                "/work/x/scanner/src/git/pack/mod.rs",
                Some("scanner::git::pack"),
            ),
            ("scanner/src/lib.rs", Some("scanner")),
            (
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/zlib-rs-0.5.2/src/inflate.rs",
                Some("zlib_rs::inflate"),
            ),
            (
                "/rustc/abc/library/core/src/iter/traits/iterator.rs",
                Some("core::iter::traits::iterator"),
            ),
            ("/usr/include/stdio.h", None),
            ("src/x.c", None),
        ];
        for (file, module) in cases {
            assert_eq!(module_of_file(file).as_deref(), module, "{file}");
        }
        assert_eq!(
            qualify("run_worker", Some("/w/scanner/src/git/pack_exec.rs")),
            "scanner::git::pack_exec::run_worker"
        );
        assert_eq!(
            qualify(
                "write<gix_hash::ObjectId>",
                Some("/w/scanner/src/git/dedupe.rs")
            ),
            "scanner::git::dedupe::write<gix_hash::ObjectId>"
        );
        assert_eq!(qualify("a::b", Some("/w/scanner/src/git/plan.rs")), "a::b");
        assert_eq!(qualify("memcpy", None), "memcpy");
        assert_eq!(
            stage_of_function(&qualify(
                "run_worker",
                Some("/w/scanner/src/git/pack_exec.rs")
            )),
            PipelineStage::Exec
        );
    }

    #[test]
    fn frames_map_to_stages_by_whole_segments() {
        use PipelineStage::*;
        let cases = [
            ("scanner::git::tree_diff::TreeDiff::diff", TreeDiff),
            ("scanner::git::dedupe::Dedupe::offer", Dedupe),
            ("<scanner::git::dedupe::Dedupe as Drop>::drop", Dedupe),
            ("scanner::git::mapping::map", Mapping),
            ("scanner::git::plan::plan", Plan),
            ("scanner::git::pack_exec::inflate_exact", Exec),
            ("scanner::git::repo::open", Repo),
            ("scanner::detect::engine::Engine::scan", Detect),
            // Not stage modules, or not the scanner's.
            ("scanner::git::scan", Other),
            ("scanner::git::planner_x::f", Other),
            ("gix::repo::open", Other),
            ("core::ptr::drop_in_place<scanner::git::plan::Plan>", Other),
            ("myscanner::git::tree_diff::f", Other),
            ("harness::profile::callgrind_scan", Other),
        ];
        for (name, stage) in cases {
            assert_eq!(stage_of_function(name), stage, "{name}");
        }
    }

    #[test]
    fn stacks_take_the_first_stage_frame_from_the_leaf() {
        use PipelineStage::*;
        let stack = |s: &[&str]| attribute(s);
        assert_eq!(
            stack(&[
                "memchr::find",
                "scanner::detect::engine::Engine::scan",
                "scanner::git::pack_exec::worker",
                "main"
            ]),
            Detect
        );
        // The shared pack decoder passes through to whichever stage called it.
        assert_eq!(
            stack(&[
                "zlib_rs::inflate",
                "scanner::git::pack::decode::inflate",
                "scanner::git::tree_diff::TreeDiff::load",
                "main"
            ]),
            TreeDiff
        );
        assert_eq!(
            stack(&[
                "scanner::git::pack::decode::delta",
                "scanner::git::pack_exec::run",
            ]),
            Exec
        );
        assert_eq!(stack(&["scanner::git::pack::decode::delta", "main"]), Other);
        assert_eq!(
            stack(&[
                "scanner::git::odb::index::lookup",
                "scanner::git::odb::Packs::find",
                "scanner::git::mapping::map",
            ]),
            Mapping
        );
        assert_eq!(
            stack(&[
                qualify("inflate", Some("/w/scanner/src/git/odb/inflate.rs")).as_str(),
                "scanner::git::tree_diff::TreeDiff::load",
            ]),
            TreeDiff
        );
        assert_eq!(attribute::<&str>(&[]), Other);
    }

    #[test]
    fn sampled_tables_count_self_and_total_once_per_stack() {
        let mut f = FoldedStacks::default();
        f.add_leaf_first(
            &[
                "scanner::detect::engine::Engine::scan",
                "rec",
                "rec",
                "main",
            ],
            6,
        );
        f.add_leaf_first(&["scanner::git::plan::plan", "main"], 3);
        f.add_leaf_first(&["main"], 1);
        let run = SamplerRun {
            frequency_hz: 997,
            warmup: 1,
            iterations: 2,
            threads: 1,
        };
        let p = sampled_profile(&f, run, 3);
        assert_eq!(p.samples, 10);
        let detect = p
            .stages
            .iter()
            .find(|s| s.stage == PipelineStage::Detect)
            .unwrap();
        assert_eq!((detect.count, detect.share), (6, 0.6));
        assert_eq!(p.stages.len(), PipelineStage::COUNT);
        assert_eq!(p.top.len(), 3);
        assert_eq!(p.top[0].function, "scanner::detect::engine::Engine::scan");
        assert_eq!(p.top[0].stage, PipelineStage::Detect);
        let main = p.top.iter().find(|r| r.function == "main").unwrap();
        assert_eq!((main.self_samples, main.total_samples), (1, 10));
        let all = sampled_profile(&f, run, 10);
        let rec = all.top.iter().find(|r| r.function == "rec").unwrap();
        assert_eq!((rec.self_samples, rec.total_samples), (0, 6));
    }

    fn part(rows: &[(&str, u64, u64)]) -> Callgrind {
        let mut text = String::from("events: Ir\n");
        for (name, own, callee_cost) in rows {
            text.push_str(&format!("fn={name}\n1 {own}\n"));
            if *callee_cost > 0 {
                text.push_str(&format!("cfn=leaf\ncalls=1 1\n1 {callee_cost}\n"));
            }
        }
        callgrind::parse(&text).unwrap()
    }

    #[test]
    fn diffs_rank_by_exclusive_delta_then_inclusive() {
        let base = exact_profile(
            &part(&[
                ("scanner::detect::engine::Engine::scan", 1000, 0),
                ("scanner::git::plan::plan", 500, 0),
                ("main", 10, 100),
                ("gone", 7, 0),
            ]),
            "a",
        )
        .unwrap();
        let head = exact_profile(
            &part(&[
                ("scanner::detect::engine::Engine::scan", 1000, 0),
                ("scanner::git::plan::plan", 480, 0),
                ("main", 10, 140),
                ("slow::new_function", 50, 0),
            ]),
            "b",
        )
        .unwrap();
        let id = WorkloadId::from(Stratum::Small);
        let rev = |c: &str| Revision {
            rev: c.into(),
            commit: c.into(),
            dirty: false,
        };
        let (b, h) = (rev("b"), rev("h"));
        let sides = DiffSides {
            workload: &id,
            base: &b,
            head: &h,
        };
        let d = diff(sides, &base, &head).unwrap();
        let order: Vec<&str> = d.movers.iter().map(|m| m.function.as_str()).collect();
        // Unchanged Engine::scan is left out; main moved only inclusively.
        assert_eq!(
            order,
            [
                "slow::new_function",
                "scanner::git::plan::plan",
                "gone",
                "main"
            ]
        );
        assert_eq!(d.movers[0].delta_exclusive, 50);
        assert_eq!(d.movers[0].base_exclusive, 0);
        assert_eq!(d.movers[1].delta_exclusive, -20);
        assert_eq!(d.movers[1].stage, PipelineStage::Plan);
        assert_eq!(d.movers[3].delta_inclusive, 40);
        assert_eq!(d.movers[3].delta_exclusive, 0);
        // Totals are the sum of own costs (calls are inclusive, not added).
        assert_eq!(d.base_total, 1000 + 500 + 10 + 7);
        let plan = d
            .stages
            .iter()
            .find(|s| s.stage == PipelineStage::Plan)
            .unwrap();
        assert_eq!((plan.base, plan.head, plan.delta), (500, 480, -20));
        assert_eq!(delta(0, u64::MAX), i64::MIN);
    }

    #[test]
    fn exact_profiles_need_instructions_and_estimate_cycles() {
        let no_ir = callgrind::parse("events: Dr\nfn=f\n1 4\n").unwrap();
        let e = exact_profile(&no_ir, "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the callgrind profile has no Ir event (events: Dr)"
        );
        let text = "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\nfn=scanner::git::plan::plan\n1 100 0 0 1 1 1 1 1 1\nfn=idle\n1 0\n";
        let p = exact_profile(&callgrind::parse(text).unwrap(), "cg.out").unwrap();
        assert_eq!(p.events.last().map(String::as_str), Some(ESTIMATED_CYCLES));
        assert_eq!(p.functions.len(), 1, "functions without cost are left out");
        assert_eq!(p.functions[0].exclusive.last(), Some(&(100 + 30 + 300)));
        assert_eq!(p.totals.last(), Some(&430));
        assert_eq!(p.stages[PipelineStage::Plan as usize].count, 100);
    }
}
