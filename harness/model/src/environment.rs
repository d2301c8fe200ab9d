//! The environment fingerprint stored with every run and compare: what
//! machine, which cores, which kernel and compiler, which source revision,
//! which counters. The runtime captures it; here it is data.
//!
//! Two runs are only comparable when [`Environment::mismatches`] is empty:
//! the machine-describing fields agree (the git revision is expected to
//! differ between the sides of a comparison).

use crate::counter_source::CounterReport;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub cpu_model: String,
    pub logical_cores: usize,
    /// Cores the measuring threads were pinned to (empty: unpinned).
    pub pinned_cores: Vec<usize>,
    /// `scaling_governor` of cpu0, where readable.
    pub governor: Option<String>,
    pub kernel: String,
    pub rustc: String,
    pub git_sha: Option<String>,
    pub git_dirty: bool,
    pub counters: CounterReport,
    /// `constant_tsc` and `nonstop_tsc` both present: TSC ticks at a fixed rate.
    pub invariant_tsc: bool,
}

impl Environment {
    /// The machine-describing fields as one string: runs with equal
    /// fingerprints (and counter sources) belong to one history series.
    pub fn machine(&self) -> String {
        format!(
            "{} · {} cores · pinned {:?} · governor {} · kernel {}",
            self.cpu_model,
            self.logical_cores,
            self.pinned_cores,
            self.governor.as_deref().unwrap_or("-"),
            self.kernel
        )
    }

    /// Machine-level differences that make two runs incomparable.
    pub fn mismatches(&self, other: &Environment) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |name: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{name}: {a} vs {b}"));
            }
        };
        check("cpu_model", self.cpu_model.clone(), other.cpu_model.clone());
        check(
            "logical_cores",
            self.logical_cores.to_string(),
            other.logical_cores.to_string(),
        );
        check(
            "pinned_cores",
            format!("{:?}", self.pinned_cores),
            format!("{:?}", other.pinned_cores),
        );
        check(
            "governor",
            format!("{:?}", self.governor),
            format!("{:?}", other.governor),
        );
        check("kernel", self.kernel.clone(), other.kernel.clone());
        check(
            "counter source",
            self.counters.source.as_str().into(),
            other.counters.source.as_str().into(),
        );
        if let (Some(a), Some(b)) = (self.counters.tsc_hz, other.counters.tsc_hz)
            && (a - b).abs() / a > 0.01
        {
            out.push(format!("tsc_hz: {a:.0} vs {b:.0}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counter_source::CounterSource;

    #[test]
    fn machine_fields_decide_comparability() {
        let a = Environment {
            cpu_model: "AMD EPYC".into(),
            logical_cores: 2,
            pinned_cores: vec![0],
            governor: None,
            kernel: "6.1".into(),
            rustc: "rustc 1.95.0".into(),
            git_sha: Some("a".into()),
            git_dirty: false,
            counters: CounterReport {
                source: CounterSource::Tsc,
                instructions: false,
                tsc_hz: Some(2.6e9),
                fallback_reason: None,
            },
            invariant_tsc: true,
        };
        assert!(a.mismatches(&a).is_empty());
        let mut b = a.clone();
        b.git_sha = Some("other".into());
        assert!(a.mismatches(&b).is_empty(), "revision may differ");
        b.pinned_cores = vec![1];
        b.counters.tsc_hz = Some(3.0e9);
        assert_eq!(a.mismatches(&b).len(), 2);
    }
}
