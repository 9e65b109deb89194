//! A new run: its configuration checked against the model and datasets it names, planned
//! as jobs, and stored with them in one transaction.

use qbound_shared::{RunConfig, RunRecord};

use crate::db;
use crate::error::{Error, Result};
use crate::run::config::{validate, validate_labels};
use crate::run::plan::plan_jobs;
use crate::state::AppState;

/// Creates the run `config` describes, with its jobs queued; a configuration that names a
/// model or dataset that does not exist is unprocessable, not missing.
pub(crate) async fn submit_run(state: &AppState, config: &RunConfig) -> Result<RunRecord> {
    let missing = |e: Error| match e {
        Error::NotFound(what) => Error::Unprocessable(format!("{what} does not exist")),
        other => other,
    };
    let model = db::models::model_by_id(&state.pool, config.model_id)
        .await
        .map_err(missing)?;
    db::datasets::dataset_by_id(&state.pool, config.calibration_dataset_id)
        .await
        .map_err(missing)?;
    let validation_labelled = match config.validation_dataset_id {
        Some(id) => Some(
            db::datasets::dataset_by_id(&state.pool, id)
                .await
                .map_err(missing)?
                .has_annotations,
        ),
        None => None,
    };
    validate(config, model.layers.len())?;
    validate_labels(config, validation_labelled)?;
    let plan = plan_jobs(config, &model.name);
    let name = config.name.clone().unwrap_or_else(|| model.name.clone());
    let run_id = db::runs::create_run(
        &state.pool,
        &name,
        config,
        &model.layers,
        &plan,
        state.settings.max_attempts,
    )
    .await?;
    let run = db::runs::run_by_id(&state.pool, run_id).await?;
    state.events.publish_run(run_id, &run.status);
    Ok(run)
}
