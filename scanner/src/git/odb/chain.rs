//! One delta chain, walked through entry headers only.

use super::MAX_CHAIN;
use super::entry::{base_of, entry_at};
use super::error::DecodeError;
use super::file::PackFile;
use super::index::Packs;
use gix::odb::pack::data::Entry;

/// One entry of a chain: where it is and its parsed header.
#[derive(Clone, Debug)]
pub struct Link {
    pub offset: u64,
    pub entry: Entry,
}

/// Walks the delta chain that starts at an entry, towards its base object,
/// one header per [`ChainWalk::advance`]. The caller decides where to stop
/// early (a cached or already planned entry): it looks at
/// [`ChainWalk::next_offset`] before advancing. The links walked so far are
/// kept in a buffer the caller owns and reuses.
///
/// Invariants: at most [`MAX_CHAIN`] links; ofs-deltas strictly descend, so
/// only after an upward (ref-delta) step can an offset repeat, and a repeat
/// is reported as [`DecodeError::Cycle`] instead of looping.
#[derive(Debug)]
pub struct ChainWalk<'a> {
    pack: &'a PackFile,
    packs: &'a Packs,
    links: &'a mut Vec<Link>,
    start: u64,
    next: Option<u64>,
    went_up: bool,
}

impl<'a> ChainWalk<'a> {
    /// A walk from the entry at `offset` of `pack`; clears `links`.
    pub fn new(
        pack: &'a PackFile,
        packs: &'a Packs,
        offset: u64,
        links: &'a mut Vec<Link>,
    ) -> Self {
        links.clear();
        ChainWalk {
            pack,
            packs,
            links,
            start: offset,
            next: Some(offset),
            went_up: false,
        }
    }

    /// The offset the next [`ChainWalk::advance`] reads; `None` once the
    /// base object has been read.
    pub fn next_offset(&self) -> Option<u64> {
        self.next
    }

    /// Reads the header at [`ChainWalk::next_offset`] and appends it to the
    /// links. Returns whether it is a delta (the walk goes on to its base).
    /// Called again after the base object, it returns `Ok(false)`.
    pub fn advance(&mut self) -> Result<bool, DecodeError> {
        let Some(cur) = self.next else {
            return Ok(false);
        };
        if self.links.len() >= MAX_CHAIN {
            return Err(DecodeError::TooDeep { start: self.start });
        }
        if self.went_up && self.links.iter().any(|l| l.offset == cur) {
            return Err(DecodeError::Cycle {
                start: self.start,
                at: cur,
            });
        }
        let entry = entry_at(self.pack.data(), cur)?;
        let base = base_of(&entry, self.pack.id, self.packs)?;
        self.links.push(Link { offset: cur, entry });
        self.next = base;
        if let Some(b) = base {
            self.went_up |= b > cur;
        }
        Ok(base.is_some())
    }

    /// The links walked so far, the starting entry first.
    pub fn links(&self) -> &[Link] {
        self.links
    }
}
