//! Peak anonymous and file-backed resident memory of a measured run.
//!
//! The kernel keeps a high-water mark only for the whole RSS (`VmHWM`, see
//! [`crate::rusage`]); it cannot say how much of that peak was heap and how
//! much the mapped packs, whose pages are the page cache's. An
//! [`RssSampler`] owns one thread that, while a run is active, reads
//! `RssAnon` and `RssFile` from `/proc/self/status` at a fixed period and
//! keeps their maxima.
//!
//! Invariants: the thread is spawned when the sampler is made, never inside
//! a measured region; a sample allocates nothing (the path is formatted on
//! the stack by std, the text read into a fixed buffer), so the counting
//! allocator's figures are untouched; the first sample is taken as soon as
//! a run starts, and a run that ended before the thread got to it is sampled
//! by `stop`, so every run has at least one ([`RssPeaks::samples`] says how
//! many: a run shorter than the period reads its start or its end, not its
//! peak).

use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a run's memory is sampled. Reading `/proc/self/status` costs
/// about 20 µs here, so 10 ms is 0.2% of one core, paid alike by both sides
/// of a compare.
pub const DEFAULT_PERIOD: Duration = Duration::from_millis(10);

/// The maxima a run reached, in bytes, and how many samples saw them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RssPeaks {
    pub anon: u64,
    pub file: u64,
    pub samples: u32,
}

/// `RssAnon` and `RssFile` from a `/proc/<pid>/status` text, in bytes.
pub fn parse_rss(status: &[u8]) -> Option<(u64, u64)> {
    let mut anon = None;
    let mut file = None;
    for line in status.split(|&b| b == b'\n') {
        let slot = if line.starts_with(b"RssAnon:") {
            &mut anon
        } else if line.starts_with(b"RssFile:") {
            &mut file
        } else {
            continue;
        };
        let text = std::str::from_utf8(line).ok()?;
        let kib: u64 = text.split_ascii_whitespace().nth(1)?.parse().ok()?;
        *slot = Some(kib * 1024);
    }
    Some((anon?, file?))
}

#[derive(Debug, Default)]
struct State {
    active: bool,
    quit: bool,
    /// Bumped by every `start`, so a sample taken for an earlier run is
    /// not credited to a later one.
    run: u64,
    peaks: RssPeaks,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic on the sampler thread leaves plain numbers behind.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Samples this process's anonymous and file-backed RSS between
/// [`RssSampler::start`] and [`RssSampler::stop`].
#[derive(Debug)]
pub struct RssSampler {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// Spawns the sampling thread; `None` where `/proc/self/status` has no
    /// `RssAnon`/`RssFile` (not Linux, or a kernel before 4.5).
    pub fn new(period: Duration) -> Option<RssSampler> {
        let mut buf = [0u8; 8192];
        read_status(&mut buf)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("rss-sampler".into())
            .spawn(move || sample_loop(&theirs, period))
            .ok()?;
        Some(RssSampler {
            shared,
            thread: Some(thread),
        })
    }

    /// Begins a run: forgets the last run's maxima and samples now.
    pub fn start(&self) {
        let mut state = self.shared.lock();
        state.active = true;
        state.run += 1;
        state.peaks = RssPeaks::default();
        self.shared.wake.notify_all();
    }

    /// Ends the run and returns its maxima. A run so short that the thread
    /// never got to it is sampled here, after the fact; `None` only if
    /// `/proc/self/status` could not be read.
    pub fn stop(&self) -> Option<RssPeaks> {
        let mut state = self.shared.lock();
        state.active = false;
        let peaks = state.peaks;
        drop(state);
        if peaks.samples > 0 {
            return Some(peaks);
        }
        let mut buf = [0u8; 8192];
        let (anon, file) = read_status(&mut buf)?;
        Some(RssPeaks {
            anon,
            file,
            samples: 1,
        })
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.shared.lock().quit = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn sample_loop(shared: &Shared, period: Duration) {
    let mut buf = [0u8; 8192];
    let mut state = shared.lock();
    loop {
        if state.quit {
            return;
        }
        if !state.active {
            state = shared
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        let run = state.run;
        drop(state);
        let reading = read_status(&mut buf);
        state = shared.lock();
        if let Some((anon, file)) = reading
            && state.active
            && state.run == run
        {
            let p = &mut state.peaks;
            p.anon = p.anon.max(anon);
            p.file = p.file.max(file);
            p.samples += 1;
        }
        if state.active && state.run == run {
            state = shared
                .wake
                .wait_timeout(state, period)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Reads `/proc/self/status` into `buf` without allocating.
fn read_status(buf: &mut [u8]) -> Option<(u64, u64)> {
    let mut f = std::fs::File::open("/proc/self/status").ok()?;
    let mut len = 0;
    while len < buf.len() {
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    parse_rss(&buf[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_anon_and_file() {
        let text =
            b"Name:\tx\nVmHWM:\t 9 kB\nRssAnon:\t  2048 kB\nRssFile:\t 512 kB\nRssShmem:\t0 kB\n";
        assert_eq!(parse_rss(text), Some((2 << 20, 512 << 10)));
        assert_eq!(parse_rss(b"RssAnon:\t1 kB\n"), None);
        assert_eq!(parse_rss(b"RssAnon:\tx kB\nRssFile:\t1 kB\n"), None);
    }

    #[test]
    fn sees_a_run_grow_and_forgets_it_on_the_next() {
        let sampler = RssSampler::new(Duration::from_millis(1)).expect("linux /proc");
        sampler.start();
        std::thread::sleep(Duration::from_millis(20));
        let quiet = sampler.stop().expect("sampled");
        assert!(quiet.samples >= 1);

        sampler.start();
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        std::thread::sleep(Duration::from_millis(30));
        let grown = sampler.stop().expect("sampled");
        drop(big);
        assert!(
            grown.anon >= quiet.anon + (48 << 20),
            "{grown:?} vs {quiet:?}"
        );

        sampler.start();
        std::thread::sleep(Duration::from_millis(20));
        let after = sampler.stop().expect("sampled");
        assert!(after.anon < grown.anon, "{after:?} vs {grown:?}");
    }
}
