//! The files a claimed job downloads: the float model, the datasets its kind reads, and the
//! artifacts of the jobs it depends on.

use qbound_shared::{Boundary, JobKind, JobRecord};

use crate::db;
use crate::error::Result;
use crate::run::files::JobFile;
use crate::run::protocol::{JobInput, JobParams};
use crate::state::AppState;

/// The inputs of `job`, each named as the job's folder will hold it.
pub(super) async fn job_inputs(
    state: &AppState,
    job: &JobRecord,
    params: &JobParams,
) -> Result<Vec<JobInput>> {
    let config = &params.config;
    let model = db::models::model_by_id(&state.pool, config.model_id).await?;
    let mut inputs = vec![JobInput {
        name: JobFile::Model.name().into(),
        sha256: model.sha256,
        url: format!("/api/models/{}/download", model.model_id),
        batch_size: None,
    }];
    let calibration = (
        JobFile::CalibrationImages,
        Some(config.calibration_dataset_id),
    );
    let validation = (JobFile::ValidationImages, config.validation_dataset_id);
    let datasets = match job.kind {
        JobKind::Calibrate | JobKind::Analyze => vec![calibration],
        JobKind::Sensitivity if config.validation_dataset_id.is_none() => vec![calibration],
        JobKind::Sensitivity | JobKind::Evaluate => vec![validation],
        JobKind::Quantize if matches!(config.boundary, Boundary::MaxDrop { .. }) => {
            vec![validation]
        }
        _ => Vec::new(),
    };
    for (file, dataset_id) in datasets {
        if let Some(dataset_id) = dataset_id {
            let dataset = db::datasets::dataset_by_id(&state.pool, dataset_id).await?;
            inputs.push(JobInput {
                name: file.name().into(),
                sha256: dataset.sha256,
                url: format!("/api/datasets/{dataset_id}/download"),
                batch_size: None,
            });
        }
    }
    for artifact in db::artifacts::artifacts_of_dependencies(&state.pool, job.job_id).await? {
        inputs.push(JobInput {
            name: artifact.name,
            sha256: artifact.sha256,
            url: artifact.download_url,
            batch_size: artifact.batch_size,
        });
    }
    Ok(inputs)
}
