//! `cargo xtask …`: thin entry points into the workspace's automation, one
//! file per task.

mod bench_task;
mod corpora_task;
mod report_task;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "xtask", about = "scanner-rs project automation")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build (or reuse, when the spec is unchanged) the benchmark corpora.
    Corpora(corpora_task::Args),
    /// Measure the strata with the release harness and write a results file.
    Bench(bench_task::Args),
    /// Write results/report.html from results files (default: the newest) and the kept runs.
    Report(report_task::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::Corpora(args) => corpora_task::run(&args),
        Task::Bench(args) => bench_task::run(&args),
        Task::Report(args) => report_task::run(&args),
    }
}
