//! Artifacts: files a job produced, by content hash; one row per job and name.

use qbound_shared::{ArtifactKind, ArtifactRecord, ExportBatchSize};
use sqlx::{AnyPool, Row};

use super::{enum_column, found, now_ms};
use crate::error::Result;

fn record(row: &sqlx::any::AnyRow) -> Result<ArtifactRecord> {
    let artifact_id: i64 = row.try_get("artifact_id")?;
    Ok(ArtifactRecord {
        artifact_id,
        run_id: row.try_get("run_id")?,
        job_id: row.try_get("job_id")?,
        kind: enum_column(&row.try_get::<String, _>("kind")?, "kind")?,
        point: row.try_get("point")?,
        batch_size: row
            .try_get::<Option<String>, _>("batch_size")?
            .map(|size| enum_column(&size, "batch_size"))
            .transpose()?,
        name: row.try_get("name")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        content_type: row.try_get("content_type")?,
        created_at: row.try_get("created_at")?,
        download_url: format!("/api/artifacts/{artifact_id}/download"),
    })
}

/// An artifact to record.
#[derive(Debug, Clone)]
pub(crate) struct NewArtifact<'a> {
    pub(crate) run_id: i64,
    pub(crate) job_id: i64,
    pub(crate) kind: ArtifactKind,
    /// The trade-off point it belongs to, if any.
    pub(crate) point: Option<&'a str>,
    /// The batch size of an export or engine.
    pub(crate) batch_size: Option<ExportBatchSize>,
    pub(crate) name: &'a str,
    pub(crate) sha256: &'a str,
    pub(crate) size: i64,
    pub(crate) content_type: &'a str,
}

/// Records an artifact; an upload repeated for the same job and name replaces the row,
/// so a result uploaded twice is stored once.
pub(crate) async fn upsert_artifact(pool: &AnyPool, a: &NewArtifact<'_>) -> Result<ArtifactRecord> {
    let row = sqlx::query(
        "INSERT INTO artifact (run_id, job_id, kind, point, batch_size, name, sha256, size, \
             content_type, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (job_id, name) DO UPDATE SET kind = excluded.kind, point = excluded.point, \
             batch_size = excluded.batch_size, sha256 = excluded.sha256, size = excluded.size, \
             content_type = excluded.content_type RETURNING *",
    )
    .bind(a.run_id)
    .bind(a.job_id)
    .bind(a.kind.as_str())
    .bind(a.point)
    .bind(a.batch_size.map(|size| size.to_string()))
    .bind(a.name)
    .bind(a.sha256)
    .bind(a.size)
    .bind(a.content_type)
    .bind(now_ms())
    .fetch_one(pool)
    .await?;
    record(&row)
}

pub(crate) async fn artifact_by_id(pool: &AnyPool, artifact_id: i64) -> Result<ArtifactRecord> {
    let row = sqlx::query("SELECT * FROM artifact WHERE artifact_id = $1")
        .bind(artifact_id)
        .fetch_optional(pool)
        .await?;
    found(row.as_ref(), record, || format!("artifact {artifact_id}"))
}

pub(crate) async fn artifacts_of_run(pool: &AnyPool, run_id: i64) -> Result<Vec<ArtifactRecord>> {
    let rows = sqlx::query("SELECT * FROM artifact WHERE run_id = $1 ORDER BY artifact_id")
        .bind(run_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}

/// The artifacts of the jobs `job_id` depends on (its inputs).
pub(crate) async fn artifacts_of_dependencies(
    pool: &AnyPool,
    job_id: i64,
) -> Result<Vec<ArtifactRecord>> {
    let rows = sqlx::query(
        "SELECT a.* FROM artifact a JOIN job_dependency d ON d.depends_on_job_id = a.job_id WHERE d.job_id = $1 ORDER BY a.artifact_id",
    )
    .bind(job_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(record).collect()
}

pub(crate) async fn list_artifacts(pool: &AnyPool) -> Result<Vec<ArtifactRecord>> {
    let rows = sqlx::query("SELECT * FROM artifact ORDER BY artifact_id DESC LIMIT 1000")
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}
