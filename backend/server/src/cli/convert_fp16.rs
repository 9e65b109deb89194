//! `qbound convert-fp16 --model M --out O`: the FP16 reference of a float model.

use std::path::PathBuf;

use qbound_engine::fp16::{Fp16Options, convert_to_fp16};
use qbound_engine::onnx::{SaveOptions, load_model, save_model};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The float32 ONNX model.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// Where to write the FP16 model.
    #[arg(long)]
    out: PathBuf,
    /// Keep this node in float32 (repeatable), e.g. a layer too sensitive for FP16.
    #[arg(long = "keep-float-node")]
    keep_float_nodes: Vec<String>,
    /// Make the model's inputs and outputs float16 too (default: float32 through casts).
    #[arg(long)]
    fp16_io: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let options = Fp16Options {
        keep_io_types: !args.fp16_io,
        keep_float_nodes: args.keep_float_nodes,
        ..Fp16Options::default()
    };
    save_model(
        &convert_to_fp16(&model, &options)?,
        &args.out,
        &SaveOptions::default(),
    )?;
    println!("wrote {}", args.out.display());
    Ok(())
}
