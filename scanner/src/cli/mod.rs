//! Argument parsing and dispatch; one file per subcommand.

mod blobs;
mod budgets;
mod rules;
mod scan;

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
    /// Scan a repository's history or a directory tree for secrets.
    Scan(scan::Args),
    /// List unique blobs with their canonical context (JSON lines).
    Blobs(blobs::Args),
    /// Check or list the detection rules.
    Rules(rules::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Blobs(args) => blobs::run(args),
        Command::Rules(args) => rules::run(args),
    }
}
