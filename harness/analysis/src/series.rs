//! A plain run's summaries: from a stratum's recorded iterations to the
//! per-metric and per-stage series the results file stores. Only counted
//! iterations (clean, or kept once the re-run budget was spent) enter.

use crate::stats::{Bootstrap, SampleError, Samples, summarize};
use harness_model::CounterSource;
use harness_model::results::{Iteration, Metric, MetricSeries, StageClock, StageSeries};

fn series(
    metric: Metric,
    source: CounterSource,
    values: Vec<f64>,
    b: Bootstrap,
) -> Result<MetricSeries, SampleError> {
    let samples = Samples::new(values)?;
    let summary = summarize(&samples, b);
    let cycle_metric = matches!(metric, Metric::Cycles | Metric::CyclesPerByte);
    Ok(MetricSeries {
        metric,
        unit: metric.unit(source),
        source: cycle_metric.then_some(source),
        samples: samples.values().to_vec(),
        summary,
    })
}

/// Summaries of every metric with data, over the counted iterations.
pub fn summarize_stratum(
    iters: &[Iteration],
    bytes: u64,
    source: CounterSource,
    tsc_hz: Option<f64>,
    b: Bootstrap,
) -> Result<(Vec<MetricSeries>, Vec<StageSeries>), SampleError> {
    let counted: Vec<&Iteration> = iters.iter().filter(|i| i.counted).collect();
    let mut metrics = Vec::new();
    for metric in Metric::all() {
        let values: Option<Vec<f64>> = counted.iter().map(|i| metric.value(i, bytes)).collect();
        if let Some(values) = values {
            metrics.push(series(metric, source, values, b)?);
        }
    }
    let clock = StageClock::new(tsc_hz);
    let mut stages = Vec::new();
    if let Some(first) = counted.first() {
        for (k, s) in first.stages.iter().enumerate() {
            let wall: Vec<f64> = counted
                .iter()
                .map(|i| i.stages.get(k).map_or(0.0, |x| x.wall_ns as f64))
                .collect();
            let cpb: Vec<f64> = counted
                .iter()
                .map(|i| clock.per_byte(i.stages.get(k).map_or(0, |x| x.wall_ns), bytes))
                .collect();
            stages.push(StageSeries {
                stage: s.stage.clone(),
                bytes,
                wall_ns: summarize(&Samples::new(wall)?, b),
                cycles_per_byte: Some(summarize(&Samples::new(cpb)?, b)),
                cycles_source: clock.source,
            });
        }
    }
    Ok((metrics, stages))
}
