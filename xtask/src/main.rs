//! `cargo xtask …`: thin entry points, one file per task.

fn main() -> anyhow::Result<()> {
    Ok(())
}
