//! Uploaded datasets (a normalised tar of images and optional COCO annotations).

use qbound_shared::DatasetRecord;
use sqlx::{AnyPool, Row};

use super::{delete_unless_used, found, now_ms};
use crate::error::Result;

fn record(row: &sqlx::any::AnyRow) -> Result<DatasetRecord> {
    Ok(DatasetRecord {
        dataset_id: row.try_get("dataset_id")?,
        name: row.try_get("name")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        image_count: row.try_get("image_count")?,
        has_annotations: row.try_get::<i64, _>("has_annotations")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn insert_dataset(
    pool: &AnyPool,
    name: &str,
    sha256: &str,
    size: i64,
    image_count: i64,
    has_annotations: bool,
) -> Result<DatasetRecord> {
    let row = sqlx::query(
        "INSERT INTO dataset (name, sha256, size, image_count, has_annotations, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    )
    .bind(name)
    .bind(sha256)
    .bind(size)
    .bind(image_count)
    .bind(i64::from(has_annotations))
    .bind(now_ms())
    .fetch_one(pool)
    .await?;
    record(&row)
}

pub(crate) async fn list_datasets(pool: &AnyPool) -> Result<Vec<DatasetRecord>> {
    let rows = sqlx::query("SELECT * FROM dataset ORDER BY dataset_id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}

pub(crate) async fn dataset_by_id(pool: &AnyPool, dataset_id: i64) -> Result<DatasetRecord> {
    let row = sqlx::query("SELECT * FROM dataset WHERE dataset_id = $1")
        .bind(dataset_id)
        .fetch_optional(pool)
        .await?;
    found(row.as_ref(), record, || format!("dataset {dataset_id}"))
}

/// Deletes dataset `dataset_id`; a 409 while a run uses it.
pub(crate) async fn delete_dataset(pool: &AnyPool, dataset_id: i64) -> Result<()> {
    delete_unless_used(
        pool,
        "DELETE FROM dataset WHERE dataset_id = $1",
        "dataset",
        dataset_id,
    )
    .await
}
