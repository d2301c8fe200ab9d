//! The ignore file and the baseline report (JSON) a user passes in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::detect::suppress::Suppressions;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut s = Suppressions::default();
    let _ = s.add_ignore_text(Path::new("fuzz.ignore"), text);
    let _ = serde_json::from_str::<scanner::detect::Report>(text);
});
