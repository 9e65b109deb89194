//! `qbound sensitivity --model M --calib C --images DIR --metric M --mode M --out SENS.txt`.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use clap::builder::ArgPredicate;
use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::load_model;
use qbound_engine::quantize::Target;
use qbound_engine::sensitivity::{SensitivityMode, layer_sensitivity, sensitivity_text};

use super::images::{image_files, resolve_profile};
use super::output::{print_json, write_json};
use super::progress::bar;
use super::scoring::{Metric, build_scorer};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The float ONNX model.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// The calibration table written by `qbound calibrate`.
    #[arg(long = "calib", alias = "calib-weights")]
    calib: PathBuf,
    /// Folder of validation images.
    #[arg(long = "images", alias = "data-root")]
    images: PathBuf,
    /// How to feed and read the model: a built-in profile or a .toml file (default: inferred).
    #[arg(long)]
    profile: Option<String>,
    /// How each layer is scored (default: `map` with `--annotations`, else `agreement`).
    #[arg(
        long,
        value_enum,
        default_value = "agreement",
        default_value_if("annotations", ArgPredicate::IsPresent, "map")
    )]
    metric: Metric,
    /// `one-on` (only that layer quantized) or `one-off` (all but that layer).
    #[arg(long, default_value = "one-on")]
    mode: SensitivityMode,
    /// COCO annotations of the images; they imply `--metric map`.
    #[arg(long)]
    annotations: Option<PathBuf>,
    /// Q/DQ placement measured: `tensorrt` or `ort-cpu`.
    #[arg(long, default_value = "tensorrt")]
    target: Target,
    /// Images per batch.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
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
    check_metric_with_annotations(args.metric, args.annotations.as_deref())?;
    let model = load_model(&args.model)?;
    let profile = resolve_profile(&model, args.profile.as_deref())?;
    let table = CalibrationTable::load(&args.calib)?;
    let batches = match (args.batch_number, args.metric) {
        (Some(n), _) => Some(n),
        (None, Metric::Proxy) => Some(1),
        (None, _) => None,
    };
    let files = image_files(&args.images, batches.map(|n| n * args.batch_size.max(1)))?;
    let mut scorer = build_scorer(
        args.metric,
        &model,
        &profile,
        &files,
        args.annotations.as_deref(),
        args.batch_size,
    )?;
    let progress = bar("sensitivity", 0);
    let report = layer_sensitivity(
        &model,
        &table.ranges(),
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

/// `--annotations` means scoring by labelled mAP: `--metric` then defaults to `map` (the
/// commands' `default_value_if`), and any other metric given with it is an error rather than
/// annotations silently ignored.
pub(super) fn check_metric_with_annotations(
    metric: Metric,
    annotations: Option<&Path>,
) -> anyhow::Result<()> {
    if annotations.is_some() && metric != Metric::Map {
        let name = metric
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        anyhow::bail!(
            "`--annotations` scores by labelled mAP (`--metric map`), but `--metric {name}` was given: drop one of them"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: Args,
    }

    fn parse(extra: &[&str]) -> Args {
        let base = [
            "sensitivity",
            "--model",
            "m.onnx",
            "--calib",
            "c.json",
            "--images",
            "val",
            "--out",
            "s.txt",
        ];
        Command::try_parse_from(base.iter().chain(extra))
            .unwrap()
            .args
    }

    #[test]
    fn annotations_imply_the_map_metric() {
        let args = parse(&["--annotations", "gt.json"]);
        assert_eq!(args.metric, Metric::Map);
        check_metric_with_annotations(args.metric, args.annotations.as_deref()).unwrap();
        assert_eq!(parse(&[]).metric, Metric::Agreement);
    }

    #[test]
    fn another_metric_with_annotations_is_an_error() {
        let args = parse(&["--metric", "agreement", "--annotations", "gt.json"]);
        let err = check_metric_with_annotations(args.metric, args.annotations.as_deref())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`--metric agreement`") && err.contains("--annotations"),
            "{err}"
        );
    }
}
