//! Loose object files: the zlib stream, the "<kind> <size>\0" header, the
//! announced size against the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::internals::{Decoder, Limits, inflate_loose};

fuzz_target!(|data: &[u8]| {
    let mut dec = Decoder::new(Limits::objects_up_to(1 << 20));
    let mut out = Vec::new();
    if inflate_loose(&mut dec, data, &mut out).is_ok() {
        assert!(out.len() <= 1 << 20, "inflated past the limit");
    }
});
