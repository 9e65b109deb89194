//! The `qbound` command line: the engine's commands, and later the server and worker.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let reasons: Vec<String> = err.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", reasons.join(": "));
            ExitCode::FAILURE
        }
    }
}
