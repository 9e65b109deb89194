//! `/api/runs`: create from a configuration, list with filters and sorting, tags and notes,
//! delete; the run's jobs, layers, trade-off points, error analysis, artifacts and live
//! events.

use std::convert::Infallible;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use qbound_shared::{
    ArtifactRecord, Event, JobRecord, LayerResult, Recommendation, RunConfig, RunRecord, RunUpdate,
    TradeoffPoint, recommend,
};

use super::paged::paged;
use crate::auth::WriteAccess;
use crate::db;
use crate::db::runs::RunFilter;
use crate::error::{AppJson, AppPath, AppQuery, Result};
use crate::events::{event_stream, job_event};
use crate::queue::{cancel, submit};
use crate::run::config::validate_tags_and_notes;
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
        .route("/runs/{id}/analysis", get(run_analysis))
        .route("/runs/{id}/artifacts", get(run_artifacts))
        .route("/runs/{id}/events", get(run_events))
}

async fn create_run(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppJson(config): AppJson<RunConfig>,
) -> Result<(StatusCode, AppJson<RunRecord>)> {
    let run = submit::submit_run(&state, &config).await?;
    Ok((StatusCode::CREATED, AppJson(run)))
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
async fn recommendation(state: &AppState, run: &RunRecord) -> Result<Option<Recommendation>> {
    let points = db::results::tradeoff_of_run(&state.pool, run.run_id).await?;
    Ok(recommend(
        &points,
        run.config.accuracy_budget(),
        &run.config.benchmark.batch_sizes,
    ))
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
    Ok(AppJson(cancel::cancel_run(&state, id).await?))
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

/// How `/api/runs/{id}/analysis` writes the analysis.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum AnalysisFormat {
    /// The API's JSON.
    #[default]
    Json,
    /// One row per tensor, as a file to download.
    Csv,
}

/// `?format=`; other parameters (a private server's `access_token`) pass.
#[derive(Debug, serde::Deserialize)]
struct AnalysisQuery {
    #[serde(default)]
    format: AnalysisFormat,
}

async fn run_analysis(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<AnalysisQuery>,
) -> Result<Response> {
    db::runs::run_by_id(&state.pool, id).await?;
    let analysis = db::results::analysis_of_run(&state.pool, id).await?;
    Ok(match query.format {
        AnalysisFormat::Json => AppJson(analysis).into_response(),
        AnalysisFormat::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"run-{id}-analysis.csv\""),
                ),
            ],
            analysis.to_csv(),
        )
            .into_response(),
    })
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
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let receiver = state.events.subscribe();
    let run = db::runs::run_by_id(&state.pool, id).await?;
    let jobs = db::jobs::list_jobs(&state.pool, Some(id), None).await?;
    let initial = jobs
        .iter()
        .map(job_event)
        .chain([Event::Run {
            run_id: id,
            status: run.status,
        }])
        .collect();
    Ok(event_stream(
        receiver,
        id,
        None,
        initial,
        state.shutdown.clone(),
    ))
}
