//! The gate's configuration, read from the committed `perf-gate.toml`.
//!
//! One file holds every number the verdicts depend on: the threshold, the
//! confidence level, the false discovery rate, the bootstrap settings, the
//! round counts and cap, which metrics gate and which are only reported, and
//! the microbenchmark threshold. [`Gate::parse`] refuses unknown keys,
//! unknown metric names and values out of range with a [`GateError`] naming
//! the file and the key; [`Gate::default`] equals the committed file (a test
//! parses the file and compares).

use crate::results::Metric;
use crate::stratum::Stratum;
use crate::summary::Bootstrap;
use crate::verdict::Verdict;
use crate::workload::WorkloadId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Statistical settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Smallest relative change that counts (0.02 = 2%).
    pub threshold: f64,
    /// Confidence level of the interval of the median ratio.
    pub confidence: f64,
    /// Benjamini–Hochberg false discovery rate.
    pub fdr: f64,
    pub bootstrap_resamples: usize,
    pub bootstrap_seed: u64,
}

/// How many rounds to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rounds {
    /// Discarded rounds before measuring (both sides).
    pub warmup: usize,
    /// Measured rounds before the first verdict.
    pub initial: usize,
    /// Rounds added per extension while a gated metric is inconclusive.
    pub extend_by: usize,
    /// Cap on measured rounds.
    pub max: usize,
    /// Per-stratum multipliers of `initial`, `extend_by` and `max`: a
    /// stratum whose scan takes milliseconds is noisier per round and its
    /// rounds cost next to nothing, so it gets more of them. Strata not
    /// named use 1.
    #[serde(default)]
    pub scale: BTreeMap<Stratum, usize>,
}

/// One stratum's round counts, after its scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundCaps {
    pub initial: usize,
    pub extend_by: usize,
    pub max: usize,
}

impl Rounds {
    /// The round counts for a workload (repositories use scale 1).
    pub fn caps(&self, workload: &WorkloadId) -> RoundCaps {
        let k = workload
            .stratum()
            .and_then(|s| self.scale.get(&s).copied())
            .unwrap_or(1);
        RoundCaps {
            initial: self.initial * k,
            extend_by: self.extend_by * k,
            max: self.max * k,
        }
    }
}

/// Which end-to-end metrics are compared, and which of them gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    pub gated: Vec<Metric>,
    pub reported: Vec<Metric>,
    /// Whether per-stage cycles/byte verdicts decide the gate.
    pub gate_stages: bool,
}

/// Microbenchmark (deterministic figure) settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Micro {
    pub threshold: f64,
    pub gated: bool,
}

/// Replication of what one process pair cannot show (`[replication]`):
/// the between-process and between-layout variance of a build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// Independent process pairs per compare: each pair is two fresh
    /// `harness serve` processes (their own address-space layout, stack
    /// and heap offsets and hash seed) running its share of the rounds.
    pub processes: usize,
    /// Link-order variants of each side's harness (lld's
    /// `--shuffle-sections`, one seed per variant, the plain build first);
    /// process pair `k` runs variant `k mod layouts` on both sides.
    pub layouts: usize,
}

impl Replication {
    /// What a compare without replication ran: one process pair, the plain build.
    pub fn single() -> Replication {
        Replication {
            processes: 1,
            layouts: 1,
        }
    }
}

impl Default for Replication {
    /// The committed `perf-gate.toml`'s `[replication]`.
    fn default() -> Replication {
        Replication {
            processes: 4,
            layouts: 8,
        }
    }
}

/// Deterministic end-to-end figures (`[exact]`): one scan of each named
/// stratum per side under callgrind, compared exactly like the
/// microbenchmarks' instruction counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exact {
    /// Strata scanned under callgrind (cached by commit).
    pub strata: Vec<Stratum>,
    /// Relative change of the instruction count or estimated cycles that counts.
    pub threshold: f64,
    /// Whether an exact end-to-end regression fails the gate.
    pub gated: bool,
    /// Whether unchanged exact totals settle a stratum's gated timing left
    /// inconclusive at its round cap (see [`Exact::settles`]).
    #[serde(default)]
    pub settle: bool,
    /// The widest timing interval (half-width, ratio units) they settle.
    #[serde(default = "default_settle_within")]
    pub settle_within: f64,
    /// Whether a gated timing regression (or improvement) of a stratum
    /// whose exact totals are all unchanged must clear the threshold with
    /// its whole interval (see [`Exact::corroborates`]).
    #[serde(default)]
    pub corroborate: bool,
}

fn default_settle_within() -> f64 {
    0.05
}

impl Exact {
    /// Whether a gated timing comparison left inconclusive at the round cap
    /// is settled by the stratum's exact totals: settling is on, the
    /// interval `[low, high]` contains no change (1) and is at most
    /// `settle_within` wide either side. An interval that excludes 1 is
    /// evidence of a change the instruction counts do not show, and a wider
    /// one says too little; both stay inconclusive.
    pub fn settles(&self, low: f64, high: f64) -> bool {
        self.settle && low <= 1.0 && high >= 1.0 && (high - low) / 2.0 <= self.settle_within
    }

    /// Whether a gated timing verdict of `Regressed` or `Improved` stands
    /// in a stratum whose exact totals are all unchanged. Without
    /// corroboration it stands as decided; with it, only where the whole
    /// interval `[low, high]` lies beyond `threshold` on the verdict's side:
    /// the work did not change by the threshold, and the layout of a build
    /// alone moves timing by about as much (docs/compare.md,
    /// "Corroboration by exact figures"), so the timing has to show more
    /// than "some change, estimated past the threshold".
    pub fn corroborates(&self, verdict: Verdict, low: f64, high: f64, threshold: f64) -> bool {
        if !self.corroborate {
            return true;
        }
        match verdict {
            Verdict::Regressed => low > 1.0 + threshold,
            Verdict::Improved => high < 1.0 - threshold,
            Verdict::Unchanged | Verdict::Inconclusive => true,
        }
    }

    /// The strata of `measured` that `[exact]` names, in `[exact]`'s order.
    pub fn strata_among(&self, measured: &[Stratum]) -> Vec<Stratum> {
        let named = self.strata.iter().copied();
        named.filter(|s| measured.contains(s)).collect()
    }

    /// What a compare without exact end-to-end figures ran.
    pub fn none() -> Exact {
        Exact {
            strata: Vec::new(),
            threshold: 0.02,
            gated: false,
            settle: false,
            settle_within: default_settle_within(),
            corroborate: false,
        }
    }
}

impl Default for Exact {
    /// The committed `perf-gate.toml`'s `[exact]`.
    fn default() -> Exact {
        Exact {
            strata: vec![Stratum::Small, Stratum::Medium],
            threshold: 0.02,
            gated: true,
            settle: true,
            settle_within: 0.05,
            corroborate: true,
        }
    }
}

/// Change-point detection over main's history (`[history]`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePointSettings {
    /// Smallest shift of the medians that counts (0.02 = 2%).
    pub min_magnitude: f64,
    /// Level of the permutation test.
    pub significance: f64,
    pub permutations: usize,
    /// Fewest runs either side of a change point.
    pub min_segment: usize,
    pub seed: u64,
}

impl Default for ChangePointSettings {
    /// The committed `perf-gate.toml`'s `[history]`.
    fn default() -> ChangePointSettings {
        ChangePointSettings {
            min_magnitude: 0.02,
            significance: 0.05,
            permutations: 199,
            min_segment: 3,
            seed: 1509,
        }
    }
}

/// The whole gate configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub statistics: Statistics,
    pub rounds: Rounds,
    pub metrics: Metrics,
    pub micro: Micro,
    /// Absent from compare files written before replication: one process pair.
    #[serde(default = "Replication::single")]
    pub replication: Replication,
    /// Absent from compare files written before exact end-to-end figures.
    #[serde(default = "Exact::none")]
    pub exact: Exact,
    /// Not part of a compare: kept out of `compare.json`'s echo of the gate.
    #[serde(default, skip_serializing)]
    pub history: ChangePointSettings,
}

/// Why a gate file was refused.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a gate file: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: `{key}` {reason}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        reason: String,
    },
}

/// The file as written: metric names are checked by hand so that an error
/// names the key and lists the valid names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    statistics: Statistics,
    rounds: RawRounds,
    metrics: RawMetrics,
    micro: Micro,
    replication: Replication,
    exact: RawExact,
    #[serde(default)]
    history: ChangePointSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExact {
    strata: Vec<String>,
    threshold: f64,
    gated: bool,
    settle: bool,
    settle_within: f64,
    corroborate: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRounds {
    warmup: usize,
    initial: usize,
    extend_by: usize,
    max: usize,
    #[serde(default)]
    scale: BTreeMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    gated: Vec<String>,
    reported: Vec<String>,
    gate_stages: bool,
}

impl Default for Gate {
    /// The committed `perf-gate.toml`.
    fn default() -> Gate {
        Gate {
            statistics: Statistics {
                threshold: 0.02,
                confidence: 0.95,
                fdr: 0.05,
                bootstrap_resamples: 2_000,
                bootstrap_seed: 0x5CA7_7E12,
            },
            rounds: Rounds {
                warmup: 3,
                initial: 20,
                extend_by: 10,
                max: 60,
                scale: BTreeMap::from([(Stratum::Small, 10)]),
            },
            metrics: Metrics {
                gated: vec![Metric::CpuNs, Metric::Allocations, Metric::AllocatedBytes],
                reported: vec![
                    Metric::CyclesPerByte,
                    Metric::WallNs,
                    Metric::Cycles,
                    Metric::Instructions,
                    Metric::PeakRssBytes,
                    Metric::PeakHeapBytes,
                    Metric::RssAnonPeakBytes,
                    Metric::RssFilePeakBytes,
                ],
                gate_stages: false,
            },
            micro: Micro {
                threshold: 0.02,
                gated: true,
            },
            replication: Replication::default(),
            exact: Exact::default(),
            history: ChangePointSettings::default(),
        }
    }
}

fn metric_names(
    path: &Path,
    key: &'static str,
    names: &[String],
) -> Result<Vec<Metric>, GateError> {
    let mut out: Vec<Metric> = Vec::with_capacity(names.len());
    for name in names {
        let Some(m) = Metric::from_name(name) else {
            let valid: Vec<&str> = Metric::all().iter().map(|m| m.as_str()).collect();
            return Err(GateError::Invalid {
                path: path.to_owned(),
                key,
                reason: format!(
                    "names unknown metric `{name}` (known: {})",
                    valid.join(", ")
                ),
            });
        };
        if out.contains(&m) {
            return Err(GateError::Invalid {
                path: path.to_owned(),
                key,
                reason: format!("names `{name}` twice"),
            });
        }
        out.push(m);
    }
    Ok(out)
}

impl Gate {
    /// Parses and validates a gate file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Gate, GateError> {
        let raw: RawGate = toml::from_str(text).map_err(|e| GateError::Syntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let invalid = |key: &'static str, reason: String| GateError::Invalid {
            path: path.to_owned(),
            key,
            reason,
        };
        let s = raw.statistics;
        if !(s.threshold > 0.0 && s.threshold < 0.5) {
            return Err(invalid(
                "statistics.threshold",
                format!("is {}, must lie in (0, 0.5)", s.threshold),
            ));
        }
        if !(s.confidence >= 0.5 && s.confidence < 1.0) {
            return Err(invalid(
                "statistics.confidence",
                format!("is {}, must lie in [0.5, 1)", s.confidence),
            ));
        }
        if !(s.fdr > 0.0 && s.fdr < 1.0) {
            return Err(invalid(
                "statistics.fdr",
                format!("is {}, must lie in (0, 1)", s.fdr),
            ));
        }
        if s.bootstrap_resamples < 100 {
            return Err(invalid(
                "statistics.bootstrap_resamples",
                format!("is {}, must be at least 100", s.bootstrap_resamples),
            ));
        }
        let mut scale = BTreeMap::new();
        for (name, k) in raw.rounds.scale {
            let Some(stratum) = Stratum::from_name(&name) else {
                return Err(invalid(
                    "rounds.scale",
                    format!("names unknown stratum `{name}` (known: small, medium, large)"),
                ));
            };
            if k == 0 {
                return Err(invalid(
                    "rounds.scale",
                    format!("gives `{name}` 0, must be at least 1"),
                ));
            }
            scale.insert(stratum, k);
        }
        let r = Rounds {
            warmup: raw.rounds.warmup,
            initial: raw.rounds.initial,
            extend_by: raw.rounds.extend_by,
            max: raw.rounds.max,
            scale,
        };
        if r.initial < 2 {
            return Err(invalid(
                "rounds.initial",
                format!("is {}, statistics need at least 2 rounds", r.initial),
            ));
        }
        if r.max < r.initial {
            return Err(invalid(
                "rounds.max",
                format!("is {}, below rounds.initial ({})", r.max, r.initial),
            ));
        }
        if r.extend_by == 0 && r.max > r.initial {
            return Err(invalid(
                "rounds.extend_by",
                "is 0 while rounds.max exceeds rounds.initial: extensions could never reach the cap".into(),
            ));
        }
        let gated = metric_names(path, "metrics.gated", &raw.metrics.gated)?;
        let reported = metric_names(path, "metrics.reported", &raw.metrics.reported)?;
        if let Some(m) = reported.iter().find(|m| gated.contains(m)) {
            return Err(invalid(
                "metrics.reported",
                format!("names `{}`, which metrics.gated already gates", m.as_str()),
            ));
        }
        let micro = raw.micro;
        if !(micro.threshold > 0.0 && micro.threshold < 0.5) {
            return Err(invalid(
                "micro.threshold",
                format!("is {}, must lie in (0, 0.5)", micro.threshold),
            ));
        }
        let replication = raw.replication;
        if replication.processes == 0 || replication.processes > 64 {
            return Err(invalid(
                "replication.processes",
                format!("is {}, must lie in 1..=64", replication.processes),
            ));
        }
        if replication.layouts == 0 || replication.layouts > 16 {
            return Err(invalid(
                "replication.layouts",
                format!("is {}, must lie in 1..=16", replication.layouts),
            ));
        }
        let mut exact_strata = Vec::new();
        for name in &raw.exact.strata {
            let Some(stratum) = Stratum::from_name(name) else {
                return Err(invalid(
                    "exact.strata",
                    format!("names unknown stratum `{name}` (known: small, medium, large)"),
                ));
            };
            if exact_strata.contains(&stratum) {
                return Err(invalid("exact.strata", format!("names `{name}` twice")));
            }
            exact_strata.push(stratum);
        }
        if !(raw.exact.threshold > 0.0 && raw.exact.threshold < 0.5) {
            return Err(invalid(
                "exact.threshold",
                format!("is {}, must lie in (0, 0.5)", raw.exact.threshold),
            ));
        }
        if !(raw.exact.settle_within > 0.0 && raw.exact.settle_within < 0.5) {
            return Err(invalid(
                "exact.settle_within",
                format!("is {}, must lie in (0, 0.5)", raw.exact.settle_within),
            ));
        }
        let exact = Exact {
            strata: exact_strata,
            threshold: raw.exact.threshold,
            gated: raw.exact.gated,
            settle: raw.exact.settle,
            settle_within: raw.exact.settle_within,
            corroborate: raw.exact.corroborate,
        };
        let h = raw.history;
        if !(h.min_magnitude > 0.0 && h.min_magnitude < 0.5) {
            return Err(invalid(
                "history.min_magnitude",
                format!("is {}, must lie in (0, 0.5)", h.min_magnitude),
            ));
        }
        if !(h.significance > 0.0 && h.significance < 1.0) {
            return Err(invalid(
                "history.significance",
                format!("is {}, must lie in (0, 1)", h.significance),
            ));
        }
        if h.permutations < 19 {
            return Err(invalid(
                "history.permutations",
                format!("is {}, must be at least 19", h.permutations),
            ));
        }
        if h.min_segment < 2 {
            return Err(invalid(
                "history.min_segment",
                format!("is {}, must be at least 2", h.min_segment),
            ));
        }
        Ok(Gate {
            statistics: s,
            rounds: r,
            metrics: Metrics {
                gated,
                reported,
                gate_stages: raw.metrics.gate_stages,
            },
            micro,
            replication,
            exact,
            history: h,
        })
    }

    /// Reads and validates a gate file.
    pub fn read(path: &Path) -> Result<Gate, GateError> {
        let text = std::fs::read_to_string(path).map_err(|source| GateError::Io {
            path: path.to_owned(),
            source,
        })?;
        Gate::parse(&text, path)
    }

    /// The metrics compared, gated ones first, each once.
    pub fn compared(&self) -> impl Iterator<Item = Metric> + '_ {
        self.metrics
            .gated
            .iter()
            .chain(&self.metrics.reported)
            .copied()
    }

    pub fn is_gated(&self, metric: Metric) -> bool {
        self.metrics.gated.contains(&metric)
    }

    /// The bootstrap settings for intervals of the median ratio.
    pub fn bootstrap(&self) -> Bootstrap {
        Bootstrap {
            resamples: self.statistics.bootstrap_resamples,
            level: self.statistics.confidence,
            seed: self.statistics.bootstrap_seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> (String, PathBuf) {
        let path =
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../perf-gate.toml")).to_owned();
        (std::fs::read_to_string(&path).unwrap(), path)
    }

    #[test]
    fn timing_verdicts_need_their_whole_interval_past_the_threshold_to_be_corroborated() {
        let on = Exact::default();
        assert!(on.corroborate);
        let t = 0.02;
        assert!(!on.corroborates(Verdict::Regressed, 1.0127, 1.036, t));
        assert!(on.corroborates(Verdict::Regressed, 1.021, 1.06, t));
        assert!(!on.corroborates(Verdict::Improved, 0.96, 0.99, t));
        assert!(on.corroborates(Verdict::Improved, 0.94, 0.979, t));
        assert!(on.corroborates(Verdict::Inconclusive, 0.99, 1.05, t));
        assert!(on.corroborates(Verdict::Unchanged, 0.99, 1.01, t));
        let off = Exact {
            corroborate: false,
            ..on
        };
        assert!(off.corroborates(Verdict::Regressed, 1.0127, 1.036, t));
    }

    #[test]
    fn default_equals_the_committed_file() {
        let (text, path) = committed();
        assert_eq!(Gate::parse(&text, &path).unwrap(), Gate::default());
        assert_eq!(Gate::read(&path).unwrap(), Gate::default());
    }

    fn err_of(from: &str, to: &str) -> String {
        let (text, _) = committed();
        assert!(text.contains(from), "{from}");
        Gate::parse(&text.replacen(from, to, 1), Path::new("x/perf-gate.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_values_name_the_file_and_key() {
        let cases = [
            (
                "threshold = 0.02\n# Conf",
                "threshold = 0.7\n# Conf",
                "`statistics.threshold` is 0.7",
            ),
            (
                "confidence = 0.95",
                "confidence = 1.0",
                "`statistics.confidence`",
            ),
            ("fdr = 0.05", "fdr = 0.0", "`statistics.fdr`"),
            (
                "bootstrap_resamples = 2000",
                "bootstrap_resamples = 10",
                "bootstrap_resamples",
            ),
            ("initial = 20", "initial = 1", "`rounds.initial`"),
            (
                "max = 60",
                "max = 10",
                "`rounds.max` is 10, below rounds.initial (20)",
            ),
            ("extend_by = 10", "extend_by = 0", "`rounds.extend_by`"),
            (
                "\"cpu_ns\"",
                "\"cpu_nanos\"",
                "`metrics.gated` names unknown metric `cpu_nanos` (known: wall_ns",
            ),
            (
                "\"cpu_ns\"",
                "\"cpu_ns\", \"cpu_ns\"",
                "names `cpu_ns` twice",
            ),
            (
                "\"wall_ns\"",
                "\"cpu_ns\"",
                "`metrics.reported` names `cpu_ns`, which metrics.gated",
            ),
            (
                "threshold = 0.02\n# Whether",
                "threshold = -1\n# Whether",
                "`micro.threshold`",
            ),
            (
                "settle_within = 0.05",
                "settle_within = 0",
                "`exact.settle_within` is 0, must lie in (0, 0.5)",
            ),
        ];
        for (from, to, want) in cases {
            let err = err_of(from, to);
            assert!(err.starts_with("x/perf-gate.toml: "), "{err}");
            assert!(err.contains(want), "{err} lacks {want}");
        }
    }

    #[test]
    fn syntax_and_unknown_keys_are_errors() {
        let err = err_of(
            "gate_stages = false",
            "gate_stages = false\ngate_stage = true",
        );
        assert!(
            err.contains("not a gate file") && err.contains("gate_stage"),
            "{err}"
        );
        let err = err_of("[micro]", "[micro");
        assert!(err.contains("not a gate file"), "{err}");
        let err = Gate::read(Path::new("/nonexistent/perf-gate.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/nonexistent/perf-gate.toml: "), "{err}");
    }

    #[test]
    fn exact_figures_settle_only_narrow_intervals_around_no_change() {
        let exact = Gate::default().exact;
        assert!(exact.settles(0.97, 1.03));
        assert!(exact.settles(1.0, 1.08));
        // Excludes no change: a timing effect the counts do not show.
        assert!(!exact.settles(1.001, 1.03));
        assert!(!exact.settles(0.95, 0.999));
        // Wider than ±5%: says too little to be settled.
        assert!(!exact.settles(0.94, 1.07));
        let off = Exact {
            settle: false,
            ..exact
        };
        assert!(!off.settles(0.99, 1.01));
        // Compare files written before settling read it as off.
        assert!(!Exact::none().settles(0.99, 1.01));
    }

    #[test]
    fn round_caps_scale_per_stratum() {
        let g = Gate::default();
        let small = g.rounds.caps(&Stratum::Small.into());
        assert_eq!((small.initial, small.extend_by, small.max), (200, 100, 600));
        let large = g.rounds.caps(&Stratum::Large.into());
        assert_eq!((large.initial, large.extend_by, large.max), (20, 10, 60));
        let bad = committed()
            .0
            .replace("scale = { small = 10 }", "scale = { tiny = 10 }");
        let err = Gate::parse(&bad, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rounds.scale") && err.contains("tiny"),
            "{err}"
        );
    }

    #[test]
    fn compared_lists_gated_then_reported() {
        let g = Gate::default();
        let all: Vec<Metric> = g.compared().collect();
        assert_eq!(all.len(), Metric::all().len());
        assert_eq!(all[0], Metric::CpuNs);
        assert!(g.is_gated(Metric::CpuNs) && !g.is_gated(Metric::WallNs));
        assert!(!g.is_gated(Metric::CyclesPerByte));
    }
}
