//! Uploaded models.

use qbound_shared::{LayerInfo, ModelRecord};
use sqlx::{Row, SqlitePool};

use super::{found, json_column, now_ms, to_json};
use crate::error::{Error, Result};

/// A model about to be inserted.
#[derive(Debug, Clone)]
pub(crate) struct NewModel {
    pub(crate) name: String,
    pub(crate) sha256: String,
    pub(crate) size: i64,
    pub(crate) opset: Option<i64>,
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) layers: Vec<LayerInfo>,
}

fn record(row: &sqlx::sqlite::SqliteRow) -> Result<ModelRecord> {
    Ok(ModelRecord {
        model_id: row.try_get("model_id")?,
        name: row.try_get("name")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        opset: row.try_get("opset")?,
        inputs: json_column(&row.try_get::<String, _>("inputs")?, "inputs")?,
        outputs: json_column(&row.try_get::<String, _>("outputs")?, "outputs")?,
        layers: json_column(&row.try_get::<String, _>("layers")?, "layers")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn insert_model(pool: &SqlitePool, model: &NewModel) -> Result<ModelRecord> {
    let row = sqlx::query(
        "INSERT INTO model (name, sha256, size, opset, inputs, outputs, layers, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(&model.name)
    .bind(&model.sha256)
    .bind(model.size)
    .bind(model.opset)
    .bind(to_json(&model.inputs)?)
    .bind(to_json(&model.outputs)?)
    .bind(to_json(&model.layers)?)
    .bind(now_ms())
    .fetch_one(pool)
    .await?;
    record(&row)
}

pub(crate) async fn list_models(pool: &SqlitePool) -> Result<Vec<ModelRecord>> {
    let rows = sqlx::query("SELECT * FROM model ORDER BY model_id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}

pub(crate) async fn model_by_id(pool: &SqlitePool, model_id: i64) -> Result<ModelRecord> {
    let row = sqlx::query("SELECT * FROM model WHERE model_id = ?")
        .bind(model_id)
        .fetch_optional(pool)
        .await?;
    found(row.as_ref(), record, || format!("model {model_id}"))
}

pub(crate) async fn count_models(pool: &SqlitePool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM model")
        .fetch_one(pool)
        .await?)
}

pub(crate) async fn delete_model(pool: &SqlitePool, model_id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM model WHERE model_id = ?")
        .bind(model_id)
        .execute(pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::Conflict(format!(
                "model {model_id} is used by runs; delete them first"
            )),
            _ => Error::Database(e),
        })?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("model {model_id}")));
    }
    Ok(())
}
