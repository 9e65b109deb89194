//! Command-line arguments and dispatch, one file per command.

mod bench;
mod inspect;
mod output;
mod progress;
mod quantize;

use clap::{Parser, Subcommand};

/// qbound: partial INT8 quantization for ONNX object detectors.
#[derive(Debug, Parser)]
#[command(name = "qbound", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inputs, outputs, opset, and the quantizable layers in order.
    Inspect(inspect::Args),
    /// INT8 (partially) quantized model with Q/DQ nodes, at a chosen batch size.
    Quantize(quantize::Args),
    /// Throughput of models at several batch sizes, interleaved in one run.
    Bench(bench::Args),
}

/// Runs one command.
pub(crate) fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Quantize(args) => quantize::run(args),
        Command::Bench(args) => bench::run(args),
    }
}
