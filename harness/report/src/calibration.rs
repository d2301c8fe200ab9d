//! The gate's calibration in words: the line a compare quotes about its
//! machine ([`calibration_line`]) and the table `--calibrate` prints
//! ([`calibration_text`]). Pure.

use harness_model::calibration::{CalibrationFile, CalibrationSummary, ExperimentKind};
use std::fmt::Write;

fn rate(r: f64) -> String {
    format!("{:.0}%", r * 100.0)
}

/// One sentence: what the calibration of the machine a compare ran on
/// measured, or that it has none.
pub fn calibration_line(summary: Option<&CalibrationSummary>) -> String {
    let Some(s) = summary else {
        return "this machine is uncalibrated (cargo xtask bench-compare --calibrate REV measures the gate's error rates here)".into();
    };
    let power: Vec<String> = s
        .power
        .iter()
        .map(|p| {
            format!(
                "{:.0}% slowdown caught in {}",
                p.injected * 100.0,
                rate(p.rate)
            )
        })
        .collect();
    format!(
        "calibrated {} at {} ({} compares per experiment on {}): A/A false alarms {}, inconclusive {}{}{}{}; intervals cover the pooled estimate in at least {} of compares; minimum detectable change ±{:.2}%",
        s.created.get(..10).unwrap_or(&s.created),
        s.commit.get(..10).unwrap_or(&s.commit),
        s.k,
        s.strata
            .iter()
            .map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        rate(s.false_alarm_rate),
        rate(s.inconclusive_rate),
        if s.settled_rate > 0.0 {
            format!(
                " (timing alone inconclusive in {}: exact figures settled the rest)",
                rate(s.inconclusive_rate + s.settled_rate)
            )
        } else {
            String::new()
        },
        s.noop_false_alarm_rate.map_or(String::new(), |r| format!(
            ", layout no-op false alarms {}",
            rate(r)
        )),
        if power.is_empty() {
            String::new()
        } else {
            format!("; {}", power.join(", "))
        },
        rate(s.coverage),
        s.min_detectable_change * 100.0,
    )
}

/// The calibration as `--calibrate` prints it: one row per experiment.
pub fn calibration_text(file: &CalibrationFile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "calibration of {}", file.summary.machine);
    let _ = writeln!(
        out,
        "{:<20} {:>8} {:>11} {:>12} {:>8} {:>9} {:>9} {:>9}",
        "experiment", "compares", "regressions", "inconclusive", "settled", "cover", "truth", "mdc"
    );
    for e in &file.experiments {
        let name = match e.kind {
            ExperimentKind::Injected => format!("injected {:.1}%", e.injected * 100.0),
            ExperimentKind::AA | ExperimentKind::Layout => e.kind.as_str().to_string(),
        };
        let mdc = harness_analysis::calibration::median_min_detectable_change(e);
        let _ = writeln!(
            out,
            "{:<20} {:>8} {:>11} {:>12} {:>8} {:>9} {:>9} {:>8}",
            name,
            e.compares.len(),
            e.regressions,
            e.inconclusive,
            e.settled,
            rate(e.coverage_of_pooled),
            e.coverage_of_truth.map_or("-".into(), rate),
            if mdc.is_nan() {
                "-".to_string()
            } else {
                format!("±{:.2}%", mdc * 100.0)
            },
        );
    }
    let _ = writeln!(out, "{}", calibration_line(Some(&file.summary)));
    out
}
