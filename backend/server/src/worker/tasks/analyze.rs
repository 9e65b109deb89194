//! The analyze job: where the INT8 error enters the run's full-INT8 model, tensor by tensor,
//! on the first calibration images (each quantizer's output error alone on the first few).

use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::pipeline::{ANALYSIS_IMAGES, OUTPUT_ERROR_IMAGES, analyze_images};

use super::{JobOutput, Task};
use crate::error::Result;
use crate::run::files::JobFile;
use crate::run::protocol::JobResult;
use crate::run::{ToEngine, api_analysis};
use crate::worker::job_dir::{Dataset, first_images};

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let profile = task.profile()?;
    let calibration =
        CalibrationTable::load(&task.dir.path(JobFile::CalibrationTable))?.calibration();
    let images = task
        .dir
        .required_dataset(Dataset::Calibration, "the error analysis")?;
    let files = first_images(&images, Some(ANALYSIS_IMAGES))?;
    let total = files.len();
    let control = task.control;
    control.progress(
        0.0,
        format!("analysing the error of every quantized tensor on {total} images"),
    );
    let analysis = analyze_images(
        &task.model,
        &profile,
        &calibration,
        task.config.target.to_engine(),
        control.batches(profile.input_batches(&files, 1)),
        OUTPUT_ERROR_IMAGES,
        &mut |done| control.progress(done as f64 / total as f64, format!("{done}/{total} images")),
    )?;
    Ok(JobOutput {
        result: JobResult::Analyze {
            analysis: api_analysis(&analysis),
        },
        artifacts: Vec::new(),
    })
}
