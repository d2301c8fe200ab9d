//! Building the release harness: the one `cargo build --release -p
//! harness` of every task (`bench` builds this checkout's, `bench-compare`
//! each side's in its worktree).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo that runs this task (or `cargo`).
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The workspace this xtask was built from.
pub fn workspace_root() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    dir.canonicalize().unwrap_or(dir)
}

/// The target folder cargo uses for `root` (honours `CARGO_TARGET_DIR`).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Builds the release harness of the workspace in `dir` into `target`
/// and returns the binary's path; `what` names the build in errors.
pub fn release_harness(dir: &Path, target: &Path, what: &str) -> anyhow::Result<PathBuf> {
    let status = Command::new(cargo())
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .args(["build", "--release", "--locked", "--quiet", "-p", "harness"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building {what} failed ({status})");
    }
    Ok(target.join("release").join("harness"))
}
