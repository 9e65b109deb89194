//! The accuracy scorers jobs use: labelled COCO mAP, agreement with the float model, or the
//! output-fidelity proxy, all on images the job extracted.

use std::path::{Path, PathBuf};

use qbound_engine::evaluate::DetectionScorer;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::pipeline::{accuracy_scorer, build_scorer};
use qbound_engine::profile::Profile;
use qbound_engine::sensitivity::Scorer;
use qbound_shared::Metric;

use super::ToEngine;
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
    Ok(accuracy_scorer(
        float,
        profile,
        files,
        annotations,
        SCORING_BATCH,
    )?)
}

/// The scorer of a sensitivity `metric`.
pub(crate) fn sensitivity_scorer(
    metric: Metric,
    float: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    annotations: Option<&Path>,
) -> Result<Box<dyn Scorer>> {
    Ok(build_scorer(
        metric.to_engine(),
        float,
        profile,
        files,
        annotations,
        SCORING_BATCH,
    )?)
}
