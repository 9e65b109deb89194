//! What a worker reports about a job it holds: heartbeats, its completion, a failure.

use qbound_shared::JobRecord;

use super::announce::announce;
use super::results::record_result;
use crate::db;
use crate::error::{Error, Result};
use crate::run::protocol::{CompleteRequest, FailRequest, HeartbeatRequest, JobParams};
use crate::state::AppState;

/// The longest error message a worker may record.
const MAX_ERROR_CHARS: usize = 4000;

/// Records a heartbeat: progress, new log lines, and a longer lease.
pub(crate) async fn heartbeat(
    state: &AppState,
    job_id: i64,
    request: &HeartbeatRequest,
) -> Result<JobRecord> {
    let job = db::queue::heartbeat(
        &state.pool,
        job_id,
        &request.lease_token,
        request.progress,
        &request.log,
        state.settings.lease.as_millis() as i64,
    )
    .await?;
    state.events.publish_job(&job);
    Ok(job)
}

/// Records a completion and its result; a repeated completion under the same lease changes
/// nothing.
pub(crate) async fn complete(
    state: &AppState,
    job_id: i64,
    request: &CompleteRequest,
) -> Result<JobRecord> {
    let job = db::jobs::job_by_id(&state.pool, job_id).await?;
    let params: JobParams = db::jobs::job_params(&state.pool, job_id).await?;
    if request.result.kind() != job.kind {
        return Err(Error::Unprocessable(format!(
            "job {job_id} is a `{}` job; its result must be of that kind",
            job.kind
        )));
    }
    let result_text = db::to_json(&request.result)?;
    let mut tx = state.pool.begin().await?;
    let first =
        db::queue::complete_job(&mut tx, job_id, &request.lease_token, &result_text).await?;
    if first {
        record_result(&mut tx, &job, &params, &request.result).await?;
    }
    tx.commit().await?;
    let job = db::jobs::job_by_id(&state.pool, job_id).await?;
    if first {
        announce(state, std::slice::from_ref(&job)).await?;
    }
    Ok(job)
}

/// Records a failed attempt.
pub(crate) async fn fail(
    state: &AppState,
    job_id: i64,
    request: &FailRequest,
) -> Result<JobRecord> {
    let error: String = request.error.chars().take(MAX_ERROR_CHARS).collect();
    let job = db::queue::fail_job(
        &state.pool,
        job_id,
        &request.lease_token,
        &error,
        request.outcome,
    )
    .await?;
    announce(state, std::slice::from_ref(&job)).await?;
    Ok(job)
}
