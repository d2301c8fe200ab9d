//! The environment fingerprint stored with every run: what machine, which
//! cores, which kernel and compiler, which source revision, which counters.
//!
//! Two runs are only comparable when [`Environment::mismatches`] is empty:
//! the machine-describing fields agree (the git revision is expected to
//! differ between the sides of a comparison).

use crate::counters::CounterReport;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

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

/// `model name` and whether both invariant-TSC flags appear in `/proc/cpuinfo`.
pub fn parse_cpuinfo(cpuinfo: &str) -> (String, bool) {
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let flags = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or("");
    let has = |f: &str| flags.split_ascii_whitespace().any(|x| x == f);
    (model, has("constant_tsc") && has("nonstop_tsc"))
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The workspace the harness was built from.
pub fn source_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

pub fn git_state(dir: &Path) -> (Option<String>, bool) {
    let run = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
    };
    let sha = run(&["rev-parse", "HEAD"]).map(|s| s.trim().to_string());
    let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.trim().is_empty());
    (sha, dirty)
}

impl Environment {
    pub fn capture(pinned_cores: Vec<usize>, counters: CounterReport) -> Environment {
        let (cpu_model, invariant_tsc) =
            parse_cpuinfo(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default());
        let (git_sha, git_dirty) = git_state(source_dir());
        Environment {
            cpu_model,
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            pinned_cores,
            governor: read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            rustc: env!("HARNESS_RUSTC_VERSION").to_string(),
            git_sha,
            git_dirty,
            counters,
            invariant_tsc,
        }
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
            self.counters.source.name().into(),
            other.counters.source.name().into(),
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
    use crate::counters::CounterSource;

    #[test]
    fn cpuinfo_fields() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu tsc constant_tsc nonstop_tsc rdtscp\n";
        assert_eq!(parse_cpuinfo(text), ("AMD EPYC 7B13".into(), true));
        assert_eq!(parse_cpuinfo("flags : tsc\n"), ("unknown".into(), false));
    }

    #[test]
    fn capture_and_compare() {
        let report = CounterReport {
            source: CounterSource::Tsc,
            instructions: false,
            tsc_hz: Some(2.6e9),
            fallback_reason: None,
        };
        let a = Environment::capture(vec![0], report.clone());
        assert!(a.logical_cores >= 1);
        assert!(a.rustc.starts_with("rustc "));
        assert!(a.mismatches(&a).is_empty());
        let mut b = a.clone();
        b.git_sha = Some("other".into());
        assert!(a.mismatches(&b).is_empty(), "revision may differ");
        b.pinned_cores = vec![1];
        b.counters.tsc_hz = Some(3.0e9);
        assert_eq!(a.mismatches(&b).len(), 2);
    }
}
