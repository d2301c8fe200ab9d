//! zlib to an exact, announced size.

use super::error::DecodeError;
use gix::zlib::{Decompress, FlushDecompress, Status};

/// Inflates the zlib stream at the start of `input` into `out`, which must
/// decode to exactly `size` bytes; `offset` (the entry's) names the failure.
/// Returns the compressed bytes consumed.
pub fn inflate_exact(
    z: &mut Decompress,
    input: &[u8],
    size: usize,
    out: &mut Vec<u8>,
    offset: u64,
) -> Result<u64, DecodeError> {
    out.clear();
    // One spare byte detects a stream longer than announced.
    out.resize(size + 1, 0);
    z.reset();
    let status = z
        .decompress(input, out, FlushDecompress::Finish)
        .map_err(|source| DecodeError::Inflate { offset, source })?;
    let produced = z.total_out();
    let ended = status == Status::StreamEnd;
    if !ended || produced != size as u64 {
        return Err(DecodeError::Length {
            offset,
            produced,
            size: size as u64,
            ended,
        });
    }
    out.truncate(size);
    Ok(z.total_in())
}

/// Inflates the zlib stream at the start of `input` (announced to decode to
/// `size` bytes) into `out` only until `enough(out)` returns the length of
/// the part wanted, then stops; the rest of the stream is not inflated, so
/// it is not checked either. A stream that ends first must have produced
/// exactly `size` bytes, and `out` then holds all of it.
pub fn inflate_prefix(
    z: &mut Decompress,
    input: &[u8],
    size: usize,
    out: &mut Vec<u8>,
    offset: u64,
    enough: impl Fn(&[u8]) -> Option<usize>,
) -> Result<(), DecodeError> {
    // Most commit headers fit in the first step; a signed or many-parent
    // commit takes a few doublings.
    const FIRST_STEP: usize = 512;
    out.clear();
    z.reset();
    let mut step = FIRST_STEP;
    let mut produced: usize = 0;
    loop {
        // One spare byte past `size` detects a stream longer than announced.
        let cap = produced.saturating_add(step).min(size.saturating_add(1));
        out.resize(cap, 0);
        let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
        let status = z
            .decompress(
                input.get(consumed..).unwrap_or(&[]),
                &mut out[produced..],
                FlushDecompress::None,
            )
            .map_err(|source| DecodeError::Inflate { offset, source })?;
        let before = (produced, consumed);
        produced = usize::try_from(z.total_out()).unwrap_or(usize::MAX);
        let ended = status == Status::StreamEnd;
        if produced > size || (ended && produced != size) {
            return Err(DecodeError::Length {
                offset,
                produced: produced as u64,
                size: size as u64,
                ended,
            });
        }
        if let Some(end) = enough(&out[..produced]) {
            out.truncate(end.min(produced));
            return Ok(());
        }
        if ended {
            out.truncate(produced);
            return Ok(());
        }
        let stalled = (
            produced,
            usize::try_from(z.total_in()).unwrap_or(usize::MAX),
        ) == before;
        if stalled && produced < cap {
            // No progress with room to spare: the input ran out.
            return Err(DecodeError::Length {
                offset,
                produced: produced as u64,
                size: size as u64,
                ended: false,
            });
        }
        step = step.saturating_mul(2);
    }
}
