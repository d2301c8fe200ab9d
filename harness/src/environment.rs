//! The environment fingerprint stored with every run: what machine, which
//! cores, which kernel and compiler, which source revision, which counters.
//!
//! [`capture`] reads it from this machine; the type and the comparability
//! rule ([`Environment::mismatches`]) are the model's.

use harness_model::CounterReport;
pub use harness_model::Environment;
use std::path::Path;
use std::process::Command;

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

/// `git -C dir ARGS`'s trimmed output; `None` when git fails or says nothing.
pub fn git(dir: &Path, args: &[&str]) -> Option<String> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The revision of `dir` and whether its tracked files have changes.
pub fn git_state(dir: &Path) -> (Option<String>, bool) {
    let sha = git(dir, &["rev-parse", "HEAD"]);
    let dirty = git(dir, &["status", "--porcelain", "--untracked-files=no"]).is_some();
    (sha, dirty)
}

/// The fingerprint of this machine and process, with `pinned_cores` and the
/// counters' report as the caller found them and the revision of the
/// workspace the harness was built from.
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
    fn capture_describes_this_machine() {
        let report = CounterReport {
            source: CounterSource::Tsc,
            instructions: false,
            tsc_hz: Some(2.6e9),
            fallback_reason: None,
        };
        let a = capture(vec![0], report.clone());
        assert!(a.logical_cores >= 1);
        assert!(a.rustc.starts_with("rustc "));
        assert_eq!(a.pinned_cores, vec![0]);
        assert!(a.mismatches(&capture(vec![0], report)).is_empty());
    }
}
