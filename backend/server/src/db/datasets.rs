//! Uploaded datasets (a normalised tar of images and optional COCO annotations).

use qbound_shared::DatasetRecord;
use sqlx::{Row, SqlitePool};

use super::{delete_unless_used, found, now_ms};
use crate::error::Result;

fn record(row: &sqlx::sqlite::SqliteRow) -> Result<DatasetRecord> {
    Ok(DatasetRecord {
        dataset_id: row.try_get("dataset_id")?,
        name: row.try_get("name")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        image_count: row.try_get("image_count")?,
        has_annotations: row.try_get("has_annotations")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn insert_dataset(
    pool: &SqlitePool,
    name: &str,
    sha256: &str,
    size: i64,
    image_count: i64,
    has_annotations: bool,
) -> Result<DatasetRecord> {
    let row = sqlx::query(
        "INSERT INTO dataset (name, sha256, size, image_count, has_annotations, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(name)
    .bind(sha256)
    .bind(size)
    .bind(image_count)
    .bind(has_annotations)
    .bind(now_ms())
    .fetch_one(pool)
    .await?;
    record(&row)
}

pub(crate) async fn list_datasets(pool: &SqlitePool) -> Result<Vec<DatasetRecord>> {
    let rows = sqlx::query("SELECT * FROM dataset ORDER BY dataset_id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}

pub(crate) async fn dataset_by_id(pool: &SqlitePool, dataset_id: i64) -> Result<DatasetRecord> {
    let row = sqlx::query("SELECT * FROM dataset WHERE dataset_id = ?")
        .bind(dataset_id)
        .fetch_optional(pool)
        .await?;
    found(row.as_ref(), record, || format!("dataset {dataset_id}"))
}

/// Deletes dataset `dataset_id`; a 409 while a run uses it.
pub(crate) async fn delete_dataset(pool: &SqlitePool, dataset_id: i64) -> Result<()> {
    delete_unless_used(
        pool,
        "DELETE FROM dataset WHERE dataset_id = ?",
        "dataset",
        dataset_id,
    )
    .await
}
