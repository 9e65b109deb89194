//! A worker claiming the next job it can run, with its lease and inputs.

use crate::db;
use crate::error::{Error, Result};
use crate::run::protocol::{ClaimRequest, ClaimedJob, JobParams};
use crate::state::AppState;

use super::announce::{announce, requeue_lapsed};
use super::inputs::job_inputs;

/// Hands the next job the worker can run to it, with its inputs; `None` when there is none.
pub(crate) async fn claim(state: &AppState, request: &ClaimRequest) -> Result<Option<ClaimedJob>> {
    if request.worker_name.trim().is_empty()
        || request.worker_name.len() > 100
        || request.capabilities.is_empty()
    {
        return Err(Error::BadRequest(
            "a claim needs a worker name (1-100 characters) and capabilities".into(),
        ));
    }
    requeue_lapsed(state).await?;
    db::workers::touch_worker(&state.pool, &request.worker_name, &request.capabilities).await?;
    let Some((job, lease_token)) = db::queue::claim_job(
        &state.pool,
        &request.worker_name,
        &request.capabilities,
        state.settings.lease.as_millis() as i64,
    )
    .await?
    else {
        return Ok(None);
    };
    announce(state, std::slice::from_ref(&job)).await?;
    let params: JobParams = db::jobs::job_params(&state.pool, job.job_id).await?;
    let inputs = job_inputs(state, &job, &params).await?;
    Ok(Some(ClaimedJob {
        job_id: job.job_id,
        run_id: job.run_id,
        kind: job.kind,
        label: job.label,
        lease_token,
        lease_seconds: state.settings.lease.as_secs_f64(),
        params,
        inputs,
    }))
}
