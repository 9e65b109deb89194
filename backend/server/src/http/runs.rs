//! `/api/runs`: create from a configuration, list with filters and sorting, tags and notes,
//! delete; the run's jobs, layers, trade-off points, artifacts and live events.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::sse::Sse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::jobs::{event_stream, paged};
use crate::auth::WriteAccess;
use crate::db;
use crate::db::artifacts::ArtifactRecord;
use crate::db::jobs::JobRecord;
use crate::db::results::{LayerResult, TradeoffPoint};
use crate::db::runs::{RunFilter, RunRecord};
use crate::error::{AppJson, AppPath, AppQuery, Error, Result};
use crate::jobs::config::{RunConfig, validate_tags_and_notes};
use crate::jobs::plan::plan_jobs;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", get(list_runs).post(create_run))
        .route(
            "/runs/{id}",
            get(get_run).patch(update_run).delete(delete_run),
        )
        .route("/runs/{id}/cancel", post(cancel_run))
        .route("/runs/{id}/jobs", get(run_jobs))
        .route("/runs/{id}/layers", get(run_layers))
        .route("/runs/{id}/tradeoff", get(run_tradeoff))
        .route("/runs/{id}/artifacts", get(run_artifacts))
        .route("/runs/{id}/events", get(run_events))
}

async fn create_run(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppJson(config): AppJson<RunConfig>,
) -> Result<(StatusCode, AppJson<RunRecord>)> {
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
    config.validate(model.layers.len())?;
    config.validate_labels(validation_labelled)?;
    let plan = plan_jobs(&config, &model.name)?;
    let name = config.name.clone().unwrap_or_else(|| model.name.clone());
    let run_id = db::runs::create_run(
        &state.pool,
        &name,
        &config,
        &model.layers,
        &plan,
        state.settings.max_attempts,
    )
    .await?;
    state.events.publish_run(run_id, "queued");
    Ok((
        StatusCode::CREATED,
        AppJson(db::runs::run_by_id(&state.pool, run_id).await?),
    ))
}

/// Runs a page at a time; `x-next-cursor` names the next page.
async fn list_runs(
    State(state): State<AppState>,
    AppQuery(filter): AppQuery<RunFilter>,
) -> Result<Response> {
    Ok(paged(db::runs::list_runs(&state.pool, &filter).await?))
}

/// The run, with its recommended point once it has finished.
async fn get_run(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<RunRecord>> {
    let mut run = db::runs::run_by_id(&state.pool, id).await?;
    if ["succeeded", "failed", "cancelled"].contains(&run.status.as_str()) {
        run.recommended = recommendation(&state, &run).await?;
    }
    Ok(AppJson(run))
}

/// The fastest measured point within the run's accuracy budget, or the float model and why.
async fn recommendation(
    state: &AppState,
    run: &RunRecord,
) -> Result<Option<qbound_shared::Recommendation>> {
    // The stored rows and configuration read as the API's shared types.
    fn shared<T: serde::de::DeserializeOwned>(
        what: &str,
        value: impl serde::Serialize,
    ) -> Result<T> {
        serde_json::to_value(value)
            .and_then(serde_json::from_value)
            .map_err(|e| Error::Internal(format!("a stored {what} does not read back: {e}")))
    }
    let points: Vec<qbound_shared::TradeoffPoint> = shared(
        "trade-off point",
        db::results::tradeoff_of_run(&state.pool, run.run_id).await?,
    )?;
    let config: qbound_shared::RunConfig = shared("run configuration", &run.config)?;
    Ok(qbound_shared::recommend(
        &points,
        config.accuracy_budget(),
        &config.benchmark.batch_sizes,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunUpdate {
    tags: Option<Vec<String>>,
    notes: Option<String>,
}

async fn update_run(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
    AppJson(update): AppJson<RunUpdate>,
) -> Result<AppJson<RunRecord>> {
    validate_tags_and_notes(update.tags.as_deref(), update.notes.as_deref())?;
    let run = db::runs::update_run(
        &state.pool,
        id,
        update.tags.as_deref(),
        update.notes.as_deref(),
    )
    .await?;
    Ok(AppJson(run))
}

async fn delete_run(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode> {
    db::runs::delete_run(&state.pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel_run(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<RunRecord>> {
    let mut changed = Vec::new();
    for job in db::jobs::list_jobs(&state.pool, Some(id), None).await? {
        if !job.state.is_terminal() {
            changed.push(db::jobs::cancel_job(&state.pool, job.job_id).await?);
        }
    }
    crate::jobs::apply::announce(&state, &changed).await?;
    db::queue::refresh_run_status(&state.pool, id).await?;
    Ok(AppJson(db::runs::run_by_id(&state.pool, id).await?))
}

async fn run_jobs(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Vec<JobRecord>>> {
    db::runs::run_by_id(&state.pool, id).await?;
    Ok(AppJson(
        db::jobs::list_jobs(&state.pool, Some(id), None).await?,
    ))
}

async fn run_layers(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Vec<LayerResult>>> {
    db::runs::run_by_id(&state.pool, id).await?;
    Ok(AppJson(db::results::layers_of_run(&state.pool, id).await?))
}

async fn run_tradeoff(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Vec<TradeoffPoint>>> {
    db::runs::run_by_id(&state.pool, id).await?;
    Ok(AppJson(
        db::results::tradeoff_of_run(&state.pool, id).await?,
    ))
}

async fn run_artifacts(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Vec<ArtifactRecord>>> {
    db::runs::run_by_id(&state.pool, id).await?;
    Ok(AppJson(
        db::artifacts::artifacts_of_run(&state.pool, id).await?,
    ))
}

async fn run_events(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<
    Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
> {
    let receiver = state.events.subscribe();
    let run = db::runs::run_by_id(&state.pool, id).await?;
    let jobs = db::jobs::list_jobs(&state.pool, Some(id), None).await?;
    Ok(event_stream(
        receiver,
        id,
        None,
        jobs,
        Some(run.status),
        state.shutdown.clone(),
    ))
}
