//! A user stopping or restarting work: cancelling a job or a whole run, retrying a job.

use qbound_shared::{JobRecord, RunRecord};

use super::announce::announce;
use crate::db;
use crate::error::Result;
use crate::state::AppState;

/// Cancels a queued or running job (a running one's worker learns at its next heartbeat).
pub(crate) async fn cancel_job(state: &AppState, job_id: i64) -> Result<JobRecord> {
    let job = db::jobs::cancel_job(&state.pool, job_id).await?;
    announce(state, std::slice::from_ref(&job)).await?;
    Ok(job)
}

/// Puts a failed or cancelled job back in the queue, with the jobs abandoned because of it.
pub(crate) async fn retry_job(state: &AppState, job_id: i64) -> Result<JobRecord> {
    let job = db::jobs::retry_job(&state.pool, job_id).await?;
    announce(state, std::slice::from_ref(&job)).await?;
    Ok(job)
}

/// Cancels every job of the run that is not finished, and returns the run as it now stands.
pub(crate) async fn cancel_run(state: &AppState, run_id: i64) -> Result<RunRecord> {
    let mut changed = Vec::new();
    for job in db::jobs::list_jobs(&state.pool, Some(run_id), None).await? {
        if !job.state.is_terminal() {
            changed.push(db::jobs::cancel_job(&state.pool, job.job_id).await?);
        }
    }
    announce(state, &changed).await?;
    db::queue::refresh_run_status(&state.pool, run_id).await?;
    db::runs::run_by_id(&state.pool, run_id).await
}
