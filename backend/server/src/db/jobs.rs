//! Job records: reading them, and the user's changes (cancel, retry).

use qbound_shared::{JobRecord, JobState};
use sqlx::{AnyPool, Row};

use super::{Dialect, Page, enum_column, found, json_column, now_ms};
use crate::error::{Error, Result};
use crate::run::protocol::JobParams;

/// A job's columns with the ids it depends on (`depends_on`, joined by commas).
fn job_columns(dialect: Dialect) -> String {
    format!("job.*, {}", depends_on_column(dialect))
}

/// The ids job `job.job_id` depends on, joined by commas, as column `depends_on`.
fn depends_on_column(dialect: Dialect) -> String {
    format!(
        "(SELECT {} FROM job_dependency d WHERE d.job_id = job.job_id) AS depends_on",
        dialect.join_ids("depends_on_job_id")
    )
}

pub(crate) fn record(row: &sqlx::any::AnyRow) -> Result<JobRecord> {
    let depends_on: Option<String> = row.try_get("depends_on")?;
    let result: Option<String> = row.try_get("result")?;
    Ok(JobRecord {
        job_id: row.try_get("job_id")?,
        run_id: row.try_get("run_id")?,
        kind: enum_column(&row.try_get::<String, _>("kind")?, "kind")?,
        label: row.try_get("label")?,
        capability: enum_column(&row.try_get::<String, _>("capability")?, "capability")?,
        state: enum_column(&row.try_get::<String, _>("state")?, "state")?,
        progress: row.try_get("progress")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        worker_name: row.try_get("worker_name")?,
        result: result.map(|r| json_column(&r, "result")).transpose()?,
        error: row.try_get("error")?,
        log: row.try_get("log")?,
        depends_on: depends_on
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect(),
        created_at: row.try_get("created_at")?,
        queued_at: row.try_get("queued_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

pub(crate) async fn job_by_id(pool: &AnyPool, job_id: i64) -> Result<JobRecord> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM job WHERE job_id = $1",
        job_columns(Dialect::of_pool(pool))
    )))
    .bind(job_id)
    .fetch_optional(pool)
    .await?;
    found(row.as_ref(), record, || format!("job {job_id}"))
}

/// Jobs, optionally of one run and in one state, oldest first.
pub(crate) async fn list_jobs(
    pool: &AnyPool,
    run_id: Option<i64>,
    state: Option<JobState>,
) -> Result<Vec<JobRecord>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM job WHERE ($1 IS NULL OR run_id = $1) AND ($2 IS NULL OR state = $2) ORDER BY job_id",
        job_columns(Dialect::of_pool(pool))
    )))
    .bind(run_id)
    .bind(state.map(JobState::as_str))
    .fetch_all(pool)
    .await?;
    rows.iter().map(record).collect()
}

/// The columns of a job in lists: everything but its log, which is read by its own route.
const JOB_SUMMARY_COLUMNS: &str = "job_id, run_id, kind, label, capability, state, progress, \
     attempts, max_attempts, worker_name, result, error, '' AS log, created_at, queued_at, \
     started_at, finished_at";

/// One page of jobs (without their logs), optionally of one run and in one state, oldest
/// first, after the job `cursor`.
pub(crate) async fn list_job_summaries(
    pool: &AnyPool,
    run_id: Option<i64>,
    state: Option<JobState>,
    cursor: Option<i64>,
    limit: Option<i64>,
) -> Result<Page<JobRecord>> {
    let limit = limit.unwrap_or(100).clamp(1, 500);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_SUMMARY_COLUMNS}, {} FROM job WHERE ($1 IS NULL OR run_id = $1) \
         AND ($2 IS NULL OR state = $2) AND ($3 IS NULL OR job_id > $3) ORDER BY job_id LIMIT $4",
        depends_on_column(Dialect::of_pool(pool))
    )))
    .bind(run_id)
    .bind(state.map(JobState::as_str))
    .bind(cursor)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let jobs = rows.iter().map(record).collect::<Result<Vec<_>>>()?;
    Ok(Page::new(jobs, limit, |j| j.job_id))
}

/// The parameters a job was created with.
pub(crate) async fn job_params(pool: &AnyPool, job_id: i64) -> Result<JobParams> {
    let text: String = sqlx::query_scalar("SELECT params FROM job WHERE job_id = $1")
        .bind(job_id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("job {job_id}")))?;
    json_column(&text, "params")
}

/// A job's log.
pub(crate) async fn job_log(pool: &AnyPool, job_id: i64) -> Result<String> {
    sqlx::query_scalar("SELECT log FROM job WHERE job_id = $1")
        .bind(job_id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("job {job_id}")))
}

/// Runs `update` (an UPDATE of job `$2` at time `$1`, guarded by the states the job may
/// leave) and returns the job; when it was in none of them, a conflict that `refused` words
/// from its state.
async fn change_state(
    pool: &AnyPool,
    job_id: i64,
    update: &'static str,
    refused: impl FnOnce(JobState) -> String,
) -> Result<JobRecord> {
    let done = sqlx::query(update)
        .bind(now_ms())
        .bind(job_id)
        .execute(pool)
        .await?;
    let job = job_by_id(pool, job_id).await?;
    if done.rows_affected() == 0 {
        return Err(Error::Conflict(refused(job.state)));
    }
    Ok(job)
}

/// Cancels a queued or running job (a running one's worker learns at its next heartbeat).
pub(crate) async fn cancel_job(pool: &AnyPool, job_id: i64) -> Result<JobRecord> {
    change_state(
        pool,
        job_id,
        "UPDATE job SET state = 'cancelled', lease_token = NULL, lease_expires_at = NULL, finished_at = $1 \
         WHERE job_id = $2 AND state IN ('queued', 'running')",
        |state| format!("job {job_id} is {state} and cannot be cancelled"),
    )
    .await
}

/// Puts a failed or cancelled job back in the queue with a fresh set of attempts, and the
/// jobs that were abandoned because of it.
pub(crate) async fn retry_job(pool: &AnyPool, job_id: i64) -> Result<JobRecord> {
    let job = change_state(
        pool,
        job_id,
        "UPDATE job SET state = 'queued', attempts = 0, error = NULL, progress = 0, queued_at = $1, finished_at = NULL \
         WHERE job_id = $2 AND state IN ('failed', 'cancelled')",
        |state| format!("job {job_id} is {state}; only failed or cancelled jobs can be retried"),
    )
    .await?;
    sqlx::query(
        "WITH RECURSIVE downstream(id) AS (SELECT job_id FROM job_dependency WHERE depends_on_job_id = $1 \
           UNION SELECT d.job_id FROM job_dependency d JOIN downstream ON d.depends_on_job_id = downstream.id) \
         UPDATE job SET state = 'queued', attempts = 0, error = NULL, queued_at = $2, finished_at = NULL \
         WHERE job_id IN (SELECT id FROM downstream) AND state = 'cancelled'",
    )
    .bind(job_id)
    .bind(now_ms())
    .execute(pool)
    .await?;
    Ok(job)
}

/// Counts of jobs by state, for metrics.
pub(crate) async fn count_by_state(pool: &AnyPool) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM job GROUP BY state")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect()
}
