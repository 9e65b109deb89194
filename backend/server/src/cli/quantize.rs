//! `qbound quantize --model M --calib CALIB.json --target T --export-batch-size B --out OUT.onnx`.

use std::path::PathBuf;

use qbound_engine::batch::{retarget_batch, BatchSize};
use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::{load_model, save_model, SaveOptions};
use qbound_engine::quantize::{quantize_model, Target};
use serde::Serialize;

use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The float ONNX model.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// The calibration table written by `qbound calibrate`.
    #[arg(long = "calib", alias = "calib-weights")]
    calib: PathBuf,
    /// Q/DQ placement: `tensorrt` or `ort-cpu`.
    #[arg(long, default_value = "tensorrt")]
    target: Target,
    /// Batch size of the written model: a number or `dynamic`.
    #[arg(long, default_value = "1")]
    export_batch_size: BatchSize,
    /// Where to write the quantized model.
    #[arg(long)]
    out: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary {
    out: PathBuf,
    target: Target,
    batch_size: BatchSize,
    #[serde(flatten)]
    report: qbound_engine::quantize::QuantizeReport,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let table = CalibrationTable::load(&args.calib)?;
    let (quantized, report) = quantize_model(&model, None, &table.amax_by_tensor(), args.target)?;
    let exported = retarget_batch(&quantized, args.export_batch_size)?;
    save_model(&exported, &args.out, &SaveOptions::default())?;
    let summary = Summary { out: args.out, target: args.target, batch_size: args.export_batch_size, report };
    if args.json {
        return print_json(&summary);
    }
    println!(
        "wrote {} ({} target, batch {}): {} layers INT8, {} float, {} activation quantizers",
        summary.out.display(),
        summary.target,
        summary.batch_size,
        summary.report.quantized_layers.len(),
        summary.report.float_layers.len(),
        summary.report.activation_quantizers
    );
    if let Some(opset) = summary.report.raised_from_opset {
        println!("raised the model's opset from {opset} to 13 for per-channel weights");
    }
    Ok(())
}
