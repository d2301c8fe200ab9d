//! Rule files: TOML, rule validation, regex and keyword compilation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = scanner::detect::RuleSet::from_sources([("fuzz.toml".to_owned(), text.to_owned())]);
});
