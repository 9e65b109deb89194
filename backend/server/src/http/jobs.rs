//! `/api/jobs`: list, get, cancel, retry, live events; and the worker protocol (claim,
//! heartbeat, artifact upload, complete, fail), which needs a `worker` token.

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use futures_util::Stream;
use qbound_shared::{ArtifactRecord, JobRecord, JobState};
use serde::Deserialize;

use super::paged::paged;
use crate::auth::{WorkerAccess, WriteAccess};
use crate::db;
use crate::error::{AppJson, AppPath, AppQuery, Error, Result};
use crate::events::{event_stream, job_event};
use crate::queue::artifacts::{self, UploadInfo};
use crate::queue::{cancel, claim, report};
use crate::run::protocol::{
    ClaimRequest, CompleteRequest, FailRequest, HeartbeatRequest, LEASE_HEADER,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list_jobs))
        .route("/jobs/claim", post(claim_job))
        .route("/jobs/{id}", get(get_job))
        .route("/jobs/{id}/log", get(job_log))
        .route("/jobs/{id}/cancel", post(cancel_job))
        .route("/jobs/{id}/retry", post(retry_job))
        .route("/jobs/{id}/events", get(job_events))
        .route("/jobs/{id}/heartbeat", post(heartbeat))
        .route("/jobs/{id}/complete", post(complete_job))
        .route("/jobs/{id}/fail", post(fail_job))
        .route(
            "/jobs/{id}/artifacts/{name}",
            put(upload_artifact).layer(DefaultBodyLimit::disable()),
        )
}

#[derive(Debug, Deserialize)]
struct JobFilter {
    run_id: Option<i64>,
    state: Option<JobState>,
    cursor: Option<i64>,
    limit: Option<i64>,
}

/// Jobs without their logs, a page at a time; `x-next-cursor` names the next page.
async fn list_jobs(
    State(state): State<AppState>,
    AppQuery(filter): AppQuery<JobFilter>,
) -> Result<Response> {
    let page = db::jobs::list_job_summaries(
        &state.pool,
        filter.run_id,
        filter.state,
        filter.cursor,
        filter.limit,
    )
    .await?;
    Ok(paged(page))
}

async fn job_log(State(state): State<AppState>, AppPath(id): AppPath<i64>) -> Result<String> {
    db::jobs::job_log(&state.pool, id).await
}

async fn get_job(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(db::jobs::job_by_id(&state.pool, id).await?))
}

async fn cancel_job(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(cancel::cancel_job(&state, id).await?))
}

async fn retry_job(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(cancel::retry_job(&state, id).await?))
}

async fn job_events(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let receiver = state.events.subscribe();
    let job = db::jobs::job_by_id(&state.pool, id).await?;
    Ok(event_stream(
        receiver,
        job.run_id,
        Some(id),
        vec![job_event(&job)],
        state.shutdown.clone(),
    ))
}

async fn claim_job(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppJson(request): AppJson<ClaimRequest>,
) -> Result<Response> {
    Ok(match claim::claim(&state, &request).await? {
        Some(job) => AppJson(job).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

async fn heartbeat(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<HeartbeatRequest>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(report::heartbeat(&state, id, &request).await?))
}

async fn complete_job(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<CompleteRequest>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(report::complete(&state, id, &request).await?))
}

async fn fail_job(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<FailRequest>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(report::fail(&state, id, &request).await?))
}

async fn upload_artifact(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath((id, name)): AppPath<(i64, String)>,
    AppQuery(info): AppQuery<UploadInfo>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, AppJson<ArtifactRecord>)> {
    let lease = headers
        .get(LEASE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::BadRequest(format!("send the lease token in `{LEASE_HEADER}`")))?;
    let artifact = artifacts::store_artifact(&state, id, lease, &info, &name, body).await?;
    Ok((StatusCode::CREATED, AppJson(artifact)))
}

impl From<axum::Error> for Error {
    fn from(err: axum::Error) -> Self {
        Error::BadRequest(format!("the upload broke off: {err}"))
    }
}
