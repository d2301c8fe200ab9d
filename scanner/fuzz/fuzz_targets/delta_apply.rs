//! git delta instructions against a base: bounds, sizes, opcodes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len());
    let (base, delta) = rest.split_at(at);
    let mut out = Vec::new();
    if scanner::internals::apply_delta(base, delta, &mut out).is_ok() {
        // A delta can only copy from its base or insert its own bytes.
        assert!(out.len() <= delta.len().saturating_mul(1 << 24));
    }
});
