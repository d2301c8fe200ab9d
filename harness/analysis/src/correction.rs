//! Benjamini–Hochberg correction for the many tests of one compare.
//!
//! A compare runs one paired test per stratum, metric and stage; at a 5%
//! level some of them would come out "significant" by chance alone. The
//! step-up procedure of Benjamini and Hochberg (1995) bounds the expected
//! share of false discoveries among those declared significant by the
//! chosen rate. [`benjamini_hochberg`] returns adjusted p-values (as R's
//! `p.adjust(method = "BH")`): `p_(i) · m / i` for the i-th smallest of `m`,
//! made monotone from the largest down and capped at 1; a test is
//! significant at rate `q` when its adjusted p-value is below `q`.

/// Why p-values were refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CorrectionError {
    #[error("p-value {index} is {value}, not a probability")]
    NotProbability { index: usize, value: f64 },
}

/// Benjamini–Hochberg adjusted p-values, in the order of `p_values`.
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>, CorrectionError> {
    if let Some((index, &value)) = p_values
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(CorrectionError::NotProbability { index, value });
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0_f64;
    for (k, &i) in order.iter().enumerate().rev() {
        running = running.min(p_values[i] * m as f64 / (k + 1) as f64);
        adjusted[i] = running;
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// References from scipy 1.17.1,
    /// `scipy.stats.false_discovery_control(p, method="bh")` (equal to R's
    /// `p.adjust(p, "BH")`); the last case is the example of Benjamini and
    /// Hochberg's own table shape (ten tests, three small p-values).
    #[test]
    fn matches_scipy() {
        let cases: [(&[f64], &[f64]); 5] = [
            (
                &[0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04, 1.0],
                &[
                    0.04,
                    0.064,
                    0.064,
                    0.04,
                    0.26666666666666666,
                    0.5714285714285714,
                    0.064,
                    1.0,
                ],
            ),
            (&[0.0001, 0.0002, 0.0003], &[0.0003, 0.0003, 0.0003]),
            (&[0.9, 0.8, 0.7], &[0.9, 0.9, 0.9]),
            (&[0.02], &[0.02]),
            (
                &[
                    0.010, 0.013, 0.014, 0.190, 0.350, 0.500, 0.630, 0.670, 0.750, 0.810,
                ],
                &[
                    0.04666666666666667,
                    0.04666666666666667,
                    0.04666666666666667,
                    0.475,
                    0.7,
                    0.81,
                    0.81,
                    0.81,
                    0.81,
                    0.81,
                ],
            ),
        ];
        for (p, want) in cases {
            let got = benjamini_hochberg(p).unwrap();
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-15, "{p:?}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(benjamini_hochberg(&[]).unwrap(), Vec::<f64>::new());
        assert!(matches!(
            benjamini_hochberg(&[0.1, 1.5]),
            Err(CorrectionError::NotProbability { index: 1, .. })
        ));
        assert!(matches!(
            benjamini_hochberg(&[f64::NAN]),
            Err(CorrectionError::NotProbability { index: 0, .. })
        ));
        // Adjusted values never fall below the raw ones and keep their order.
        let p = [0.03, 0.001, 0.2, 0.04, 0.04];
        let a = benjamini_hochberg(&p).unwrap();
        for i in 0..p.len() {
            assert!(a[i] >= p[i]);
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    assert!(a[i] <= a[j]);
                }
            }
        }
    }
}
