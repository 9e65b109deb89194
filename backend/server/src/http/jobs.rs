//! `/api/jobs`: list, get, cancel, retry, live events; and the worker protocol (claim,
//! heartbeat, artifact upload, complete, fail), which needs a `worker` token.

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::{WorkerAccess, WriteAccess};
use crate::db;
use crate::db::Page;
use crate::db::artifacts::{ArtifactRecord, NewArtifact};
use crate::db::jobs::JobRecord;
use crate::error::{AppJson, AppPath, AppQuery, Error, Result};
use crate::events::{Event, job_event};
use crate::jobs::JobState;
use crate::jobs::apply;
use crate::jobs::protocol::{
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

/// A page as a JSON list, with the next page's cursor in `x-next-cursor`.
pub(crate) fn paged<T: serde::Serialize>(page: Page<T>) -> Response {
    let mut response = AppJson(page.items).into_response();
    if let Some(cursor) = page.next_cursor {
        response
            .headers_mut()
            .insert(NEXT_CURSOR, axum::http::HeaderValue::from(cursor));
    }
    response
}

/// The response header naming the next page of a list.
const NEXT_CURSOR: &str = "x-next-cursor";

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
    let job = db::jobs::cancel_job(&state.pool, id).await?;
    apply::announce(&state, std::slice::from_ref(&job)).await?;
    Ok(AppJson(job))
}

async fn retry_job(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<JobRecord>> {
    let job = db::jobs::retry_job(&state.pool, id).await?;
    apply::announce(&state, std::slice::from_ref(&job)).await?;
    Ok(AppJson(job))
}

async fn job_events(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let receiver = state.events.subscribe();
    let job = db::jobs::job_by_id(&state.pool, id).await?;
    Ok(sse(
        receiver,
        job.run_id,
        Some(id),
        vec![job_event(&job)],
        state.shutdown.clone(),
    ))
}

/// The SSE stream of a run (`job_id` None) or one job: the current state first, then live
/// changes, ending after the run or job reaches a final state.
pub(crate) fn event_stream(
    receiver: tokio::sync::broadcast::Receiver<Event>,
    run_id: i64,
    job_id: Option<i64>,
    jobs: Vec<JobRecord>,
    run_status: Option<String>,
    shutdown: tokio_util::sync::CancellationToken,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let mut initial: Vec<Event> = jobs.iter().map(job_event).collect();
    if let Some(status) = run_status {
        initial.push(Event::Run { run_id, status });
    }
    sse(receiver, run_id, job_id, initial, shutdown)
}

fn sse(
    receiver: tokio::sync::broadcast::Receiver<Event>,
    run_id: i64,
    job_id: Option<i64>,
    initial: Vec<Event>,
    shutdown: tokio_util::sync::CancellationToken,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let live = BroadcastStream::new(receiver).filter_map(move |event| {
        let wanted = event
            .ok()
            .filter(|e| e.run_id() == run_id && (job_id.is_none() || e.job_id() == job_id));
        std::future::ready(wanted)
    });
    // The stream ends right after the final event (the job's, or the run's), without
    // waiting for another event to arrive: each event is followed by `None` when final.
    let stream = futures_util::stream::iter(initial)
        .chain(live)
        .flat_map(move |event| {
            let last = match (&event, job_id) {
                (Event::Job { state, .. }, Some(_)) => state.is_terminal(),
                (Event::Run { status, .. }, None) => {
                    ["succeeded", "failed", "cancelled"].contains(&status.as_str())
                }
                _ => false,
            };
            let sse = SseEvent::default()
                .event(event.name())
                .json_data(&event)
                .unwrap_or_else(|_| SseEvent::default().comment("unencodable event"));
            futures_util::stream::iter(std::iter::once(Some(sse)).chain(last.then_some(None)))
        })
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(|item| std::future::ready(item.map(Ok)));
    Sse::new(stream.take_until(shutdown.cancelled_owned())).keep_alive(KeepAlive::default())
}

async fn claim_job(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppJson(request): AppJson<ClaimRequest>,
) -> Result<Response> {
    Ok(match apply::claim(&state, &request).await? {
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
    Ok(AppJson(
        apply::heartbeat(
            &state,
            id,
            &request.lease_token,
            request.progress,
            &request.log,
        )
        .await?,
    ))
}

async fn complete_job(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<CompleteRequest>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(apply::complete(&state, id, &request).await?))
}

async fn fail_job(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<FailRequest>,
) -> Result<AppJson<JobRecord>> {
    Ok(AppJson(apply::fail(&state, id, &request).await?))
}

#[derive(Debug, Deserialize)]
struct ArtifactQuery {
    kind: String,
}

async fn upload_artifact(
    State(state): State<AppState>,
    _access: WorkerAccess,
    AppPath((id, name)): AppPath<(i64, String)>,
    AppQuery(query): AppQuery<ArtifactQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, AppJson<ArtifactRecord>)> {
    let lease = headers
        .get(LEASE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::BadRequest(format!("send the lease token in `{LEASE_HEADER}`")))?;
    let valid_name =
        !name.is_empty() && name.len() <= 100 && crate::archive::sanitize_file_name(&name) == name;
    let valid_kind = [
        "onnx",
        "calibration",
        "calibration-cache",
        "sensitivity",
        "engine",
        "report",
    ]
    .contains(&query.kind.as_str());
    if !valid_name || !valid_kind {
        return Err(Error::BadRequest("artifact names use [A-Za-z0-9._-] (at most 100), kinds onnx, calibration, calibration-cache, sensitivity, engine, report".into()));
    }
    let job = db::jobs::job_by_id(&state.pool, id).await?;
    match db::queue::lease_state(&state.pool, id, lease)
        .await?
        .as_deref()
    {
        Some("running") | Some("succeeded") => {}
        _ => {
            return Err(Error::Conflict(format!(
                "job {id} is no longer held by this lease"
            )));
        }
    }
    let pending = state
        .store
        .receive(body.into_data_stream(), state.settings.max_artifact_bytes)
        .await?;
    let info = state.store.commit(pending)?;
    let content_type = content_type_of(&name);
    let artifact = NewArtifact {
        run_id: job.run_id,
        job_id: id,
        kind: &query.kind,
        name: &name,
        sha256: &info.sha256,
        size: info.size as i64,
        content_type,
    };
    Ok((
        StatusCode::CREATED,
        AppJson(db::artifacts::upsert_artifact(&state.pool, &artifact).await?),
    ))
}

fn content_type_of(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("json") => "application/json",
        Some("txt") | Some("cache") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl From<axum::Error> for Error {
    fn from(err: axum::Error) -> Self {
        Error::BadRequest(format!("the upload broke off: {err}"))
    }
}
