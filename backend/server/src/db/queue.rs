//! The queue protocol in SQL: claim with a lease, heartbeat, complete, fail with retries,
//! requeue lapsed leases, and the run status that follows from its jobs.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use qbound_shared::JobRecord;

use super::jobs::job_by_id;
use super::{Dialect, now_ms, to_json};
use crate::error::{Error, Result};
use crate::run::protocol::FailOutcome;
use qbound_shared::Capability;

/// Claims the oldest queued job whose capability the worker has and whose dependencies
/// all succeeded; returns it with its new lease token.
pub(crate) async fn claim_job(
    pool: &AnyPool,
    worker_name: &str,
    capabilities: &[Capability],
    lease_ms: i64,
) -> Result<Option<(JobRecord, String)>> {
    let capabilities: Vec<&str> = capabilities.iter().map(|c| c.as_str()).collect();
    let lease_token = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let dialect = Dialect::of_pool(pool);
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE job SET state = 'running', worker_name = $1, lease_token = $2, lease_expires_at = $3, \
             attempts = attempts + 1, started_at = $4, progress = 0 \
         WHERE state = 'queued' AND job_id = (SELECT j.job_id FROM job j \
             WHERE j.state = 'queued' AND j.capability IN (SELECT value FROM {}) \
             AND NOT EXISTS (SELECT 1 FROM job_dependency d JOIN job p ON p.job_id = d.depends_on_job_id \
                             WHERE d.job_id = j.job_id AND p.state != 'succeeded') \
             ORDER BY j.queued_at, j.job_id LIMIT 1{}) \
         RETURNING job_id",
        dialect.json_strings("$5"),
        dialect.skip_locked(),
    )))
    .bind(worker_name)
    .bind(&lease_token)
    .bind(now + lease_ms)
    .bind(now)
    .bind(to_json(&capabilities)?)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(row) => Ok(Some((
            job_by_id(pool, row.try_get("job_id")?).await?,
            lease_token,
        ))),
        None => Ok(None),
    }
}

/// Extends the lease and records progress and log lines; an error when the lease is gone
/// (lapsed, or the job was cancelled).
pub(crate) async fn heartbeat(
    pool: &AnyPool,
    job_id: i64,
    lease_token: &str,
    progress: f64,
    log: &[String],
    lease_ms: i64,
) -> Result<JobRecord> {
    let appended: String = log.iter().map(|l| format!("{l}\n")).collect();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE job SET lease_expires_at = $1, progress = $2, log = {} \
         WHERE job_id = $4 AND lease_token = $5 AND state = 'running'",
        Dialect::of_pool(pool).tail("log || $3", 65536)
    )))
    .bind(now_ms() + lease_ms)
    .bind(progress.clamp(0.0, 1.0))
    .bind(appended)
    .bind(job_id)
    .bind(lease_token)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(lease_lost(pool, job_id).await);
    }
    job_by_id(pool, job_id).await
}

async fn lease_lost(pool: &AnyPool, job_id: i64) -> Error {
    match job_by_id(pool, job_id).await {
        Ok(job) => Error::Conflict(format!(
            "job {job_id} is no longer held by this lease (it is {})",
            job.state
        )),
        Err(err) => err,
    }
}

/// Whether `lease_token` holds the running job, or held it when it succeeded.
pub(crate) async fn lease_state(
    pool: &AnyPool,
    job_id: i64,
    lease_token: &str,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT state FROM job WHERE job_id = $1 AND lease_token = $2")
        .bind(job_id)
        .bind(lease_token)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.try_get("state")).transpose()?)
}

/// Marks a held job succeeded with its result; false when it had already succeeded under
/// the same lease (a repeated completion), an error when the lease is gone.
pub(crate) async fn complete_job(
    conn: &mut AnyConnection,
    job_id: i64,
    lease_token: &str,
    result: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE job SET state = 'succeeded', progress = 1, result = $1, error = NULL, finished_at = $2, lease_expires_at = NULL \
         WHERE job_id = $3 AND lease_token = $4 AND state = 'running'",
    )
    .bind(result)
    .bind(now_ms())
    .bind(job_id)
    .bind(lease_token)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM job WHERE job_id = $1 AND lease_token = $2")
            .bind(job_id)
            .bind(lease_token)
            .fetch_optional(&mut *conn)
            .await?;
    match state.as_deref() {
        Some("succeeded") => Ok(false),
        _ => Err(Error::Conflict(format!(
            "job {job_id} is no longer held by this lease"
        ))),
    }
}

/// Records a failed attempt: back to the queue while attempts remain (`retry`), failed at
/// once (`permanent`), or back to the queue without using up the attempt (`released`).
pub(crate) async fn fail_job(
    pool: &AnyPool,
    job_id: i64,
    lease_token: &str,
    error: &str,
    outcome: FailOutcome,
) -> Result<JobRecord> {
    let done = sqlx::query(
        "UPDATE job SET \
             error = CASE WHEN $5 = 'released' THEN error ELSE $1 END, \
             log = log || CASE WHEN $5 = 'released' THEN 'released by its worker: ' ELSE 'attempt failed: ' END || $1 || '\n', \
             attempts = CASE WHEN $5 = 'released' AND attempts > 0 THEN attempts - 1 ELSE attempts END, \
             lease_token = NULL, lease_expires_at = NULL, worker_name = NULL, \
             state = CASE WHEN $5 = 'released' OR ($5 = 'retry' AND attempts < max_attempts) THEN 'queued' ELSE 'failed' END, \
             queued_at = CASE WHEN $5 = 'released' OR ($5 = 'retry' AND attempts < max_attempts) THEN $2 ELSE queued_at END, \
             finished_at = CASE WHEN $5 = 'released' OR ($5 = 'retry' AND attempts < max_attempts) THEN NULL ELSE $2 END \
         WHERE job_id = $3 AND lease_token = $4 AND state = 'running'",
    )
    .bind(error)
    .bind(now_ms())
    .bind(job_id)
    .bind(lease_token)
    .bind(outcome.as_str())
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(lease_lost(pool, job_id).await);
    }
    job_by_id(pool, job_id).await
}

/// Returns running jobs whose lease lapsed to the queue (or fails them when out of
/// attempts); gives back the jobs changed.
pub(crate) async fn requeue_lapsed(pool: &AnyPool) -> Result<Vec<JobRecord>> {
    let now = now_ms();
    let rows = sqlx::query(
        "UPDATE job SET lease_token = NULL, lease_expires_at = NULL, worker_name = NULL, \
             log = log || 'lease of ' || coalesce(worker_name, '?') || ' lapsed\n', \
             error = CASE WHEN attempts < max_attempts THEN error ELSE 'the lease lapsed on the last attempt' END, \
             state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
             queued_at = $1, finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE $1 END \
         WHERE state = 'running' AND lease_expires_at < $1 RETURNING job_id",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    jobs_of_rows(pool, &rows).await
}

/// The jobs whose ids `rows` return in their `job_id` column.
async fn jobs_of_rows(pool: &AnyPool, rows: &[AnyRow]) -> Result<Vec<JobRecord>> {
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        jobs.push(job_by_id(pool, row.try_get("job_id")?).await?);
    }
    Ok(jobs)
}

/// Cancels the queued jobs of a run that depend (transitively) on a failed or cancelled one.
pub(crate) async fn abandon_dependents(pool: &AnyPool, run_id: i64) -> Result<Vec<JobRecord>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE blocked(id) AS ( \
             SELECT d.job_id FROM job_dependency d JOIN job p ON p.job_id = d.depends_on_job_id \
             WHERE p.run_id = $1 AND p.state IN ('failed', 'cancelled') \
             UNION SELECT d.job_id FROM job_dependency d JOIN blocked ON d.depends_on_job_id = blocked.id) \
         UPDATE job SET state = 'cancelled', error = 'a job it depends on did not succeed', finished_at = $2 \
         WHERE job_id IN (SELECT id FROM blocked) AND state = 'queued' RETURNING {}",
        "job_id"
    )))
    .bind(run_id)
    .bind(now_ms())
    .fetch_all(pool)
    .await?;
    jobs_of_rows(pool, &rows).await
}

/// Sets a run's status from its jobs and returns it.
pub(crate) async fn refresh_run_status(pool: &AnyPool, run_id: i64) -> Result<String> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM job WHERE run_id = $1 GROUP BY state")
        .bind(run_id)
        .fetch_all(pool)
        .await?;
    let mut count = std::collections::HashMap::new();
    for row in &rows {
        count.insert(
            row.try_get::<String, _>("state")?,
            row.try_get::<i64, _>("n")?,
        );
    }
    let n = |s: &str| count.get(s).copied().unwrap_or(0);
    let status = if n("running") > 0 || (n("queued") > 0 && n("succeeded") > 0) {
        "running"
    } else if n("queued") > 0 {
        "queued"
    } else if n("failed") > 0 {
        "failed"
    } else if n("cancelled") > 0 {
        "cancelled"
    } else {
        "succeeded"
    };
    sqlx::query("UPDATE run SET status = $1, updated_at = $2 WHERE run_id = $3")
        .bind(status)
        .bind(now_ms())
        .bind(run_id)
        .execute(pool)
        .await?;
    Ok(status.to_owned())
}
