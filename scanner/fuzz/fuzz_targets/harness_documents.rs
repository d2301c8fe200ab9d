//! The harness's documents read from files and pipes: `perf-gate.toml`,
//! results and compare JSON, and the `harness serve` JSON lines.
#![no_main]

use harness_model::{compare, gate, protocol, results};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = gate::Gate::parse(text, Path::new("perf-gate.toml"));
    let _ = results::parse_run(text, Path::new("run.json"));
    let _ = compare::parse_compare(text, Path::new("compare.json"));
    for line in text.lines() {
        let _ = serde_json::from_str::<protocol::Request>(line);
        let _ = serde_json::from_str::<protocol::Response>(line);
    }
});
