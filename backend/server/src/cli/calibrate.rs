//! `qbound calibrate --model M --images DIR --method M --out CALIB.json`.

use std::path::PathBuf;

use qbound_engine::calibrate::{
    AutoJudge, CalibrationMethod, DEFAULT_TENSORRT_VERSION_CODE, auto_judge_images,
    calibrate_model, calibrate_model_judged,
};

use super::scoring::{Metric, build_scorer};
use qbound_engine::onnx::load_model;
use serde::Serialize;

use super::images::{image_files, resolve_profile};
use super::output::{print_json, sha256_file};
use super::progress::bar;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The float ONNX model.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// Folder of calibration images (JPEG or PNG).
    #[arg(long = "images", alias = "data-root")]
    images: PathBuf,
    /// How to feed the model: a built-in profile or a .toml file (default: inferred).
    #[arg(long)]
    profile: Option<String>,
    /// How each range is chosen: auto (the method whose INT8 model stays closest to the
    /// float outputs), max, percentile, entropy or mse.
    #[arg(long, default_value = "auto")]
    method: CalibrationMethod,
    /// The percentile for `--method percentile`.
    #[arg(long)]
    percentile: Option<f64>,
    /// Images per batch.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
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
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let profile = resolve_profile(&model, args.profile.as_deref())?;
    let method = match (args.method, args.percentile) {
        (CalibrationMethod::Percentile(_), Some(p)) => format!("percentile:{p}").parse()?,
        (_, Some(_)) => anyhow::bail!("`--percentile` only applies to `--method percentile`"),
        (method, None) => method,
    };
    let files = image_files(
        &args.images,
        args.batch_number.map(|n| n * args.batch_size.max(1)),
    )?;
    let input = profile.input_name(&model)?;
    let progress = bar("calibrate", files.len() as u64);
    let batches = profile.input_batches(&files, args.batch_size);
    let model_id = sha256_file(&args.model)?;
    let on_batch = &mut |done: usize| progress.set_position(done as u64);
    let table = if method == CalibrationMethod::Auto {
        let judged = &files[..auto_judge_images(files.len()).min(files.len())];
        let mut judge = build_scorer(
            Metric::Agreement,
            &model,
            &profile,
            judged,
            None,
            args.batch_size,
        )?;
        calibrate_model_judged(
            &model,
            &input,
            batches,
            method,
            &model_id,
            AutoJudge {
                scorer: judge.as_mut(),
                images: judged.len(),
            },
            on_batch,
        )?
    } else {
        calibrate_model(&model, &input, batches, method, &model_id, on_batch)?
    };
    progress.finish_and_clear();
    table.save(&args.out)?;
    if let Some(cache) = &args.trt_cache {
        table.write_tensorrt_cache(cache, DEFAULT_TENSORRT_VERSION_CODE)?;
    }
    let summary = Summary {
        out: args.out,
        method,
        profile: profile.name,
        images: table.images,
        tensors: table.tensors.len(),
        trt_cache: args.trt_cache,
        auto: table.auto,
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
