//! `qbound sensitivity --model M --calib C --images DIR --metric M --mode M --out SENS.txt`.

use std::path::PathBuf;

use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::load_model;
use qbound_engine::pipeline::Metric;
use qbound_engine::quantize::Target;
use qbound_engine::sensitivity::{SensitivityMode, layer_sensitivity, sensitivity_text};

use super::args::{CalibratedModelArgs, ImageArgs, ScoringArgs};
use super::output::{print_json, write_json};
use super::progress::bar;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    model: CalibratedModelArgs,
    #[command(flatten)]
    images: ImageArgs,
    #[command(flatten)]
    scoring: ScoringArgs,
    /// `one-on` (only that layer quantized) or `one-off` (all but that layer).
    #[arg(long, default_value = "one-on")]
    mode: SensitivityMode,
    /// Q/DQ placement measured: `tensorrt` or `ort-cpu`.
    #[arg(long, default_value = "tensorrt")]
    target: Target,
    /// Use only this many batches of images (default: all; `proxy` defaults to one batch).
    #[arg(long)]
    batch_number: Option<usize>,
    /// Where to write the ranking in the seed's text format (least sensitive first).
    #[arg(long)]
    out: PathBuf,
    /// Also write the full report as JSON here.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    args.scoring.checked_annotations()?;
    let model = load_model(&args.model.model)?;
    let table = CalibrationTable::load(&args.model.calib)?;
    let batch_size = args.images.batch_size;
    let batches = match (args.batch_number, args.scoring.metric) {
        (Some(n), _) => Some(n),
        (None, Metric::Proxy) => Some(1),
        (None, _) => None,
    };
    let (profile, files) = args
        .images
        .load(&model, batches.map(|n| n * batch_size.max(1)))?;
    let mut scorer = args.scoring.scorer(&model, &profile, &files, batch_size)?;
    let progress = bar("sensitivity", 0);
    let report = layer_sensitivity(
        &model,
        &table.calibration(),
        args.target,
        args.mode,
        scorer.as_mut(),
        &mut |done, total, layer| {
            progress.set_length(total as u64);
            progress.set_position(done as u64);
            progress.set_message(layer.name.clone());
        },
    )?;
    progress.finish_and_clear();
    std::fs::write(&args.out, sensitivity_text(&report))
        .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", args.out.display()))?;
    if let Some(path) = &args.json_out {
        write_json(path, &report)?;
    }
    if args.json {
        return print_json(&report);
    }
    println!(
        "{} layers ranked by {} ({}, {} target) in {:.1} s on {} images -> {}",
        report.layers.len(),
        report.metric,
        report.mode,
        report.target,
        report.seconds,
        files.len(),
        args.out.display()
    );
    println!(
        "most sensitive: {}",
        report
            .layers
            .iter()
            .rev()
            .take(5)
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let (Some(split_half), Some(reliability)) =
        (report.split_half_correlation, report.reliability)
    {
        println!(
            "ranking reliability {reliability:.2} (even vs odd images agree at Spearman {split_half:.2}){}",
            if reliability < 0.8 {
                ": much of this order is chance; rank on more images"
            } else {
                ""
            }
        );
    }
    Ok(())
}
