//! Uploaded models.

use qbound_shared::{LayerInfo, ModelRecord, TensorInfo};
use sqlx::{AnyPool, Row};

use super::{delete_unless_used, found, json_column, now_ms, to_json};
use crate::error::Result;

/// A model about to be inserted.
#[derive(Debug, Clone)]
pub(crate) struct NewModel {
    pub(crate) name: String,
    pub(crate) sha256: String,
    pub(crate) size: i64,
    pub(crate) opset: Option<i64>,
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) input_tensors: Vec<TensorInfo>,
    pub(crate) output_tensors: Vec<TensorInfo>,
    pub(crate) profile: Option<String>,
    pub(crate) profile_error: Option<String>,
    pub(crate) layers: Vec<LayerInfo>,
}

fn record(row: &sqlx::any::AnyRow) -> Result<ModelRecord> {
    Ok(ModelRecord {
        model_id: row.try_get("model_id")?,
        name: row.try_get("name")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        opset: row.try_get("opset")?,
        inputs: json_column(&row.try_get::<String, _>("inputs")?, "inputs")?,
        outputs: json_column(&row.try_get::<String, _>("outputs")?, "outputs")?,
        input_tensors: json_column(&row.try_get::<String, _>("input_tensors")?, "input_tensors")?,
        output_tensors: json_column(
            &row.try_get::<String, _>("output_tensors")?,
            "output_tensors",
        )?,
        profile: row.try_get("profile")?,
        profile_error: row.try_get("profile_error")?,
        layers: json_column(&row.try_get::<String, _>("layers")?, "layers")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn insert_model(pool: &AnyPool, model: &NewModel) -> Result<ModelRecord> {
    let row = sqlx::query(
        "INSERT INTO model (name, sha256, size, opset, inputs, outputs, input_tensors, \
             output_tensors, profile, profile_error, layers, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *",
    )
    .bind(&model.name)
    .bind(&model.sha256)
    .bind(model.size)
    .bind(model.opset)
    .bind(to_json(&model.inputs)?)
    .bind(to_json(&model.outputs)?)
    .bind(to_json(&model.input_tensors)?)
    .bind(to_json(&model.output_tensors)?)
    .bind(&model.profile)
    .bind(&model.profile_error)
    .bind(to_json(&model.layers)?)
    .bind(now_ms())
    .fetch_one(pool)
    .await?;
    record(&row)
}

pub(crate) async fn list_models(pool: &AnyPool) -> Result<Vec<ModelRecord>> {
    let rows = sqlx::query("SELECT * FROM model ORDER BY model_id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}

pub(crate) async fn model_by_id(pool: &AnyPool, model_id: i64) -> Result<ModelRecord> {
    let row = sqlx::query("SELECT * FROM model WHERE model_id = $1")
        .bind(model_id)
        .fetch_optional(pool)
        .await?;
    found(row.as_ref(), record, || format!("model {model_id}"))
}

pub(crate) async fn count_models(pool: &AnyPool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM model")
        .fetch_one(pool)
        .await?)
}

/// Deletes model `model_id`; a 409 while a run uses it.
pub(crate) async fn delete_model(pool: &AnyPool, model_id: i64) -> Result<()> {
    delete_unless_used(
        pool,
        "DELETE FROM model WHERE model_id = $1",
        "model",
        model_id,
    )
    .await
}
