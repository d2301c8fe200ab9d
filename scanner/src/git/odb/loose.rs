//! Loose objects: `objects/xx/yyyy…`, one zlib stream of `<kind> <size>\0`
//! and the bytes.

use super::decode::Decoder;
use super::error::LooseError;
use gix::objs::Kind;
use gix::zlib::{FlushDecompress, Status};
use std::path::Path;

/// What reading one loose object consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LooseRead {
    pub kind: Kind,
    /// Bytes of the file.
    pub file_bytes: u64,
}

/// Reads and inflates the loose object at `path` into `out`, with the
/// decoder's inflater and object size limit; the header's size is checked
/// before anything is allocated for the body.
pub fn read_loose(
    dec: &mut Decoder,
    path: &Path,
    out: &mut Vec<u8>,
) -> Result<LooseRead, LooseError> {
    let raw = std::fs::read(path).map_err(LooseError::Read)?;
    let kind = inflate_loose(dec, &raw, out)?;
    Ok(LooseRead {
        kind,
        file_bytes: raw.len() as u64,
    })
}

/// Inflates the bytes of a loose object file into `out`; returns its kind.
pub fn inflate_loose(dec: &mut Decoder, raw: &[u8], out: &mut Vec<u8>) -> Result<Kind, LooseError> {
    // The header "<kind> <size>\0" fits in 64 bytes.
    let mut head = [0u8; 64];
    let z = &mut dec.inflate;
    z.reset();
    let status = z
        .decompress(raw, &mut head, FlushDecompress::None)
        .map_err(LooseError::Inflate)?;
    let got = z.total_out() as usize;
    let nul = head[..got]
        .iter()
        .position(|b| *b == 0)
        .ok_or(LooseError::NoHeader)?;
    let header = std::str::from_utf8(&head[..nul]).map_err(|_| LooseError::HeaderNotText)?;
    let (kind, size) = header
        .split_once(' ')
        .ok_or_else(|| LooseError::BadHeader(header.to_owned()))?;
    let kind =
        Kind::from_bytes(kind.as_bytes()).map_err(|_| LooseError::UnknownKind(kind.to_owned()))?;
    let size: u64 = size
        .parse()
        .map_err(|_| LooseError::BadSize(size.to_owned()))?;
    let limit = dec.limits.object;
    if size > limit {
        return Err(LooseError::TooLarge { size, limit });
    }
    let size = usize::try_from(size).map_err(|_| LooseError::TooLarge { size, limit })?;
    let body = &head[nul + 1..got];
    if body.len() > size {
        return Err(LooseError::TooLong { size: size as u64 });
    }
    out.clear();
    out.resize(size + 1, 0);
    out[..body.len()].copy_from_slice(body);
    let mut status = status;
    let mut filled = body.len();
    if status != Status::StreamEnd {
        let consumed = z.total_in() as usize;
        let before = z.total_out();
        status = z
            .decompress(
                raw.get(consumed..).unwrap_or(&[]),
                &mut out[filled..],
                FlushDecompress::Finish,
            )
            .map_err(LooseError::Inflate)?;
        filled += (z.total_out() - before) as usize;
    }
    if status != Status::StreamEnd || filled != size {
        return Err(LooseError::Length {
            filled: filled as u64,
            size: size as u64,
        });
    }
    out.truncate(size);
    Ok(kind)
}
