//! git's delta format: two size varints, then copy and insert instructions.

use super::error::DeltaProblem;

fn varint(d: &[u8], pos: &mut usize) -> Result<u64, DeltaProblem> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *d.get(*pos).ok_or(DeltaProblem::HeaderTruncated)?;
        *pos += 1;
        if shift > 63 {
            return Err(DeltaProblem::VarintOverflow);
        }
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
}

/// The result size announced by a delta's header.
pub fn result_size(delta: &[u8]) -> Result<u64, DeltaProblem> {
    let mut pos = 0;
    varint(delta, &mut pos)?;
    varint(delta, &mut pos)
}

/// Applies git delta `delta` to `base`, writing the result to `out`; every
/// copy is bounds checked and the result must have the announced size.
pub fn apply_delta(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Result<(), DeltaProblem> {
    let mut pos = 0;
    let base_size = varint(delta, &mut pos)?;
    let result_size = varint(delta, &mut pos)?;
    if base_size != base.len() as u64 {
        return Err(DeltaProblem::BaseSize {
            expected: base_size,
            actual: base.len() as u64,
        });
    }
    let expected = result_size;
    let result_size = usize::try_from(result_size).map_err(|_| DeltaProblem::ResultTooLarge)?;
    out.clear();
    // The announced size is the delta's word, not a fact: reserve it only
    // up to what copies and inserts of these sizes plausibly produce, and
    // let a larger true result grow the buffer. (Found by the delta_apply
    // fuzz target: a 10-byte delta announcing 7 PiB aborted on allocation.)
    out.reserve(result_size.min(base.len().saturating_add(delta.len()).saturating_mul(4)));
    while pos < delta.len() {
        let cmd = delta[pos];
        pos += 1;
        if cmd & 0x80 != 0 {
            let mut ofs = 0usize;
            let mut len = 0usize;
            for i in 0..4 {
                if cmd & (1 << i) != 0 {
                    ofs |=
                        usize::from(*delta.get(pos).ok_or(DeltaProblem::CopyTruncated)?) << (8 * i);
                    pos += 1;
                }
            }
            for i in 0..3 {
                if cmd & (0x10 << i) != 0 {
                    len |=
                        usize::from(*delta.get(pos).ok_or(DeltaProblem::CopyTruncated)?) << (8 * i);
                    pos += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            let src = ofs
                .checked_add(len)
                .and_then(|end| base.get(ofs..end))
                .ok_or(DeltaProblem::CopyOutsideBase)?;
            out.extend_from_slice(src);
        } else if cmd != 0 {
            let n = usize::from(cmd);
            let src = delta
                .get(pos..pos + n)
                .ok_or(DeltaProblem::InsertTruncated)?;
            out.extend_from_slice(src);
            pos += n;
        } else {
            return Err(DeltaProblem::ReservedOpcode);
        }
        if out.len() > result_size {
            return Err(DeltaProblem::PastResult);
        }
    }
    if out.len() != result_size {
        return Err(DeltaProblem::ResultSize {
            produced: out.len() as u64,
            expected,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_copy_and_insert() {
        let base = b"hello world";
        // base 11, result 11: copy 6 bytes from 0, insert "there"
        let delta = [11, 11, 0x90, 6, 5, b't', b'h', b'e', b'r', b'e'];
        let mut out = Vec::new();
        apply_delta(base, &delta, &mut out).unwrap();
        assert_eq!(out, b"hello there");
        assert_eq!(result_size(&delta), Ok(11));
    }

    #[test]
    fn delta_rejects_out_of_bounds_copy_and_bad_sizes() {
        let mut out = Vec::new();
        let err = |d: &[u8]| apply_delta(b"abc", d, &mut Vec::new()).unwrap_err();
        assert_eq!(err(&[3, 5, 0x91, 2, 5]), DeltaProblem::CopyOutsideBase);
        assert!(matches!(
            err(&[4, 1, 1, b'x']),
            DeltaProblem::BaseSize { .. }
        ));
        assert!(matches!(
            err(&[3, 2, 1, b'x']),
            DeltaProblem::ResultSize { .. }
        ));
        assert_eq!(err(&[3, 1, 0]), DeltaProblem::ReservedOpcode);
        assert_eq!(err(&[0x80]), DeltaProblem::HeaderTruncated);
        assert_eq!(err(&[3, 1, 2, b'x']), DeltaProblem::InsertTruncated);
        assert_eq!(err(&[3, 1, 1, b'x', 1, b'y']), DeltaProblem::PastResult);
        assert!(apply_delta(b"abc", &[3, 0], &mut out).is_ok());
    }

    #[test]
    fn an_announced_size_is_not_an_allocation() {
        // fuzz/artifacts/delta_apply/crash-feef2824…: base size 0, result
        // size about 7 PiB, then instructions that do not add up.
        let delta = [0x00, 0xf6, 0xfa, 0xf3, 0xf3, 0xf3, 0xf3, 0xf3, 0x0c, 0x0c];
        let mut out = Vec::new();
        assert!(apply_delta(b"", &delta, &mut out).is_err());
        assert!(out.capacity() < 1 << 20, "{}", out.capacity());
    }
}
