//! Per-layer results and trade-off points of a run.

use serde::Serialize;
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::json_column;
use crate::error::Result;

/// One layer of a run's model, with its sensitivity once measured.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LayerResult {
    /// Position in model order.
    pub(crate) position: i64,
    /// Layer name.
    pub(crate) name: String,
    /// Operator.
    pub(crate) op: String,
    /// Weight parameters.
    pub(crate) parameters: i64,
    /// Measured sensitivity (higher = suffers more from INT8).
    pub(crate) sensitivity: Option<f64>,
    /// 1 = most sensitive.
    pub(crate) sensitivity_rank: Option<i64>,
}

/// One measured point of the accuracy-throughput trade-off.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TradeoffPoint {
    /// `fp32`, `int8`, `int8-keepK`.
    pub(crate) label: String,
    /// Layers left in float.
    pub(crate) float_layer_count: Option<i64>,
    /// Layers in INT8.
    pub(crate) quantized_layer_count: Option<i64>,
    /// Accuracy (mAP), when evaluated.
    pub(crate) accuracy: Option<f64>,
    /// Images per second by batch size (`"1"`, `"32"`).
    pub(crate) throughput: serde_json::Value,
}

pub(crate) async fn layers_of_run(pool: &SqlitePool, run_id: i64) -> Result<Vec<LayerResult>> {
    let rows = sqlx::query("SELECT * FROM layer_result WHERE run_id = ? ORDER BY position")
        .bind(run_id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(LayerResult {
                position: r.try_get("position")?,
                name: r.try_get("name")?,
                op: r.try_get("op")?,
                parameters: r.try_get("parameters")?,
                sensitivity: r.try_get("sensitivity")?,
                sensitivity_rank: r.try_get("sensitivity_rank")?,
            })
        })
        .collect()
}

pub(crate) async fn tradeoff_of_run(pool: &SqlitePool, run_id: i64) -> Result<Vec<TradeoffPoint>> {
    let rows =
        sqlx::query("SELECT * FROM tradeoff_point WHERE run_id = ? ORDER BY tradeoff_point_id")
            .bind(run_id)
            .fetch_all(pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(TradeoffPoint {
                label: r.try_get("label")?,
                float_layer_count: r.try_get("float_layer_count")?,
                quantized_layer_count: r.try_get("quantized_layer_count")?,
                accuracy: r.try_get("accuracy")?,
                throughput: json_column(&r.try_get::<String, _>("throughput")?, "throughput")?,
            })
        })
        .collect()
}

pub(crate) async fn set_point_layers(
    conn: &mut SqliteConnection,
    run_id: i64,
    label: &str,
    float_layers: i64,
    quantized_layers: i64,
) -> Result<()> {
    sqlx::query("UPDATE tradeoff_point SET float_layer_count = ?, quantized_layer_count = ? WHERE run_id = ? AND label = ?")
        .bind(float_layers)
        .bind(quantized_layers)
        .bind(run_id)
        .bind(label)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the images per second of `label` at `batch_size`.
pub(crate) async fn set_point_throughput(
    conn: &mut SqliteConnection,
    run_id: i64,
    label: &str,
    batch_size: i64,
    images_per_second: f64,
) -> Result<()> {
    sqlx::query(
        "UPDATE tradeoff_point SET throughput = json_set(throughput, '$.' || json_quote(?), ?) WHERE run_id = ? AND label = ?",
    )
    .bind(batch_size.to_string())
    .bind(images_per_second)
    .bind(run_id)
    .bind(label)
    .execute(conn)
    .await?;
    Ok(())
}
