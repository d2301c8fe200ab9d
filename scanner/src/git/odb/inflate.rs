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
