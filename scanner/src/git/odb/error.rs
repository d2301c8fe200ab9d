//! Why one object could not be decoded.

use gix::ObjectId;

/// A decode failure, confined to the object being decoded: the stages turn
/// it into a skipped blob or a tree error naming the pack and offset.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("entry offset {offset} is outside the pack's entries (pack has {pack_len} bytes)")]
    OutsidePack { offset: u64, pack_len: usize },
    #[error("corrupt entry header at offset {offset}: {source}")]
    Header {
        offset: u64,
        #[source]
        source: gix::Error,
    },
    #[error(
        "ofs-delta at offset {offset} points at itself or before the pack start (distance {distance})"
    )]
    OfsDeltaOutOfRange { offset: u64, distance: u64 },
    #[error("ref-delta at offset {offset} names itself as base")]
    RefDeltaSelf { offset: u64 },
    #[error("ref-delta at offset {offset}: base {base} is not in this pack")]
    RefDeltaBaseMissing { offset: u64, base: ObjectId },
    #[error("delta chain from offset {start} cycles at offset {at}")]
    Cycle { start: u64, at: u64 },
    #[error("delta chain from offset {start} is longer than {max}", max = super::MAX_CHAIN)]
    TooDeep { start: u64 },
    /// A size from a header (object, delta instructions or delta result)
    /// above the caller's limit; nothing was allocated for it.
    #[error("entry at offset {offset} announces {size} bytes, more than the limit of {limit}")]
    TooLarge { offset: u64, size: u64, limit: u64 },
    #[error("inflate failed at offset {offset}: {source}")]
    Inflate {
        offset: u64,
        #[source]
        source: gix::Error,
    },
    #[error(
        "entry at offset {offset}: inflate produced {produced}{} bytes, header says {size}",
        if *ended { "" } else { "+ (stream not ended)" }
    )]
    Length {
        offset: u64,
        produced: u64,
        size: u64,
        ended: bool,
    },
    #[error("delta at offset {offset}: {problem}")]
    Delta { offset: u64, problem: DeltaProblem },
    /// A base cache that said it held an entry and then did not have it, or
    /// a chain walk that read nothing: a bug in the decoder or the cache
    /// policy, never the input's.
    #[error("base cache lost the entry at offset {offset} between two lookups")]
    CacheForgot { offset: u64 },
}

impl DecodeError {
    /// The offset of the entry at fault.
    pub fn offset(&self) -> u64 {
        match self {
            DecodeError::OutsidePack { offset, .. }
            | DecodeError::Header { offset, .. }
            | DecodeError::OfsDeltaOutOfRange { offset, .. }
            | DecodeError::RefDeltaSelf { offset }
            | DecodeError::RefDeltaBaseMissing { offset, .. }
            | DecodeError::TooLarge { offset, .. }
            | DecodeError::Inflate { offset, .. }
            | DecodeError::Length { offset, .. }
            | DecodeError::Delta { offset, .. }
            | DecodeError::CacheForgot { offset } => *offset,
            DecodeError::Cycle { start, .. } | DecodeError::TooDeep { start } => *start,
        }
    }
}

/// What is wrong with a delta's instructions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeltaProblem {
    #[error("delta header truncated")]
    HeaderTruncated,
    #[error("delta size varint overflows")]
    VarintOverflow,
    #[error("delta expects a base of {expected} bytes, base has {actual}")]
    BaseSize { expected: u64, actual: u64 },
    #[error("delta result too large")]
    ResultTooLarge,
    #[error("delta copy truncated")]
    CopyTruncated,
    #[error("delta copy outside base")]
    CopyOutsideBase,
    #[error("delta insert truncated")]
    InsertTruncated,
    #[error("delta uses reserved opcode 0")]
    ReservedOpcode,
    #[error("delta writes past its announced result size")]
    PastResult,
    #[error("delta produced {produced} bytes, header says {expected}")]
    ResultSize { produced: u64, expected: u64 },
}

/// Why a loose object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LooseError {
    #[error("cannot read: {0}")]
    Read(#[source] std::io::Error),
    #[error("inflate failed: {0}")]
    Inflate(#[source] gix::Error),
    #[error("no object header")]
    NoHeader,
    #[error("object header is not text")]
    HeaderNotText,
    #[error("bad object header '{0}'")]
    BadHeader(String),
    #[error("unknown object kind '{0}'")]
    UnknownKind(String),
    #[error("bad object size '{0}'")]
    BadSize(String),
    #[error("object longer than its header says ({size} bytes)")]
    TooLong { size: u64 },
    #[error("inflated {filled} bytes, header says {size}")]
    Length { filled: u64, size: u64 },
    /// Its header announces more than the caller's limit.
    #[error("object announces {size} bytes, more than the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
}
