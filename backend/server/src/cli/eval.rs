//! `qbound eval --model M --images DIR (--annotations A.json | --reference FLOAT.onnx)`.

use std::path::PathBuf;

use qbound_engine::coco::CocoGroundTruth;
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::onnx::load_model;
use qbound_engine::runtime::SessionConfig;

use super::images::{image_files, resolve_profile};
use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The model to evaluate.
    #[arg(long = "model", alias = "weights")]
    model: PathBuf,
    /// Folder of images.
    #[arg(long = "images", alias = "data-root")]
    images: PathBuf,
    /// Profile (default: inferred from the model).
    #[arg(long)]
    profile: Option<String>,
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
    /// Images per batch.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// Print JSON instead of pycocotools' summary lines.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let files = image_files(&args.images, None)?;
    let session = SessionConfig::default();
    let scorer = match (&args.annotations, &args.reference) {
        (Some(annotations), _) => {
            let profile = resolve_profile(&model, args.profile.as_deref())?;
            let images = EvalImages::load(&profile, &files, args.batch_size)?;
            DetectionScorer::labelled(
                profile,
                images,
                CocoGroundTruth::load(annotations)?,
                session,
            )?
        }
        (None, Some(reference)) => {
            let reference = load_model(reference)?;
            let profile = resolve_profile(&reference, args.profile.as_deref())?;
            let images = EvalImages::load(&profile, &files, args.batch_size)?;
            DetectionScorer::agreement(&reference, profile, images, session)?
        }
        (None, None) => anyhow::bail!("give `--annotations` or `--reference`"),
    };
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
