//! `qbound quantize`: the INT8 model, fully or partially quantized, exported at one or more
//! batch sizes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use qbound_engine::batch::BatchSize;
use qbound_engine::calibrate::{Calibration, CalibrationTable, DEFAULT_TENSORRT_VERSION_CODE};
use qbound_engine::onnx::load_model;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::pipeline::{ExportTarget, FloatSet, export_batches, quantize_point};
use qbound_engine::quantize::{DecodeTail, QuantConfig, QuantizeReport, Target};
use qbound_engine::sensitivity::{
    FloatSelection, MaxDropChoice, MaxDropOutcome, SearchSpace, read_ranking, search_max_drop,
};
use serde::Serialize;

use super::args::{CalibratedModelArgs, ScoringArgs};
use super::images::{image_files, resolve_profile};
use super::output::{print_json, sha256_file, write_json};
use super::progress::bar;
use super::replay::Replayed;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    model: CalibratedModelArgs,
    /// Q/DQ placement: `tensorrt` or `ort-cpu` (with `--replay`, the report's).
    #[arg(long, default_value = "tensorrt", conflicts_with = "replay")]
    target: Target,
    /// Quantize the decode tail too (the ops after the last body layer that turn head
    /// outputs into boxes and scores, `qbound inspect` lists them); it stays float by default.
    #[arg(long)]
    quantize_decode_tail: bool,
    /// Batch sizes to export, comma-separated: numbers or `dynamic`.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    export_batch_size: Vec<BatchSize>,
    /// The output file (one batch size).
    #[arg(long, conflicts_with = "out_dir")]
    out: Option<PathBuf>,
    /// An output folder: `<model>_partial_bs<N>.onnx` per batch size (`_int8_` when every
    /// layer is quantized), the TensorRT calibration cache, the sensitivity file and a report.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// The layer ranking from `qbound sensitivity` (least sensitive first).
    #[arg(long, conflicts_with = "replay")]
    sensitivity_file: Option<PathBuf>,
    /// Rebuild the model a report of this command (`<model>_report.json`) or of a run's
    /// point describes, with its target and float groups, without searching again; the
    /// model and calibration table must be the ones it was made from.
    #[arg(long, value_name = "REPORT")]
    replay: Option<PathBuf>,
    /// Quantize the first N+1 layers of the ranking; the rest stay float (the seed's rule).
    #[arg(long, requires = "sensitivity_file", group = "selection")]
    quant_boundary: Option<usize>,
    /// Keep the K most sensitive layers in float.
    #[arg(long, requires = "sensitivity_file", group = "selection")]
    keep_float: Option<usize>,
    /// Keep the fewest layers in float whose accuracy stays within this relative drop
    /// (0.02: at least 98% of the float model's), found on `--images`.
    #[arg(long, requires_all = ["sensitivity_file", "images"], group = "selection")]
    max_drop: Option<f64>,
    /// Validation images for `--max-drop`.
    #[arg(long = "images", alias = "data-root")]
    images: Option<PathBuf>,
    /// Profile for `--max-drop` (default: inferred).
    #[arg(long)]
    profile: Option<String>,
    /// How `--max-drop` scores accuracy.
    #[command(flatten)]
    scoring: ScoringArgs,
    /// Score the `--max-drop` bisection on only the first N images (faster; the choice is
    /// then verified on all of them, keeping more layers float if needed).
    #[arg(long)]
    search_images: Option<usize>,
    /// Images per batch when scoring.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Export {
    target: Target,
    files: Vec<PathBuf>,
    model_sha256: String,
    calibration_sha256: String,
    #[serde(flatten)]
    report: QuantizeReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_drop: Option<MaxDropChoice>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    args.scoring.checked_annotations()?;
    let model = load_model(&args.model.model)?;
    let table = CalibrationTable::load(&args.model.calib)?;
    let amax = table.calibration();
    let model_sha256 = sha256_file(&args.model.model)?;
    let calibration_sha256 = sha256_file(&args.model.calib)?;
    let replayed = args.replay.as_deref().map(Replayed::read).transpose()?;
    let (float, target) = match &replayed {
        Some(replayed) => {
            replayed.check_inputs(&model_sha256, &calibration_sha256)?;
            (replayed.float_set()?, replayed.target)
        }
        None => (choose_float_set(&args, &model, &amax)?, args.target),
    };
    let decode_tail = if args.quantize_decode_tail {
        DecodeTail::Quantize
    } else {
        DecodeTail::Float
    };
    let config = QuantConfig {
        decode_tail,
        ..QuantConfig::from(target)
    };
    let (quantized, report) = quantize_point(&model, &float, &amax, config)?;
    if let Some(replayed) = &replayed {
        replayed.check_result(&report)?;
    }
    let stem = args
        .model
        .model
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    let targets = export_targets(&args, &stem, report.float_layers.is_empty())?;
    export_batches(&quantized, &targets, &mut |_, _| Ok(()))?;
    let export = Export {
        target,
        files: targets.into_iter().map(|t| t.path).collect(),
        model_sha256,
        calibration_sha256,
        report,
        max_drop: float.max_drop().cloned(),
    };
    if let Some(dir) = &args.out_dir {
        write_extras(
            dir,
            &stem,
            &table,
            args.sensitivity_file.as_deref(),
            &export,
        )?;
    }
    if args.json {
        return print_json(&export);
    }
    for file in &export.files {
        println!("wrote {}", file.display());
    }
    println!(
        "{} target: {} layers INT8, {} float ({}), {} activation quantizers",
        export.target,
        export.report.quantized_layers.len(),
        export.report.float_layers.len(),
        export.report.float_layers.join(", "),
        export.report.activation_quantizers
    );
    if let Some(choice) = &export.max_drop {
        println!(
            "max drop: {}, {} groups float, score {:.4} vs float {:.4} (drop {:.2}%){}",
            match choice.outcome {
                MaxDropOutcome::FullInt8 => "full INT8 is within the budget",
                MaxDropOutcome::Partial => "a partial model is within the budget",
                MaxDropOutcome::Float =>
                    "no quantized model within the budget beats the float model: this is the float model",
            },
            choice.keep_float,
            choice.score.primary,
            choice.float_score.primary,
            choice.drop * 100.0,
            choice
                .speedup
                .map(|s| format!(", {s:.2}x FP32 at bs1"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Where each batch size goes: `--out` for one, `<stem>_<int8|partial>_bs<N>.onnx` in
/// `--out-dir` for any number; the folders are created.
fn export_targets(args: &Args, stem: &str, full_int8: bool) -> anyhow::Result<Vec<ExportTarget>> {
    let kind = if full_int8 { "int8" } else { "partial" };
    let mut targets = Vec::new();
    for &batch in &args.export_batch_size {
        let path = match (&args.out, &args.out_dir) {
            (Some(out), None) if args.export_batch_size.len() == 1 => out.clone(),
            (Some(_), None) => anyhow::bail!("several batch sizes need `--out-dir`, not `--out`"),
            (None, Some(dir)) => dir.join(format!("{stem}_{kind}_bs{batch}.onnx")),
            _ => anyhow::bail!("give `--out FILE` or `--out-dir DIR`"),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        targets.push(ExportTarget { batch, path });
    }
    Ok(targets)
}

/// The groups that stay float: none without a sensitivity file, else as `--quant-boundary`,
/// `--keep-float` or the `--max-drop` search says.
fn choose_float_set(
    args: &Args,
    model: &ModelProto,
    amax: &Calibration,
) -> anyhow::Result<FloatSet> {
    let Some(path) = &args.sensitivity_file else {
        return Ok(FloatSet::None);
    };
    let ranking = read_ranking(path)?;
    if let Some(boundary) = args.quant_boundary {
        return Ok(FloatSet::ranked(
            &ranking,
            FloatSelection::QuantBoundary(boundary),
        )?);
    }
    if let Some(keep) = args.keep_float {
        return Ok(FloatSet::ranked(&ranking, FloatSelection::KeepFloat(keep))?);
    }
    let Some(max_drop) = args.max_drop else {
        anyhow::bail!(
            "with `--sensitivity-file`, give `--quant-boundary`, `--keep-float` or `--max-drop`"
        );
    };
    let images = args
        .images
        .as_deref()
        .context("`--max-drop` needs `--images`")?;
    let profile = resolve_profile(model, args.profile.as_deref())?;
    let files = image_files(images, None)?;
    let subset = &files[..files
        .len()
        .min(args.search_images.unwrap_or(files.len()).max(1))];
    let scorer = |files| args.scoring.scorer(model, &profile, files, args.batch_size);
    let (mut search, mut verify) = (scorer(subset)?, scorer(&files)?);
    let space = SearchSpace {
        model,
        ranges: amax,
        target: args.target,
        ranking: &ranking,
    };
    let progress = bar("max-drop", 0);
    let choice = search_max_drop(
        &space,
        max_drop,
        search.as_mut(),
        verify.as_mut(),
        &mut |keep, score| progress.set_message(format!("keep {keep}: {:.4}", score.primary)),
    )?;
    progress.finish_and_clear();
    Ok(FloatSet::from(choice))
}

/// The seed's companions of an export: calibration cache, sensitivity file, report.
fn write_extras(
    dir: &Path,
    stem: &str,
    table: &CalibrationTable,
    sensitivity: Option<&Path>,
    export: &Export,
) -> anyhow::Result<()> {
    table.write_tensorrt_cache(
        &dir.join(format!("{stem}_calib.cache")),
        DEFAULT_TENSORRT_VERSION_CODE,
    )?;
    if let Some(path) = sensitivity {
        let copy = dir.join(format!("{stem}_sensitivity.txt"));
        if std::fs::canonicalize(path).ok() != std::fs::canonicalize(&copy).ok() {
            std::fs::copy(path, &copy)
                .with_context(|| format!("cannot copy `{}`", path.display()))?;
        }
    }
    write_json(&dir.join(format!("{stem}_report.json")), export)
}
