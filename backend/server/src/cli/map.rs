//! `qbound map --annotations GT.json --detections DT.json`: the 12 numbers pycocotools prints.

use std::path::PathBuf;

use qbound_engine::coco::{CocoDetections, CocoGroundTruth, evaluate};

use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// COCO annotation file (ground truth).
    #[arg(long)]
    annotations: PathBuf,
    /// COCO results file: a JSON list of `{image_id, category_id, bbox, score}`.
    #[arg(long)]
    detections: PathBuf,
    /// Print JSON instead of pycocotools' summary lines.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let ground_truth = CocoGroundTruth::load(&args.annotations)?;
    let detections = CocoDetections::load(&args.detections, &ground_truth)?;
    let summary = evaluate(&ground_truth, &detections)?;
    if args.json {
        return print_json(&summary);
    }
    println!("{summary}");
    Ok(())
}
