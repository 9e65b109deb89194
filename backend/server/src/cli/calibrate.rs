//! `qbound calibrate --model M --images DIR --method M --out CALIB.json`.

use std::path::PathBuf;

use qbound_engine::calibrate::{CalibrationMethod, DEFAULT_TENSORRT_VERSION_CODE};
use qbound_engine::onnx::load_model;
use qbound_engine::pipeline::{CalibrationInput, calibrate_images};
use qbound_engine::recover::{Recovery, parse_passes};
use serde::Serialize;

use super::args::ImageArgs;
use super::images::{image_files, resolve_profile};
use super::output::{print_json, sha256_file};
use super::progress::bar;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The float ONNX model.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// The calibration images.
    #[command(flatten)]
    images: ImageArgs,
    /// How each range is chosen: auto (the method whose INT8 model stays closest to the
    /// float outputs), max, percentile, entropy or mse.
    #[arg(long, default_value = "auto")]
    method: CalibrationMethod,
    /// The percentile for `--method percentile`.
    #[arg(long)]
    percentile: Option<f64>,
    /// Accuracy-recovery passes, comma-separated: `cle` (cross-layer equalization), `ranges`
    /// (each activation's uint8 bounds chosen for what it feeds), `adaround` (adaptive
    /// rounding of the weights), `bias` (bias correction), or `none`.
    #[arg(long, default_value = "none")]
    recover: String,
    /// Use only this many batches (default: every image).
    #[arg(long)]
    batch_number: Option<usize>,
    /// Where to write the calibration table (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Also write a TensorRT calibration cache here.
    #[arg(long)]
    trt_cache: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary {
    out: PathBuf,
    method: CalibrationMethod,
    profile: String,
    images: u64,
    tensors: usize,
    trt_cache: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto: Option<qbound_engine::calibrate::AutoChoice>,
    recovery: Recovery,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let images = &args.images;
    let profile = resolve_profile(&model, images.profile.as_deref())?;
    let method = match (args.method, args.percentile) {
        (CalibrationMethod::Percentile(_), Some(p)) => format!("percentile:{p}").parse()?,
        (_, Some(_)) => anyhow::bail!("`--percentile` only applies to `--method percentile`"),
        (method, None) => method,
    };
    let files = image_files(
        &images.images,
        args.batch_number.map(|n| n * images.batch_size.max(1)),
    )?;
    let progress = bar("calibrate", files.len() as u64);
    let model_id = sha256_file(&args.model)?;
    let input = CalibrationInput {
        model: &model,
        profile: &profile,
        files: &files,
        batch_size: images.batch_size,
        model_id: &model_id,
        recovery: &parse_passes(&args.recover)?,
    };
    let table = calibrate_images(
        &input,
        profile.input_batches(&files, images.batch_size),
        method,
        &mut |done| progress.set_position(done as u64),
        &mut |pass| progress.set_message(format!("recovery: {pass}")),
    )?;
    progress.finish_and_clear();
    table.save(&args.out)?;
    if let Some(cache) = &args.trt_cache {
        table.write_tensorrt_cache(cache, DEFAULT_TENSORRT_VERSION_CODE)?;
    }
    let recovery_lines = table.recovery.describe(&table);
    let summary = Summary {
        out: args.out,
        method,
        profile: profile.name,
        images: table.images,
        tensors: table.tensors.len(),
        trt_cache: args.trt_cache,
        auto: table.auto,
        recovery: table.recovery,
    };
    if args.json {
        return print_json(&summary);
    }
    println!(
        "calibrated {} tensors on {} images ({}, profile {}) -> {}",
        summary.tensors,
        summary.images,
        summary.method,
        summary.profile,
        summary.out.display()
    );
    for line in &recovery_lines {
        println!("recovery {line}");
    }
    if let Some(auto) = &summary.auto {
        let candidates: Vec<String> = auto
            .fidelity
            .iter()
            .map(|(method, fidelity)| format!("{method} {fidelity:.4}"))
            .collect();
        let fitted = if auto.held_out {
            " (ranges fitted on the other images)"
        } else {
            ""
        };
        println!(
            "auto chose {} by the full-INT8 model's agreement mAP on {} images{fitted}: {}",
            auto.chosen,
            auto.judged_images,
            candidates.join(", ")
        );
    }
    Ok(())
}
