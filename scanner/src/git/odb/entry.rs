//! Pack entry headers, checked to lie inside the pack.

use super::error::DecodeError;
use super::index::Packs;
use gix::odb::pack::data::{Entry, entry::Header};

/// The header of the pack entry at `offset` of pack bytes `data`, checked to
/// lie inside the pack's entries.
pub fn entry_at(data: &[u8], offset: u64) -> Result<Entry, DecodeError> {
    let outside = || DecodeError::OutsidePack {
        offset,
        pack_len: data.len(),
    };
    let start = usize::try_from(offset).map_err(|_| outside())?;
    // The trailing 20-byte checksum is never part of an entry.
    let end = data.len().saturating_sub(20);
    if start < 12 || start >= end {
        return Err(outside());
    }
    Entry::from_bytes(&data[start..end], offset, gix::hash::Kind::Sha1)
        .map_err(|source| DecodeError::Header { offset, source })
}

/// The direct base offset of a delta entry of pack `pack`, `Ok(None)` for a
/// base object.
pub fn base_of(entry: &Entry, pack: u32, packs: &Packs) -> Result<Option<u64>, DecodeError> {
    let offset = entry.pack_offset();
    match entry.header {
        Header::OfsDelta { base_distance } => {
            Header::verified_base_pack_offset(offset, base_distance)
                .map(Some)
                .ok_or(DecodeError::OfsDeltaOutOfRange {
                    offset,
                    distance: base_distance,
                })
        }
        Header::RefDelta { base_id } => match packs.find_in_pack(pack, &base_id) {
            Some(b) if b == offset => Err(DecodeError::RefDeltaSelf { offset }),
            Some(b) => Ok(Some(b)),
            None => Err(DecodeError::RefDeltaBaseMissing {
                offset,
                base: base_id,
            }),
        },
        Header::Tree | Header::Blob | Header::Commit | Header::Tag => Ok(None),
    }
}
