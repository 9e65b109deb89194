//! The calibrate job: activation ranges from the calibration images, as a table and a
//! TensorRT calibration cache.

use qbound_engine::calibrate::DEFAULT_TENSORRT_VERSION_CODE;
use qbound_engine::pipeline::{CalibrationInput, calibrate_images};
use qbound_shared::ArtifactKind;

use super::{JobOutput, OutputArtifact, Task};
use crate::error::Result;
use crate::run::ToEngine;
use crate::run::files::JobFile;
use crate::run::protocol::JobResult;
use crate::worker::job_dir::Dataset;

/// Images per calibration batch.
const CALIBRATION_BATCH: usize = 8;

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let method = task.config.calibration_method.to_engine();
    let profile = task.profile()?;
    let mut images = task
        .dir
        .required_dataset(Dataset::Calibration, "calibration")?
        .images;
    if let Some(limit) = task.config.calibration_images {
        images.truncate(limit);
    }
    let total = images.len().max(1);
    let control = task.control;
    control.progress(
        0.0,
        format!("calibrating on {} images with `{method}`", images.len()),
    );
    let model_id = task
        .job
        .inputs
        .iter()
        .find(|i| i.name == JobFile::Model.name())
        .map_or("model", |i| i.sha256.as_str());
    let input = CalibrationInput {
        model: &task.model,
        profile: &profile,
        files: &images,
        batch_size: CALIBRATION_BATCH,
        model_id,
        recovery: &task.config.recovery.as_slice().to_engine(),
    };
    let table = calibrate_images(
        &input,
        control.batches(profile.input_batches(&images, CALIBRATION_BATCH)),
        method,
        &mut |done| {
            control.progress(
                done as f64 / total as f64 * 0.95,
                format!("{done}/{total} images"),
            )
        },
        &mut |pass| control.progress(0.95, format!("recovery: {pass}")),
    )?;
    let table_path = task.dir.path(JobFile::CalibrationTable);
    table.save(&table_path)?;
    let cache_path = task.dir.path(JobFile::CalibrationCache);
    table.write_tensorrt_cache(&cache_path, DEFAULT_TENSORRT_VERSION_CODE)?;
    Ok(JobOutput {
        result: JobResult::Calibrate {
            tensor_count: table.tensors.len(),
            images: table.images,
        },
        artifacts: vec![
            OutputArtifact::at(ArtifactKind::Calibration, table_path),
            OutputArtifact::at(ArtifactKind::CalibrationCache, cache_path),
        ],
    })
}
