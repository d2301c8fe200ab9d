//! How numbers read in every output: the terminal table, the PR comment and
//! the HTML pages format values, units and changes through these functions
//! alone, so one figure reads the same wherever it appears.

use harness_model::results::Metric;
use harness_model::summary::Summary;
use harness_model::{CounterSource, WorkloadId};

/// Nanoseconds in the largest unit that keeps them above 1 (µs, ms, s).
pub fn ns(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.3} s", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else {
        format!("{:.1} µs", v / 1e3)
    }
}

/// Nanoseconds → the divisor and unit that keep `max_ns` readable (axes).
pub fn time_unit(max_ns: f64) -> (f64, &'static str) {
    if max_ns >= 1e9 {
        (1e9, "s")
    } else if max_ns >= 1e6 {
        (1e6, "ms")
    } else if max_ns >= 1e3 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    }
}

/// Bytes in KiB or MiB, one decimal.
pub fn bytes(v: f64) -> String {
    if v >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", v / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", v / 1024.0)
    }
}

/// Bytes in MiB, two decimals.
pub fn mib(v: f64) -> String {
    format!("{:.2} MiB", v / (1u64 << 20) as f64)
}

/// A metric's value as the terminal table and run pages show it.
pub fn human(metric: Metric, v: f64) -> String {
    match metric {
        Metric::WallNs | Metric::CpuNs => ns(v),
        Metric::AllocatedBytes
        | Metric::PeakRssBytes
        | Metric::PeakHeapBytes
        | Metric::RssAnonPeakBytes
        | Metric::RssFilePeakBytes => {
            format!("{:.1} MiB", v / (1u64 << 20) as f64)
        }
        Metric::CyclesPerByte => format!("{v:.3}"),
        Metric::Cycles | Metric::Instructions | Metric::Allocations => format!("{v:.0}"),
    }
}

/// Integer with thousands separators.
pub fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// Thousands, millions, billions with three significant decimals.
pub fn si(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("{:.3} G", v / 1e9)
    } else if v.abs() >= 1e6 {
        format!("{:.3} M", v / 1e6)
    } else {
        grouped(v)
    }
}

/// The short unit of cycles per byte from `source`.
pub fn per_byte_unit(source: CounterSource) -> &'static str {
    match source {
        CounterSource::PerfEvent => "c/B",
        CounterSource::Tsc => "ref c/B",
        CounterSource::Monotonic => "ns/B",
    }
}

/// A metric's value with its unit, as the compare outputs show it.
pub fn value(metric: Metric, source: CounterSource, v: f64) -> String {
    match metric {
        Metric::WallNs | Metric::CpuNs => ns(v),
        Metric::Cycles => format!("{} cyc", si(v)),
        Metric::Instructions => format!("{} instr", si(v)),
        Metric::CyclesPerByte => format!("{v:.3} {}", per_byte_unit(source)),
        Metric::Allocations => grouped(v),
        Metric::AllocatedBytes
        | Metric::PeakRssBytes
        | Metric::PeakHeapBytes
        | Metric::RssAnonPeakBytes
        | Metric::RssFilePeakBytes => mib(v),
    }
}

/// A relative change of ratio `r`, in percent with a sign (`+1.23%`).
pub fn change(r: f64) -> String {
    format!("{:+.2}%", (r - 1.0) * 100.0)
}

/// A half-width as a fraction, in percent (`±1.23%`).
pub fn plus_minus(fraction: f64) -> String {
    format!("±{:.2}%", fraction * 100.0)
}

/// A summary's spread: MAD over median, in percent (`1.23%`).
pub fn spread(s: &Summary) -> String {
    format!("{:.2}%", s.mad_over_median * 100.0)
}

/// A workload's section title: `Stratum medium`, `Repository ripgrep`.
pub fn workload_title(w: &WorkloadId) -> String {
    match w {
        WorkloadId::Stratum(s) => format!("Stratum {s}"),
        WorkloadId::Repo(name) => format!("Repository {name}"),
    }
}

/// A commit id's first seven characters.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_same_everywhere() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(1_234_567.0), "1,234,567");
        assert_eq!(grouped(-1_000.0), "-1,000");
        assert_eq!(change(1.031), "+3.10%");
        assert_eq!(change(0.98), "-2.00%");
        assert_eq!(ns(253_000_000.0), "253.00 ms");
        assert_eq!(ns(1_580_000.0), "1.58 ms");
        assert_eq!(ns(900_000_000_000.0 / 1000.0), "900.00 ms");
        assert_eq!(si(10_840_000_000.0), "10.840 G");
        assert_eq!(mib(3.0 * 1048576.0), "3.00 MiB");
        assert_eq!(
            value(Metric::CyclesPerByte, CounterSource::Tsc, 12.3456),
            "12.346 ref c/B"
        );
        assert_eq!(grouped(-0.2), "0");
        assert_eq!(plus_minus(0.0123), "±1.23%");
        assert_eq!(time_unit(5e6), (1e6, "ms"));
        assert_eq!(short("0123456789"), "0123456");
    }
}
