//! Interleaved, paired measurement of two builds: the A/B compare's rounds.
//!
//! Each side is a resident `harness serve` process ([`Client`]), pinned to
//! the same cores. A round is one base iteration and one head iteration,
//! back to back; which side goes first alternates (ABBA: AB, BA, AB, …) so
//! neither side is systematically the one that runs after the other (warm
//! caches, turbo, thermal state). Slow drift of the machine then moves both
//! halves of a pair together, and the per-pair ratio cancels it.
//!
//! A round where either side was contaminated (steal, pressure, context
//! switches above its own baseline) is measured again, up to a per-stratum
//! budget, after which it is kept and marked by its verdicts.
//!
//! Main types: [`Servers`], [`StratumRounds`], [`PairedSample`].

use crate::serve::{Client, ClientError};
use harness_model::WorkloadId;
use harness_model::contamination::Verdict;
use harness_model::protocol::Sample;

/// The two sides' servers.
#[derive(Debug)]
pub struct Servers {
    pub base: Client,
    pub head: Client,
}

/// Which side a round measures first: ABBA order.
pub fn base_first(round: usize) -> bool {
    round.is_multiple_of(2)
}

/// One round: both sides' samples, in the order they ran.
#[derive(Clone, Debug, PartialEq)]
pub struct PairedSample {
    pub index: usize,
    /// The process pair it ran in.
    pub process: usize,
    pub base_first: bool,
    pub base: Sample,
    pub head: Sample,
}

impl PairedSample {
    fn clean(&self) -> bool {
        self.base.iteration.verdict == Verdict::Clean
            && self.head.iteration.verdict == Verdict::Clean
    }
}

/// What the driver wants to hear as rounds complete.
#[derive(Clone, Debug)]
pub enum Progress {
    Warmup {
        stratum: WorkloadId,
        done: usize,
    },
    Round {
        stratum: WorkloadId,
        index: usize,
        ratio: f64,
        rerun: bool,
    },
}

/// All rounds of one stratum so far.
#[derive(Clone, Debug)]
pub struct StratumRounds {
    pub stratum: WorkloadId,
    pub rounds: Vec<PairedSample>,
    /// Contaminated rounds measured again.
    pub reruns: usize,
    pub max_reruns: usize,
    pub warmups: usize,
    /// The process pair the next rounds run in (the driver sets it).
    pub process: usize,
    requests: usize,
}

impl StratumRounds {
    pub fn new(stratum: WorkloadId, max_reruns: usize) -> StratumRounds {
        StratumRounds {
            stratum,
            rounds: Vec::new(),
            reruns: 0,
            max_reruns,
            warmups: 0,
            process: 0,
            requests: 0,
        }
    }

    fn pair(
        &mut self,
        servers: &mut Servers,
        base_first: bool,
        warmup: bool,
    ) -> Result<(Sample, Sample), ClientError> {
        let index = self.requests;
        self.requests += 1;
        let s = &self.stratum;
        if base_first {
            let b = servers.base.measure(s, warmup, index)?;
            let h = servers.head.measure(s, warmup, index)?;
            Ok((b, h))
        } else {
            let h = servers.head.measure(s, warmup, index)?;
            let b = servers.base.measure(s, warmup, index)?;
            Ok((b, h))
        }
    }

    /// `n` warm-up rounds on both sides, in ABBA order; they set each
    /// side's noise baseline and are not kept.
    pub fn warm(
        &mut self,
        servers: &mut Servers,
        n: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), ClientError> {
        for k in 0..n {
            self.pair(servers, base_first(k), true)?;
            self.warmups += 1;
            progress(Progress::Warmup {
                stratum: self.stratum.clone(),
                done: k + 1,
            });
        }
        Ok(())
    }

    /// `n` more kept rounds, continuing the ABBA order.
    pub fn extend(
        &mut self,
        servers: &mut Servers,
        n: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), ClientError> {
        let target = self.rounds.len() + n;
        while self.rounds.len() < target {
            let index = self.rounds.len();
            let first = base_first(index);
            let (base, head) = self.pair(servers, first, false)?;
            let round = PairedSample {
                index,
                process: self.process,
                base_first: first,
                base,
                head,
            };
            let rerun = !round.clean() && self.reruns < self.max_reruns;
            progress(Progress::Round {
                stratum: self.stratum.clone(),
                index,
                ratio: round.head.iteration.wall_ns as f64
                    / round.base.iteration.wall_ns.max(1) as f64,
                rerun,
            });
            if rerun {
                self.reruns += 1;
            } else {
                // Kept rounds count, contaminated or not (their verdicts
                // stay recorded), as in `harness run`.
                let mut round = round;
                round.base.iteration.counted = true;
                round.head.iteration.counted = true;
                self.rounds.push(round);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_alternates_abba() {
        let order: Vec<bool> = (0..4).map(base_first).collect();
        assert_eq!(order, [true, false, true, false]);
    }
}
