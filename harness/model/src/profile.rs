//! Profiles as documents: where a scan spends its time, by function and by
//! pipeline stage, and how two builds differ.
//!
//! Main types: [`PipelineStage`] (the stage axis, a closed enum) with the
//! one symbol-to-stage table [`STAGE_RULES`]; [`ProfileFile`]
//! (`profile.json`: a [`SampledProfile`] from the in-process sampler and an
//! [`ExactProfile`] from callgrind); [`FoldedStacks`] (the folded-stack
//! text flame graph tools read); [`ProfileDiffFile`]
//! (`profile-diff-<workload>.json`: per-function movers between two builds).
//! Attributing stacks and diffing are the analysis layer's
//! (`harness_analysis::profile`); running the profilers is the runtime's.
//!
//! Invariants: a profile holds only symbols, file names and counts, never
//! scanned bytes or findings; stacks in [`FoldedStacks`] run root first and
//! their frames contain no `;` (the separator) and no line break; rows of
//! an exact profile are sorted by exclusive instructions, descending.

use crate::document::{self, DocumentError, SchemaVersion};
use crate::revision::Revision;
use crate::workload::WorkloadId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const PROFILE_SCHEMA_MAJOR: u32 = 1;
pub const PROFILE_SCHEMA_MINOR: u32 = 0;

/// The schema version written by this harness (profile and diff documents).
pub fn profile_schema() -> SchemaVersion {
    SchemaVersion {
        major: PROFILE_SCHEMA_MAJOR,
        minor: PROFILE_SCHEMA_MINOR,
    }
}

crate::closed_enum! {
    /// The pipeline stage a sample or a function's cost belongs to.
    pub enum PipelineStage ("pipeline stage") {
        /// Opening the repository, refs, commit selection.
        Repo = "repo",
        /// Diffing each commit against its parents.
        TreeDiff = "tree_diff",
        /// Unique blobs with their canonical context.
        Dedupe = "dedupe",
        /// Blob ids to pack offsets.
        Mapping = "mapping",
        /// Per-pack read plans.
        Plan = "plan",
        /// Inflating and applying deltas on the workers.
        Exec = "exec",
        /// The rule engine scanning blob bytes.
        Detect = "detect",
        /// Nothing on the stack names a stage module (harness, std, setup).
        Other = "other",
    }
}

/// What a frame matching a [`StageRule`] says about its stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleEffect {
    /// The frame runs in this stage.
    Stage(PipelineStage),
    /// The frame is shared code (the pack decoder serves both tree diff and
    /// exec): its callers decide, so attribution keeps walking to the root.
    PassThrough,
}

/// One row of the symbol-to-stage table: a frame whose demangled path
/// contains `pattern` as whole path segments matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageRule {
    /// Path segments, such as `scanner::git::tree_diff`; a leading `::`
    /// matches the segment anywhere after the crate name (`::plan`).
    pub pattern: &'static str,
    pub effect: RuleEffect,
}

const fn rule(pattern: &'static str, stage: PipelineStage) -> StageRule {
    StageRule {
        pattern,
        effect: RuleEffect::Stage(stage),
    }
}

/// The one table that maps scanner symbols to stages, tried in order on
/// each frame (leaf first) of frames in the `scanner` crate. Extending the
/// pipeline means adding a row here.
pub const STAGE_RULES: &[StageRule] = &[
    // The shared pack component (the object database: pack and loose
    // objects, decoding, the base cache) serves tree diff, mapping and
    // exec; it is not a stage of its own. `odb` is its name on main,
    // `pack` the name it was planned under.
    StageRule {
        pattern: "scanner::git::odb",
        effect: RuleEffect::PassThrough,
    },
    StageRule {
        pattern: "scanner::git::pack",
        effect: RuleEffect::PassThrough,
    },
    rule("scanner::git::tree_diff", PipelineStage::TreeDiff),
    rule("::dedupe", PipelineStage::Dedupe),
    rule("::mapping", PipelineStage::Mapping),
    rule("::plan", PipelineStage::Plan),
    rule("::pack_exec", PipelineStage::Exec),
    rule("::repo", PipelineStage::Repo),
    rule("scanner::detect", PipelineStage::Detect),
];

crate::closed_enum! {
    /// Where a profile's counts come from.
    pub enum ProfileSource ("profile source") {
        /// The in-process sampler (`pprof`): SIGPROF from the CPU-time
        /// interval timer, no hardware PMU needed; counts are samples.
        Sampler = "sampler_cpu_timer",
        /// Callgrind: instructions executed (and simulated cache misses).
        Callgrind = "callgrind",
    }
}

/// Folded stacks: one line per distinct stack, `root;…;leaf COUNT`, the
/// input of inferno and of most flame graph tools.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldedStacks {
    /// Stack (root first) → count; ordered so the text is deterministic.
    pub stacks: BTreeMap<Vec<String>, u64>,
}

/// A line of folded-stack text that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("folded stacks line {line}: {reason}")]
pub struct FoldedError {
    pub line: usize,
    pub reason: String,
}

impl FoldedStacks {
    /// Adds `count` to a stack given leaf first (as unwinders report it);
    /// separators and line breaks inside frame names become spaces.
    pub fn add_leaf_first<S: AsRef<str>>(&mut self, leaf_first: &[S], count: u64) {
        let stack: Vec<String> = leaf_first
            .iter()
            .rev()
            .map(|f| f.as_ref().replace([';', '\n', '\r'], " "))
            .collect();
        if stack.is_empty() || count == 0 {
            return;
        }
        *self.stacks.entry(stack).or_insert(0) += count;
    }

    /// Every sample counted.
    pub fn total(&self) -> u64 {
        self.stacks.values().sum()
    }

    /// The folded text: `root;…;leaf COUNT` lines, sorted, final newline.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (stack, count) in &self.stacks {
            out.push_str(&stack.join(";"));
            out.push(' ');
            out.push_str(&count.to_string());
            out.push('\n');
        }
        out
    }

    /// Reads folded text back (blank lines ignored).
    pub fn parse(text: &str) -> Result<FoldedStacks, FoldedError> {
        let mut folded = FoldedStacks::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let err = |reason: &str| FoldedError {
                line: i + 1,
                reason: reason.to_string(),
            };
            let (stack, count) = line.rsplit_once(' ').ok_or_else(|| err("no count"))?;
            let count: u64 = count
                .parse()
                .map_err(|_| err("the count is not a number"))?;
            let leaf_first: Vec<&str> = stack.split(';').rev().collect();
            if stack.is_empty() {
                return Err(err("empty stack"));
            }
            folded.add_leaf_first(&leaf_first, count);
        }
        Ok(folded)
    }
}

/// Samples (or instructions) per stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageShare {
    pub stage: PipelineStage,
    pub count: u64,
    /// `count` over the profile's total, in [0, 1].
    pub share: f64,
}

/// A function as the sampler saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampledFunction {
    pub function: String,
    /// Samples with this function as the leaf.
    pub self_samples: u64,
    /// Samples with this function anywhere on the stack (counted once).
    pub total_samples: u64,
    pub stage: PipelineStage,
}

/// The sampled side: warm iterations under the in-process sampler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampledProfile {
    pub source: ProfileSource,
    pub frequency_hz: u32,
    pub warmup: usize,
    pub iterations: usize,
    pub threads: usize,
    pub samples: u64,
    /// Samples per stage, every stage listed, in the axis's order.
    pub stages: Vec<StageShare>,
    /// The functions with the most samples, by self samples.
    pub top: Vec<SampledFunction>,
}

/// Costs of a function per event, in the order of [`ExactProfile::events`].
pub type EventCosts = Vec<u64>;

/// A function as callgrind counted it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionCost {
    /// The demangled name.
    pub function: String,
    /// The source file of its first cost line (`???` without line tables).
    pub file: String,
    pub stage: PipelineStage,
    /// In the function's own code.
    pub exclusive: EventCosts,
    /// Its own code plus everything it called.
    pub inclusive: EventCosts,
}

/// The exact side: one scan under callgrind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactProfile {
    pub source: ProfileSource,
    /// Callgrind's event names (`Ir`, and with the cache simulation `Dr`,
    /// `Dw`, `I1mr`, …); an `Est` column is appended when they allow the
    /// estimate (see docs/profiling.md).
    pub events: Vec<String>,
    /// Whole-part totals per event.
    pub totals: EventCosts,
    /// Exclusive instructions per stage, every stage listed.
    pub stages: Vec<StageShare>,
    /// Sorted by exclusive `Ir`, descending, then by name.
    pub functions: Vec<FunctionCost>,
    /// The raw file beside the document (for kcachegrind).
    pub raw_file: String,
}

impl ExactProfile {
    /// The column of `event`, if the profile has it.
    pub fn event_index(&self, event: &str) -> Option<usize> {
        self.events.iter().position(|e| e == event)
    }
}

/// What a profile was made with: a cached profile is reused only when this
/// matches the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileConfig {
    pub test_size: bool,
    pub sampled: bool,
    pub exact: bool,
    pub cache_sim: bool,
    /// Measured iterations of the sampled side (0: until `min_seconds`).
    pub iterations: usize,
    pub frequency_hz: u32,
}

/// `profile.json`: one build's profile of one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileFile {
    pub schema: SchemaVersion,
    pub created: String,
    pub revision: Revision,
    pub workload: WorkloadId,
    pub config: ProfileConfig,
    pub sampled: Option<SampledProfile>,
    pub exact: Option<ExactProfile>,
}

/// One function's movement between two exact profiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    pub function: String,
    pub stage: PipelineStage,
    pub base_exclusive: u64,
    pub head_exclusive: u64,
    pub base_inclusive: u64,
    pub head_inclusive: u64,
    /// `head − base`, exclusive instructions.
    pub delta_exclusive: i64,
    /// `head − base`, inclusive instructions.
    pub delta_inclusive: i64,
}

/// One stage's movement (exclusive instructions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageDelta {
    pub stage: PipelineStage,
    pub base: u64,
    pub head: u64,
    pub delta: i64,
}

/// `profile-diff-<workload>.json`: where in the code two builds differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileDiffFile {
    pub schema: SchemaVersion,
    pub workload: WorkloadId,
    pub base: Revision,
    pub head: Revision,
    /// The counted event (`Ir`).
    pub event: String,
    pub base_total: u64,
    pub head_total: u64,
    pub stages: Vec<StageDelta>,
    /// Ranked by |Δ exclusive|, then |Δ inclusive|, then name; unchanged
    /// functions are left out.
    pub movers: Vec<FunctionDelta>,
    /// The differential flame graph beside the document, if one was drawn.
    pub flame_graph: Option<String>,
}

/// Reads `profile.json`, checking the schema first.
pub fn read_profile(path: &Path) -> Result<ProfileFile, DocumentError> {
    document::read(path, "profile", PROFILE_SCHEMA_MAJOR)
}

/// Writes `profile.json`.
pub fn write_profile(file: &ProfileFile, path: &Path) -> Result<(), DocumentError> {
    document::write(file, path, "profile")
}

/// Reads a `profile-diff-*.json`.
pub fn read_profile_diff(path: &Path) -> Result<ProfileDiffFile, DocumentError> {
    document::read(path, "profile diff", PROFILE_SCHEMA_MAJOR)
}

/// Writes a `profile-diff-*.json`.
pub fn write_profile_diff(file: &ProfileDiffFile, path: &Path) -> Result<(), DocumentError> {
    document::write(file, path, "profile diff")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_text_round_trips_root_first() {
        let mut f = FoldedStacks::default();
        f.add_leaf_first(&["leaf", "mid", "main"], 3);
        f.add_leaf_first(&["mid", "main"], 2);
        f.add_leaf_first(&["leaf", "mid", "main"], 1);
        f.add_leaf_first(&["odd;name\n", "main"], 1);
        f.add_leaf_first::<&str>(&[], 5);
        let text = f.to_text();
        assert_eq!(text, "main;mid 2\nmain;mid;leaf 4\nmain;odd name  1\n");
        assert_eq!(f.total(), 7);
        assert_eq!(FoldedStacks::parse(&text).unwrap(), f);
        let err = FoldedStacks::parse("main;x\n").unwrap_err();
        assert_eq!(err.to_string(), "folded stacks line 1: no count");
        let err = FoldedStacks::parse("a 1\nmain x\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn the_stage_table_lists_every_stage_but_other() {
        for stage in PipelineStage::all() {
            let listed = STAGE_RULES
                .iter()
                .any(|r| r.effect == RuleEffect::Stage(stage));
            match stage {
                PipelineStage::Other => assert!(!listed),
                PipelineStage::Repo
                | PipelineStage::TreeDiff
                | PipelineStage::Dedupe
                | PipelineStage::Mapping
                | PipelineStage::Plan
                | PipelineStage::Exec
                | PipelineStage::Detect => assert!(listed, "{stage}"),
            }
        }
    }
}
