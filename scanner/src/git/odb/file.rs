//! One pack file, memory-mapped and its header checked.

use memmap2::Mmap;
use std::path::{Path, PathBuf};

/// A `.pack` file: its id among the scan's packs, path and bytes.
#[derive(Debug)]
pub struct PackFile {
    pub id: u32,
    pub path: PathBuf,
    map: Mmap,
}

impl PackFile {
    /// Maps `path` read-only and checks the signature and version; the
    /// error is a sentence about the file (the caller names it).
    pub fn open(id: u32, path: &Path) -> Result<PackFile, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot open pack: {e}"))?;
        // SAFETY: the pack is mapped read-only; git never rewrites a pack in
        // place (it writes a new one and renames), so the mapping stays valid.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| format!("cannot map pack: {e}"))?;
        if map.len() < 32 || &map[..4] != b"PACK" {
            return Err("not a pack file (bad signature or truncated header)".into());
        }
        let version = u32::from_be_bytes([map[4], map[5], map[6], map[7]]);
        if version != 2 && version != 3 {
            return Err(format!("unsupported pack version {version}"));
        }
        Ok(PackFile {
            id,
            path: path.to_owned(),
            map,
        })
    }

    /// A pack held in memory (an anonymous map), checked like a file; for
    /// the fuzz targets.
    #[cfg(feature = "internals")]
    pub fn from_bytes(id: u32, bytes: &[u8]) -> Result<PackFile, String> {
        let mut anon = memmap2::MmapOptions::new()
            .len(bytes.len().max(1))
            .map_anon()
            .map_err(|e| format!("cannot map memory: {e}"))?;
        anon[..bytes.len()].copy_from_slice(bytes);
        let map = anon
            .make_read_only()
            .map_err(|e| format!("cannot protect memory: {e}"))?;
        if map.len() < 32 || &map[..4] != b"PACK" {
            return Err("not a pack file (bad signature or truncated header)".into());
        }
        Ok(PackFile {
            id,
            path: PathBuf::from("<memory>"),
            map,
        })
    }

    pub fn data(&self) -> &[u8] {
        &self.map
    }
}
