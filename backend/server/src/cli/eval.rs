//! `qbound eval --model M --images DIR (--annotations A.json | --reference FLOAT.onnx)`.

use std::path::PathBuf;

use qbound_engine::onnx::load_model;
use qbound_engine::pipeline::accuracy_scorer;

use super::args::ImageArgs;
use super::images::{image_files, resolve_profile};
use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The model to evaluate.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    #[command(flatten)]
    images: ImageArgs,
    /// COCO annotations of the images (matched by file name).
    #[arg(
        long,
        conflicts_with = "reference",
        required_unless_present = "reference"
    )]
    annotations: Option<PathBuf>,
    /// A float model whose own detections serve as labels (agreement mAP).
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Print JSON instead of pycocotools' summary lines.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let files = image_files(&args.images.images, None)?;
    let reference = args.reference.as_deref().map(load_model).transpose()?;
    let labels_from = reference.as_ref().unwrap_or(&model);
    let profile = resolve_profile(labels_from, args.images.profile.as_deref())?;
    let scorer = accuracy_scorer(
        labels_from,
        &profile,
        &files,
        args.annotations.as_deref(),
        args.images.batch_size,
    )?;
    let summary = scorer.summary(&model)?;
    if args.json {
        return print_json(&summary);
    }
    let kind = if args.annotations.is_some() {
        "COCO mAP"
    } else {
        "agreement mAP"
    };
    println!(
        "{kind} of {} on {} images:",
        args.model.display(),
        files.len()
    );
    println!("{summary}");
    Ok(())
}
