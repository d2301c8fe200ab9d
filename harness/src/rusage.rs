//! Process resource usage: CPU time, context switches and peak RSS.
//!
//! Peak RSS is made per-iteration by resetting the kernel's high-water mark
//! (`/proc/self/clear_refs` ← `5`, Linux ≥ 4.0) before the iteration and
//! reading `VmHWM` after it.

/// A `getrusage(RUSAGE_SELF)` snapshot (all threads, joined ones included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub user_ns: u64,
    pub system_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

impl Usage {
    pub fn now() -> Usage {
        // SAFETY: getrusage writes only into the zeroed struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        if rc != 0 {
            return Usage::default();
        }
        let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1_000;
        Usage {
            user_ns: ns(ru.ru_utime),
            system_ns: ns(ru.ru_stime),
            voluntary_switches: ru.ru_nvcsw as u64,
            involuntary_switches: ru.ru_nivcsw as u64,
        }
    }

    /// CPU time (user + system) spent since `earlier`.
    pub fn cpu_ns_since(&self, earlier: &Usage) -> u64 {
        (self.user_ns + self.system_ns).saturating_sub(earlier.user_ns + earlier.system_ns)
    }
}

/// Resets the peak-RSS high-water mark; false where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// `VmHWM` from a `/proc/<pid>/status` text, in bytes.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Peak resident set size since the last reset, in bytes.
pub fn peak_rss() -> Option<u64> {
    parse_vm_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwm_parses() {
        assert_eq!(
            parse_vm_hwm("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1 kB\n"),
            Some(2 * 1024 * 1024)
        );
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn usage_moves_and_peak_resets() {
        let a = Usage::now();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = Usage::now();
        assert!(b.cpu_ns_since(&a) > 0);
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let before = peak_rss().unwrap();
        drop(big);
        if reset_peak_rss() {
            assert!(peak_rss().unwrap() < before);
        }
    }
}
