//! Command-line arguments and dispatch, one file per command.

mod analyze;
mod args;
mod bench;
mod calibrate;
mod capabilities;
mod convert_fp16;
mod engine;
mod eval;
mod images;
mod inspect;
mod map;
mod output;
mod preprocess;
mod progress;
mod quantize;
mod replay;
mod sensitivity;
mod serve;
mod sweep;
mod token;
mod worker;

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
    /// Activation ranges for every tensor a quantizer needs, from a folder of images.
    Calibrate(calibrate::Args),
    /// Per-layer sensitivity to INT8, ranked least sensitive first.
    Sensitivity(sensitivity::Args),
    /// Where the INT8 error enters: per quantized tensor, the error it adds alone and the
    /// error gathered by then, the worst flagged with their likely cause.
    Analyze(analyze::Args),
    /// The INT8 model, fully or partially quantized, at one or more batch sizes.
    Quantize(quantize::Args),
    /// The exact model inputs a profile makes of images, as a NumPy file.
    Preprocess(preprocess::Args),
    /// Accuracy and throughput of partial models at several float-layer counts.
    Sweep(sweep::Args),
    /// COCO mAP of a model on labelled images, or its agreement with a float model.
    Eval(eval::Args),
    /// COCO mAP of a results file against annotations, as pycocotools computes it.
    Map(map::Args),
    /// Throughput of models at several batch sizes, interleaved in one run.
    Bench(bench::Args),
    /// The FP16 reference of a float model.
    ConvertFp16(convert_fp16::Args),
    /// TensorRT engines of a model at several batch sizes.
    Engine(engine::Args),
    /// Which execution providers initialise on this node, and why the others do not.
    Capabilities(capabilities::Args),
    /// The web app, the REST API and an embedded worker.
    Serve(serve::Args),
    /// A remote worker that takes jobs from a server.
    Worker(worker::Args),
    /// API tokens.
    Token(token::Args),
}

/// Runs one command.
pub(crate) fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Preprocess(args) => preprocess::run(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Quantize(args) => quantize::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Map(args) => map::run(args),
        Command::Bench(args) => bench::run(args),
        Command::ConvertFp16(args) => convert_fp16::run(args),
        Command::Engine(args) => engine::run(args),
        Command::Capabilities(args) => capabilities::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Token(args) => token::run(args),
    }
}
