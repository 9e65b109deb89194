//! `qbound analyze --model M --calib C --images DIR`: where the INT8 error enters.

use std::path::PathBuf;

use qbound_engine::analyze::{group_ranking, ranking_text};
use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::load_model;
use qbound_engine::pipeline::{ANALYSIS_IMAGES, OUTPUT_ERROR_IMAGES, analyze_images};
use qbound_engine::quantize::Target;
use qbound_server::api_analysis;

use super::args::{CalibratedModelArgs, ImageArgs};
use super::output::print_json;
use super::progress::bar;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    model: CalibratedModelArgs,
    #[command(flatten)]
    images: ImageArgs,
    /// Q/DQ placement analysed: `tensorrt` or `ort-cpu`.
    #[arg(long, default_value = "ort-cpu")]
    target: Target,
    /// Analyse the first N images.
    #[arg(long, default_value_t = ANALYSIS_IMAGES)]
    limit: usize,
    /// Of those, run the first N once per activation quantizer, that quantizer alone, to
    /// measure the error it causes at the model's outputs (0: local and cumulative error only).
    #[arg(long, default_value_t = OUTPUT_ERROR_IMAGES)]
    output_images: usize,
    /// Also write the whole table here as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also write the quantizer groups here, ordered by the worst error of their quantizers,
    /// as a sensitivity file for `qbound quantize --sensitivity-file` (least sensitive first).
    #[arg(long)]
    ranking_out: Option<PathBuf>,
    /// Print the whole analysis as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model.model)?;
    let table = CalibrationTable::load(&args.model.calib)?;
    let (profile, files) = args.images.load(&model, Some(args.limit.max(1)))?;
    let progress = bar("analyze", files.len() as u64);
    let analysis = analyze_images(
        &model,
        &profile,
        &table.calibration(),
        args.target,
        profile.input_batches(&files, args.images.batch_size),
        args.output_images,
        &mut |done| progress.set_position(done as u64),
    )?;
    progress.finish_and_clear();
    if let Some(path) = &args.csv {
        std::fs::write(path, api_analysis(&analysis).to_csv())
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    }
    if let Some(path) = &args.ranking_out {
        let ranking = group_ranking(&analysis, &model, args.target)?;
        std::fs::write(path, ranking_text(&analysis, &ranking))
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    }
    if args.json {
        return print_json(&api_analysis(&analysis));
    }
    let ranked_by = if analysis.output_images > 0 {
        format!("output error alone, on {} images", analysis.output_images)
    } else {
        "local error".to_owned()
    };
    println!(
        "{} quantized tensors on {} images ({} target); the worst by {ranked_by}:",
        analysis.tensors.len(),
        analysis.images,
        args.target
    );
    println!(
        "{:>4}  {:<40} {:>9} {:>9} {:>8} {:>9} {:>9} {:>9}  cause",
        "#", "tensor", "low", "high", "step", "local dB", "cumul dB", "output dB"
    );
    for t in analysis.worst() {
        let causes: Vec<String> = t.causes.iter().map(ToString::to_string).collect();
        let output = t
            .output_sqnr_db
            .map_or_else(|| "-".to_owned(), |db| format!("{db:.1}"));
        println!(
            "{:>4}  {:<40} {:>9.3} {:>9.3} {:>8.4} {:>9.1} {:>9.1} {:>9}  {}",
            t.position,
            t.tensor,
            t.low,
            t.high,
            t.step,
            t.local_sqnr_db,
            t.cumulative_sqnr_db,
            output,
            if causes.is_empty() {
                "-".to_owned()
            } else {
                causes.join("; ")
            }
        );
    }
    Ok(())
}
