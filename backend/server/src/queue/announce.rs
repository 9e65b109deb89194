//! Telling the event bus (and the metrics) what changed: the jobs, the jobs abandoned
//! because of them, and their runs' status.

use qbound_shared::JobRecord;

use crate::db;
use crate::error::Result;
use crate::state::AppState;

/// Announces jobs that changed, abandons the jobs that now cannot run, and announces the
/// status of their runs: a run's final event comes after its last job's own, so a client
/// that stops listening there misses no job.
pub(super) async fn announce(state: &AppState, jobs: &[JobRecord]) -> Result<()> {
    for job in jobs {
        state.events.publish_job(job);
        state.metrics.observe_transition(job);
    }
    let mut runs: Vec<i64> = jobs.iter().map(|j| j.run_id).collect();
    runs.dedup();
    for run_id in runs {
        for job in db::queue::abandon_dependents(&state.pool, run_id).await? {
            state.events.publish_job(&job);
        }
        let status = db::queue::refresh_run_status(&state.pool, run_id).await?;
        state.events.publish_run(run_id, &status);
    }
    Ok(())
}

/// Requeues lapsed leases and announces the change; how many jobs went back.
pub(crate) async fn requeue_lapsed(state: &AppState) -> Result<usize> {
    let jobs = db::queue::requeue_lapsed(&state.pool).await?;
    announce(state, &jobs).await?;
    Ok(jobs.len())
}
