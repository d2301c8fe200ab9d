//! Pinning the measuring process to chosen cores.
//!
//! core_affinity lists the cores this process may use and pins one thread
//! to one core; the scanner runs several worker threads, so the harness
//! sets a *mask* of cores on the measuring thread (threads spawned later
//! inherit it) with `sched_setaffinity`, then reads back what the kernel
//! actually granted.

/// Why pinning was refused.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("core {core} is not available to this process (available: {available:?})")]
    Unavailable { core: usize, available: Vec<usize> },
    #[error("no cores requested")]
    Empty,
    #[error("sched_setaffinity({cores:?}) failed: {source}")]
    Syscall {
        cores: Vec<usize>,
        source: std::io::Error,
    },
    #[error("asked for cores {requested:?} but the kernel granted {granted:?}")]
    NotGranted {
        requested: Vec<usize>,
        granted: Vec<usize>,
    },
}

/// Cores this process may run on.
pub fn available() -> Vec<usize> {
    let mut ids: Vec<usize> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids
}

/// Cores the calling thread is allowed on right now.
pub fn granted() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect()
}

/// Pins the calling thread (and threads it spawns later) to `cores`, and
/// returns the cores granted.
pub fn pin(cores: &[usize]) -> Result<Vec<usize>, PinError> {
    if cores.is_empty() {
        return Err(PinError::Empty);
    }
    let available = available();
    if let Some(&core) = cores.iter().find(|c| !available.contains(c)) {
        return Err(PinError::Unavailable { core, available });
    }
    // SAFETY: as above; CPU_SET only writes inside the set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cores {
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(PinError::Syscall {
            cores: cores.to_vec(),
            source: std::io::Error::last_os_error(),
        });
    }
    let mut requested = cores.to_vec();
    requested.sort_unstable();
    requested.dedup();
    let got = granted();
    if got != requested {
        return Err(PinError::NotGranted {
            requested,
            granted: got,
        });
    }
    Ok(got)
}

/// Parses `0,1` or `0-3` or `0-1,4` into core ids.
pub fn parse_cores(spec: &str) -> Result<Vec<usize>, String> {
    let mut cores = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parse = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("--pin {spec:?}: {s:?} is not a core number"))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse(a)?, parse(b)?);
                if a > b {
                    return Err(format!("--pin {spec:?}: range {part:?} is backwards"));
                }
                cores.extend(a..=b);
            }
            None => cores.push(parse(part)?),
        }
    }
    if cores.is_empty() {
        return Err(format!("--pin {spec:?}: no cores"));
    }
    cores.sort_unstable();
    cores.dedup();
    Ok(cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_lists() {
        assert_eq!(parse_cores("0,1"), Ok(vec![0, 1]));
        assert_eq!(parse_cores("2-4,0"), Ok(vec![0, 2, 3, 4]));
        assert!(parse_cores("x").is_err());
        assert!(parse_cores("3-1").is_err());
        assert!(parse_cores("").is_err());
    }

    #[test]
    fn pinning_is_granted_and_unknown_cores_are_refused() {
        let avail = available();
        assert!(!avail.is_empty());
        let err = pin(&[100_000]).unwrap_err().to_string();
        assert!(err.contains("not available"), "{err}");
        // Pin a helper thread so the test runner's own threads are unaffected.
        let first = avail[0];
        let got = std::thread::spawn(move || pin(&[first]))
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(got, vec![first]);
    }
}
