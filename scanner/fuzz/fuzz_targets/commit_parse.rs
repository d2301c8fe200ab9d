//! Commit objects as the scan reads them: the tree line, parent lines and
//! the committer's time (`scanner::git::repo::parse_commit`). Damage is an
//! error string (the scan's `DamagedCommit`), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::internals::parse_commit;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = parse_commit(data) {
        // Every parent line is 46 bytes at least ("parent " + 40 hex + LF).
        assert!(
            c.parents.len() <= data.len() / 46,
            "more parents than lines"
        );
    }
});
