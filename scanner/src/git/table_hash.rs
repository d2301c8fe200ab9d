//! How the git stages seed the hash tables whose keys come from the
//! repository (dedupe's path intern table, plan's pack-offset steps).
//!
//! Main types: [`TableHashing`] (the choice, a field of
//! [`crate::git::Options`]) and [`TableHasher`] (the `BuildHasher` the
//! tables use).
//!
//! Paths and pack offsets are chosen by whoever wrote the repository, so by
//! default the tables hash with std's SipHash-1-3 under per-process random
//! keys ([`TableHashing::PerProcess`], std's `RandomState`): a crafted
//! repository cannot precompute keys that collide. The price is that probe
//! sequences, and with them the instructions a stage executes, differ from
//! one process to the next (by up to 0.5% for plan on the `medium-test`
//! corpus). [`TableHashing::Fixed`] hashes with the same SipHash-1-3 under
//! fixed (zero) keys, so the same input executes the same instructions in
//! every process; the instruction-count microbenchmarks use it. It costs the
//! same per hash as `PerProcess`, and no output depends on the choice: the
//! stages never let a table's iteration order reach their results.

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::hash::BuildHasher;

/// How repository-keyed hash tables are seeded; see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableHashing {
    /// Per-process random keys: resists hash flooding by crafted
    /// repositories. The default.
    #[default]
    PerProcess,
    /// Fixed keys: the same instructions in every process, for
    /// instruction-count benchmarks. Not flooding resistant: use it only on
    /// trusted repositories.
    Fixed,
}

impl TableHashing {
    pub fn all() -> [TableHashing; 2] {
        [TableHashing::PerProcess, TableHashing::Fixed]
    }
}

/// The `BuildHasher` of repository-keyed tables: SipHash-1-3 with the keys
/// [`TableHashing`] selects.
#[derive(Clone, Debug)]
pub struct TableHasher(Keys);

#[derive(Clone, Debug)]
enum Keys {
    Random(RandomState),
    Zero,
}

impl TableHasher {
    pub fn new(hashing: TableHashing) -> Self {
        match hashing {
            TableHashing::PerProcess => TableHasher(Keys::Random(RandomState::new())),
            TableHashing::Fixed => TableHasher(Keys::Zero),
        }
    }
}

impl Default for TableHasher {
    fn default() -> Self {
        TableHasher::new(TableHashing::default())
    }
}

impl BuildHasher for TableHasher {
    type Hasher = DefaultHasher;

    fn build_hasher(&self) -> DefaultHasher {
        match &self.0 {
            Keys::Random(state) => state.build_hasher(),
            // `DefaultHasher::new()` is SipHash-1-3 with zero keys.
            Keys::Zero => DefaultHasher::new(),
        }
    }
}

/// A repository-keyed hash map.
pub type TableMap<K, V> = std::collections::HashMap<K, V, TableHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(h: &TableHasher, key: &[u8]) -> u64 {
        h.hash_one(key)
    }

    #[test]
    fn fixed_hashes_agree_across_builders() {
        // Two separately built fixed hashers stand for two processes.
        let a = TableHasher::new(TableHashing::Fixed);
        let b = TableHasher::new(TableHashing::Fixed);
        assert_eq!(hash_of(&a, b"src/main.rs"), hash_of(&b, b"src/main.rs"));
        assert_ne!(hash_of(&a, b"src/main.rs"), hash_of(&a, b"src/lib.rs"));
    }

    #[test]
    fn per_process_hashers_differ() {
        // Each `RandomState` gets distinct keys, so one of these many keys
        // hashes differently under two hashers (probability of a false
        // failure: about 2^-64 per key).
        let a = TableHasher::new(TableHashing::PerProcess);
        let b = TableHasher::new(TableHashing::PerProcess);
        let keys: [&[u8]; 4] = [b"a", b"b", b"src/main.rs", b""];
        assert!(keys.iter().any(|k| hash_of(&a, k) != hash_of(&b, k)));
        let fixed = TableHasher::new(TableHashing::Fixed);
        assert!(keys.iter().any(|k| hash_of(&a, k) != hash_of(&fixed, k)));
    }
}
