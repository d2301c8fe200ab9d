//! Renders a results file as a terminal table (`harness show`): per
//! stratum, every metric's median, MAD, MAD/median and the median's 95%
//! interval, then per stage its wall time and cycles per scanned byte;
//! then the stage microbenchmarks, each beside the end-to-end wall time of
//! the stage it isolates in every stratum of the run; then the exact
//! end-to-end figures (one callgrind scan per stratum), with each stage's
//! instructions.
//! Pure: takes a [`RunFile`], returns text.

use crate::format::{bytes, grouped, human, ns, spread};
use harness_model::micro::{Instrument, MicroFigure, MicroMetric};
use harness_model::results::RunFile;
use std::fmt::Write;

pub fn render(run: &RunFile) -> String {
    let mut out = String::new();
    let env = &run.environment;
    let _ = writeln!(
        out,
        "run {} · {} · {} cores (pinned {:?}) · {} · git {}{} · cycles: {}{}",
        run.created,
        env.cpu_model,
        env.logical_cores,
        env.pinned_cores,
        env.kernel,
        env.git_sha
            .as_deref()
            .map_or("?", |s| &s[..s.len().min(10)]),
        if env.git_dirty { " (dirty)" } else { "" },
        env.counters.source.as_str(),
        env.counters
            .tsc_hz
            .map_or(String::new(), |hz| format!(" (TSC {:.0} MHz)", hz / 1e6)),
    );
    for s in &run.strata {
        let counted = s.iterations.iter().filter(|i| i.counted).count();
        let _ = writeln!(
            out,
            "\n{} — {} · {} scanned in {} blobs · {} findings ({}) · {} iterations, {} re-run",
            s.stratum.as_str(),
            s.selection,
            bytes(s.bytes as f64),
            s.blobs,
            s.findings,
            if s.stratum.stratum().is_some() {
                "ground truth ok"
            } else {
                "a repository: no ground truth"
            },
            counted,
            s.reruns
        );
        let _ = writeln!(
            out,
            "  {:<19} {:>14} {:>12} {:>8} {:>28}  unit",
            "metric", "median", "MAD", "MAD/med", "95% CI of median"
        );
        for m in &s.metrics {
            let sm = &m.summary;
            let _ = writeln!(
                out,
                "  {:<19} {:>14} {:>12} {:>8} {:>28}  {}",
                m.metric.as_str(),
                human(m.metric, sm.median),
                human(m.metric, sm.mad),
                spread(sm),
                format!(
                    "[{}, {}]",
                    human(m.metric, sm.median_ci.low),
                    human(m.metric, sm.median_ci.high)
                ),
                m.unit
            );
        }
        if let Some(source) = s.stages.first().map(|st| st.cycles_source) {
            let _ = writeln!(
                out,
                "  {:<19} {:>14} {:>12} {:>8}  cycles per scanned byte ({})",
                "stage",
                "wall median",
                "cyc/B",
                "MAD/med",
                source.unit()
            );
        }
        for st in &s.stages {
            let cpb = st.cycles_per_byte.as_ref();
            let _ = writeln!(
                out,
                "  {:<19} {:>14} {:>12} {:>8}",
                st.stage.as_str(),
                ns(st.wall_ns.median),
                cpb.map_or("-".into(), |c| format!("{:.3}", c.median)),
                cpb.map_or("-".into(), spread),
            );
        }
    }
    render_micro(run, &mut out);
    render_exact(run, &mut out);
    out
}

fn render_exact(run: &RunFile, out: &mut String) {
    for e in &run.exact {
        let f = &e.figures;
        let cycles = f
            .estimated_cycles
            .map_or("no cache simulation".into(), |c| {
                format!("{} estimated cycles", grouped(c as f64))
            });
        let _ = writeln!(
            out,
            "\n{} exact ({}, one scan, one thread): {} instructions, {cycles}",
            e.stratum,
            e.source,
            grouped(f.instructions as f64),
        );
        for st in &f.stages {
            let share = st.instructions as f64 / f.instructions.max(1) as f64 * 100.0;
            let _ = writeln!(
                out,
                "  {:<19} {:>16} Ir {:>6.1}%",
                st.stage.as_str(),
                grouped(st.instructions as f64),
                share
            );
        }
    }
}

/// A figure with its MAD relative to it, when sampled.
fn micro_value(f: &MicroFigure) -> String {
    let v = match f.metric {
        MicroMetric::TimePerIteration => ns(f.value),
        MicroMetric::TimePerUnit => format!("{:.2} {}", f.value, f.unit),
        MicroMetric::Throughput => throughput(f.value, &f.unit),
        MicroMetric::Instructions => format!("{:.0} Ir", f.value),
        MicroMetric::EstimatedCycles => format!("{:.0} cyc", f.value),
        MicroMetric::EstimatedCyclesPerUnit => format!("{:.2} {}", f.value, f.unit),
    };
    match f.mad {
        Some(m) if f.value != 0.0 => format!("{v} ±{:.1}%", m / f.value * 100.0),
        _ => v,
    }
}

fn throughput(v: f64, unit: &str) -> String {
    if unit == "bytes per second" {
        format!("{:.1} MiB/s", v / (1u64 << 20) as f64)
    } else {
        format!("{:.2} M{}", v / 1e6, unit.replace(" per second", "/s"))
    }
}

/// The end-to-end wall-time medians of `stage`, one per stratum.
fn end_to_end(run: &RunFile, stage: &str) -> String {
    let walls: Vec<String> = run
        .strata
        .iter()
        .filter_map(|s| {
            let st = s.stages.iter().find(|st| st.stage == stage)?;
            Some(format!("{} {}", s.stratum.as_str(), ns(st.wall_ns.median)))
        })
        .collect();
    if walls.is_empty() {
        stage.to_string()
    } else {
        format!("{stage}: {}", walls.join(", "))
    }
}

fn render_micro(run: &RunFile, out: &mut String) {
    if run.micro.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nstage microbenchmarks (criterion: wall time, advisory; gungraun: instructions, deterministic)"
    );
    let _ = writeln!(
        out,
        "  {:<26} {:<10} {:>22} {:>34}  end-to-end stage (wall median)",
        "id", "instrument", "per iteration", "per unit"
    );
    for r in &run.micro {
        let figure = |m: MicroMetric| r.figure(m).map_or("-".to_string(), micro_value);
        let (per_iter, per_unit) = match r.instrument {
            Instrument::Criterion => (
                figure(MicroMetric::TimePerIteration),
                figure(MicroMetric::TimePerUnit),
            ),
            Instrument::Gungraun => (
                figure(MicroMetric::Instructions),
                figure(MicroMetric::EstimatedCyclesPerUnit),
            ),
        };
        let e2e = r
            .stage
            .end_to_end()
            .map_or("- (after the scan)".to_string(), |s| end_to_end(run, s));
        let _ = writeln!(
            out,
            "  {:<26} {:<10} {:>22} {:>34}  {e2e}",
            r.id,
            r.instrument.as_str(),
            per_iter,
            per_unit
        );
        if r.instrument == Instrument::Gungraun {
            let _ = writeln!(
                out,
                "  {:<26} {:<10} {:>22}",
                "",
                "",
                figure(MicroMetric::EstimatedCycles)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_exact_figures_are_shown_with_their_stages() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/experiments/history-series/series4/20261204T181130Z-3140a46db0.json"
        );
        let run = harness_model::results::read_run(std::path::Path::new(path)).unwrap();
        let text = render(&run);
        assert!(
            text.contains(
                "medium exact (callgrind, one scan, one thread): 4,100,162,832 instructions"
            ),
            "{text}"
        );
        assert!(text.contains("estimated cycles"), "{text}");
        assert!(text.contains("  detect"), "{text}");
        let mut none = run.clone();
        none.exact.clear();
        assert!(!render(&none).contains(" exact ("));
    }
}
