//! Pack entries: headers, size varints, ofs/ref-delta chains (loops and
//! depth included), inflate and delta application, through the one decoder
//! with both cache policies. The input is the body of a one-pack file; the
//! first byte picks the offsets decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::internals::{Decoder, Limits, PackFile, Packs, PlannedBases, RecentEntries};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let mut bytes = b"PACK\0\0\0\x02\0\0\0\x01".to_vec();
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(&[0; 20]);
    let Ok(pack) = PackFile::from_bytes(0, &bytes) else {
        return;
    };
    let packs = Packs::empty();
    // Sizes bounded like a scan with a 1 MiB maximum blob size.
    let mut dec = Decoder::new(Limits::objects_up_to(1 << 20));
    let mut out = Vec::new();
    let mut planned = PlannedBases::new(1 << 20);
    let offsets: Vec<u64> = (12..bytes.len().saturating_sub(20) as u64)
        .step_by(usize::from(pick % 7) + 1)
        .take(64)
        .collect();
    planned.start_chunk(offsets.iter().copied());
    let mut recent = RecentEntries::new(1 << 20);
    for &o in &offsets {
        let _ = dec.decode(&pack, &packs, o, &mut out, &mut planned);
        let _ = dec.decode(&pack, &packs, o, &mut out, &mut recent);
        assert!(out.len() <= 1 << 20, "decoded past the limit");
    }
    planned.finish_chunk();
});
