//! The bootstrap's seeded generator: SplitMix64 with Lemire's
//! multiply-shift for indices.
//!
//! Intervals must be identical for identical samples and seeds, across
//! builds and dependency bumps (golden `compare.json` files pin them), so
//! the generator is defined here rather than taken from a crate whose
//! streams may change between releases. The definition is the corpora
//! generator's, so outputs written before the layers were split are
//! reproduced exactly; the two are kept apart so that the statistics do not
//! depend on the corpus generator.

/// SplitMix64: ten lines, passes BigCrush, fixed by its definition.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let z = self.state;
        let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform index into a non-empty slice of `len` (one draw per call).
    pub fn index(&mut self, len: usize) -> usize {
        ((u128::from(self.next_u64()) * len as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_stream() {
        // SplitMix64's published first outputs for seed 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = SplitMix64::new(7);
        assert!((0..1000).all(|_| r.index(3) < 3));
    }
}
