//! Records the compiler that built the harness, for the environment
//! fingerprint, and exports the binary's `getrandom` so that std's weak
//! lookup finds it (fixed hash seeds for exact runs, see `main.rs`).

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=HARNESS_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");
    println!("cargo:rustc-link-arg-bin=harness=-Wl,--export-dynamic-symbol=getrandom");
}
