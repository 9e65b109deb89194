//! The accuracy scorers jobs use: labelled COCO mAP, agreement with the float model, or the
//! output-fidelity proxy, all on images the job extracted.

use std::path::{Path, PathBuf};

use qbound_engine::coco::CocoGroundTruth;
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::Profile;
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::{OutputFidelity, Scorer};
use qbound_shared::Metric;

use crate::archive::{DatasetContents, ExtractLimits, extract_dataset};
use crate::error::{Error, Result};

/// Images per batch when scoring.
pub(crate) const SCORING_BATCH: usize = 8;

/// Extracts the job input `<name>.tar` into `dir/<name>`, when the job has it.
pub(crate) fn dataset(dir: &Path, name: &str) -> Result<Option<DatasetContents>> {
    let archive = dir.join(format!("{name}.tar"));
    if !archive.is_file() {
        return Ok(None);
    }
    extract_dataset(&archive, &dir.join(name), ExtractLimits::WORKER).map(Some)
}

/// The validation images when the job has them, else the calibration images.
pub(crate) fn scoring_images(dir: &Path) -> Result<DatasetContents> {
    if let Some(validation) = dataset(dir, "validation")? {
        return Ok(validation);
    }
    dataset(dir, "calibration")?
        .ok_or_else(|| Error::Unprocessable("the job has no images to score on".into()))
}

/// The first `limit` images (all when `None`), at least one.
pub(crate) fn first_images(
    contents: &DatasetContents,
    limit: Option<usize>,
) -> Result<Vec<PathBuf>> {
    let mut files = contents.images.clone();
    files.truncate(limit.unwrap_or(usize::MAX).max(1));
    if files.is_empty() {
        return Err(Error::Unprocessable("the dataset has no images".into()));
    }
    Ok(files)
}

/// The detection scorer for accuracy: COCO mAP against the dataset's annotations when it
/// has them, else agreement mAP against `float`'s detections.
pub(crate) fn detection_scorer(
    float: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    annotations: Option<&Path>,
) -> Result<DetectionScorer> {
    let images = EvalImages::load(profile, files, SCORING_BATCH)?;
    let session = SessionConfig::default();
    Ok(match annotations {
        Some(path) => DetectionScorer::labelled(
            profile.clone(),
            images,
            CocoGroundTruth::load(path)?,
            session,
        )?,
        None => DetectionScorer::agreement(float, profile.clone(), images, session)?,
    })
}

/// The scorer of a sensitivity `metric`.
pub(crate) fn sensitivity_scorer(
    metric: Metric,
    float: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    annotations: Option<&Path>,
) -> Result<Box<dyn Scorer>> {
    match metric {
        Metric::Map => {
            let path = annotations.ok_or_else(|| {
                Error::Unprocessable(
                    "the `map` metric needs COCO annotations in the dataset".into(),
                )
            })?;
            Ok(Box::new(detection_scorer(
                float,
                profile,
                files,
                Some(path),
            )?))
        }
        Metric::Agreement => Ok(Box::new(detection_scorer(float, profile, files, None)?)),
        Metric::Proxy => {
            let input = profile.input_name(float)?;
            let batches = profile
                .input_batches(files, SCORING_BATCH)
                .collect::<qbound_engine::Result<Vec<_>>>()?;
            Ok(Box::new(OutputFidelity::new(
                float,
                &input,
                batches,
                SessionConfig::default(),
            )?))
        }
    }
}
