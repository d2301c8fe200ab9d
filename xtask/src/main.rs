//! `cargo xtask …`: thin entry points into the workspace's automation, one
//! file per task.

mod bench_task;
mod calibrate_task;
mod compare_task;
mod corpora_task;
mod exact;
mod fuzz_task;
mod harness_build;
mod layouts;
mod profile_task;
mod report_task;
mod revisions;

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
    /// Compare two revisions: interleaved, paired runs and the 2% gate
    /// (exit 0 pass, 1 regression, 2 error, 3 inconclusive).
    BenchCompare(compare_task::Args),
    /// Profile a revision's release build per workload (sampled flame graph
    /// and callgrind), or diff two with --compare BASE HEAD.
    Profile(profile_task::Args),
    /// Write results/report.html from results files (default: the newest) and the kept runs.
    Report(report_task::Args),
    /// Run the libFuzzer targets of scanner/fuzz (nightly cargo fuzz) for a
    /// fixed time each; fails on any crash.
    Fuzz(fuzz_task::Args),
}

fn main() -> std::process::ExitCode {
    let ok = |()| std::process::ExitCode::SUCCESS;
    let result = match Cli::parse().task {
        Task::Corpora(args) => corpora_task::run(&args).map(ok),
        Task::Bench(args) => bench_task::run(&args).map(ok),
        Task::Report(args) => report_task::run(&args).map(ok),
        Task::Fuzz(args) => fuzz_task::run(&args).map(ok),
        Task::Profile(args) => profile_task::run(&args).map(ok),
        Task::BenchCompare(args) => compare_task::run(&args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("xtask: error: {e:#}");
        std::process::ExitCode::from(2)
    })
}
