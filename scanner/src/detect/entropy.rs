//! Shannon entropy of a byte string, the gate that separates random-looking
//! secrets from placeholders (`AKIAXXXXXXXXXXXXXXXX`), words (`changeme`) and
//! repetitions (`hunter2hunter2`).
//!
//! `shannon(s)` = −Σ p(b)·log2 p(b) over the byte histogram of `s`, in bits
//! per byte (0 for empty input, at most log2(len) and at most 8). It uses a
//! stack histogram and never allocates.

/// Shannon entropy of `bytes` in bits per byte.
pub fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn known_values() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaa"), 0.0);
        assert!((shannon(b"ab") - 1.0).abs() < 1e-12);
        assert!((shannon(b"abcdefgh") - 3.0).abs() < 1e-12);
        assert!(shannon(b"hunter2hunter2") < 3.0);
        assert!(shannon(b"AKIAXXXXXXXXXXXXXXXX") < 1.5);
    }
}
