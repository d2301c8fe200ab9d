//! `scanner` command line: `blobs` (inspection and oracles), `scan`, `rules`.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("scanner: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
