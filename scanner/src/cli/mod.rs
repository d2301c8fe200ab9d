//! Argument parsing and dispatch; one file per subcommand.

mod blobs;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "scanner", version, about = "Fast git-history secret scanner")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List unique blobs with their canonical context (JSON lines).
    Blobs(blobs::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Blobs(args) => blobs::run(args),
    }
}
