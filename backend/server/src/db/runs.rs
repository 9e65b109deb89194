//! Runs: one experiment's configuration, status, tags and notes; created with its jobs,
//! layer rows and trade-off points in one transaction.

use qbound_shared::{FLOAT_LABEL, LayerInfo, RunConfig, RunRecord};
use serde::Deserialize;
use sqlx::{AnyConnection, AnyPool, Row};

use super::{Dialect, Page, found, json_column, now_ms, to_json};
use crate::error::{Error, Result};
use crate::run::config::point_labels;
use crate::run::plan::PlannedJob;

fn record(row: &sqlx::any::AnyRow) -> Result<RunRecord> {
    Ok(RunRecord {
        run_id: row.try_get("run_id")?,
        name: row.try_get("name")?,
        model_id: row.try_get("model_id")?,
        calibration_dataset_id: row.try_get("calibration_dataset_id")?,
        validation_dataset_id: row.try_get("validation_dataset_id")?,
        config: json_column(&row.try_get::<String, _>("config")?, "config")?,
        status: row.try_get("status")?,
        tags: json_column(&row.try_get::<String, _>("tags")?, "tags")?,
        notes: row.try_get("notes")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        sensitivity_split_half: row.try_get("sensitivity_split_half")?,
        sensitivity_reliability: row.try_get("sensitivity_reliability")?,
        recommended: None,
    })
}

/// Inserts a run, its jobs and dependencies, its layer rows and its trade-off points.
pub(crate) async fn create_run(
    pool: &AnyPool,
    name: &str,
    config: &RunConfig,
    layers: &[LayerInfo],
    plan: &[PlannedJob],
    max_attempts: i64,
) -> Result<i64> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO run (name, model_id, calibration_dataset_id, validation_dataset_id, config, status, tags, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8) RETURNING run_id",
    )
    .bind(name)
    .bind(config.model_id)
    .bind(config.calibration_dataset_id)
    .bind(config.validation_dataset_id)
    .bind(to_json(config)?)
    .bind(to_json(&config.tags)?)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut job_ids = Vec::with_capacity(plan.len());
    for job in plan {
        let job_id: i64 = sqlx::query_scalar(
            "INSERT INTO job (run_id, kind, label, params, capability, state, max_attempts, created_at, queued_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8) RETURNING job_id",
        )
        .bind(run_id)
        .bind(job.kind.as_str())
        .bind(&job.label)
        .bind(to_json(&job.params)?)
        .bind(job.capability.as_str())
        .bind(max_attempts)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for &dep in &job.depends_on {
            let depends_on = *job_ids
                .get(dep)
                .ok_or_else(|| Error::Internal("a job depends on a later one".into()))?;
            sqlx::query("INSERT INTO job_dependency (job_id, depends_on_job_id) VALUES ($1, $2)")
                .bind(job_id)
                .bind(depends_on)
                .execute(&mut *tx)
                .await?;
        }
        job_ids.push(job_id);
    }
    for layer in layers {
        sqlx::query("INSERT INTO layer_result (run_id, position, name, op, parameters) VALUES ($1, $2, $3, $4, $5)")
            .bind(run_id)
            .bind(layer.position as i64)
            .bind(&layer.name)
            .bind(&layer.op)
            .bind(layer.parameters as i64)
            .execute(&mut *tx)
            .await?;
    }
    let labels = std::iter::once(FLOAT_LABEL.to_owned()).chain(point_labels(config));
    for label in labels {
        sqlx::query("INSERT INTO tradeoff_point (run_id, label) VALUES ($1, $2)")
            .bind(run_id)
            .bind(label)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(run_id)
}

pub(crate) async fn run_by_id(pool: &AnyPool, run_id: i64) -> Result<RunRecord> {
    let row = sqlx::query("SELECT * FROM run WHERE run_id = $1")
        .bind(run_id)
        .fetch_optional(pool)
        .await?;
    found(row.as_ref(), record, || format!("run {run_id}"))
}

/// Filters and order for listing runs.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RunFilter {
    /// Only runs in this status.
    pub(crate) status: Option<String>,
    /// Only runs of this model.
    pub(crate) model_id: Option<i64>,
    /// Only runs with this tag.
    pub(crate) tag: Option<String>,
    /// Only runs whose name contains this.
    pub(crate) q: Option<String>,
    /// `created_at` (default), `updated_at`, `name` or `status`; prefix `-` for descending.
    pub(crate) sort: Option<String>,
    /// At most this many (default 100, at most 500).
    pub(crate) limit: Option<i64>,
    /// Continue after this run (the `x-next-cursor` of the previous page).
    pub(crate) cursor: Option<i64>,
}

/// One page of runs, filtered and sorted; pages continue by the last run's id.
pub(crate) async fn list_runs(pool: &AnyPool, filter: &RunFilter) -> Result<Page<RunRecord>> {
    let sort = filter.sort.as_deref().unwrap_or("-created_at");
    let (column, descending) = match sort.strip_prefix('-') {
        Some(column) => (column, true),
        None => (sort, false),
    };
    if !["created_at", "updated_at", "name", "status", "run_id"].contains(&column) {
        return Err(Error::BadRequest(format!(
            "cannot sort by `{column}`: use created_at, updated_at, name or status"
        )));
    }
    let (direction, past) = if descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let limit = filter.limit.unwrap_or(100).clamp(1, 500);
    let dialect = Dialect::of_pool(pool);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM run WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR model_id = $2) \
         AND ($3 IS NULL OR EXISTS (SELECT 1 FROM {tags} WHERE value = $3)) \
         AND ($4 IS NULL OR {named}) \
         AND ($6 IS NULL OR ({column}, run_id) {past} ((SELECT {column} FROM run WHERE run_id = $6), $6)) \
         ORDER BY {column} {direction}, run_id {direction} LIMIT $5",
        tags = dialect.json_strings("run.tags"),
        named = dialect.contains("lower(name)", "lower($4)"),
    )))
    .bind(&filter.status)
    .bind(filter.model_id)
    .bind(&filter.tag)
    .bind(&filter.q)
    .bind(limit)
    .bind(filter.cursor)
    .fetch_all(pool)
    .await?;
    let runs = rows.iter().map(record).collect::<Result<Vec<_>>>()?;
    Ok(Page::new(runs, limit, |r| r.run_id))
}

pub(crate) async fn update_run(
    pool: &AnyPool,
    run_id: i64,
    tags: Option<&[String]>,
    notes: Option<&str>,
) -> Result<RunRecord> {
    let tags = tags.map(|t| to_json(&t)).transpose()?;
    let done = sqlx::query(
        "UPDATE run SET tags = coalesce($1, tags), notes = coalesce($2, notes), updated_at = $3 WHERE run_id = $4",
    )
    .bind(tags)
    .bind(notes)
    .bind(now_ms())
    .bind(run_id)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("run {run_id}")));
    }
    run_by_id(pool, run_id).await
}

/// Records how reliable the run's sensitivity ranking is.
pub(crate) async fn set_sensitivity_reliability(
    conn: &mut AnyConnection,
    run_id: i64,
    split_half: Option<f64>,
    reliability: Option<f64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE run SET sensitivity_split_half = $1, sensitivity_reliability = $2 WHERE run_id = $3",
    )
    .bind(split_half)
    .bind(reliability)
    .bind(run_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a run with its jobs and results; refused while one of its jobs runs.
pub(crate) async fn delete_run(pool: &AnyPool, run_id: i64) -> Result<()> {
    let done = sqlx::query(
        "DELETE FROM run WHERE run_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM job WHERE run_id = $1 AND state = 'running')",
    )
    .bind(run_id)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        run_by_id(pool, run_id).await?;
        return Err(Error::Conflict(format!(
            "run {run_id} has a running job; cancel the run first (`POST /api/runs/{run_id}/cancel`)"
        )));
    }
    Ok(())
}
