//! Per-layer results, trade-off points and the error analysis of a run.

use qbound_shared::{ErrorAnalysis, LayerResult, Metric, TradeoffPoint};
use sqlx::{AnyConnection, AnyPool, Row};

use qbound_engine::sensitivity::{
    PointKind, Score, Throughput, TradeoffPoint as EnginePoint, mark_pareto_frontier,
};

use super::{Dialect, enum_column, json_column, to_json};
use crate::error::{Error, Result};
use crate::run::protocol::{JobResult, LayerScore};

pub(crate) async fn layers_of_run(pool: &AnyPool, run_id: i64) -> Result<Vec<LayerResult>> {
    let rows = sqlx::query("SELECT * FROM layer_result WHERE run_id = $1 ORDER BY position")
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
                score: r.try_get("score")?,
                score_secondary: r.try_get("score_secondary")?,
                seconds: r.try_get("seconds")?,
                kept_float: r.try_get::<i64, _>("kept_float")? != 0,
            })
        })
        .collect()
}

/// The error analysis of a run, read from its succeeded `analyze` job's result; not found
/// (404) before that job has succeeded.
pub(crate) async fn analysis_of_run(pool: &AnyPool, run_id: i64) -> Result<ErrorAnalysis> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT result FROM job WHERE run_id = $1 AND kind = 'analyze' AND state = 'succeeded' \
         ORDER BY job_id DESC LIMIT 1",
    )
    .bind(run_id)
    .fetch_optional(pool)
    .await?;
    let missing = || Error::NotFound(format!("an error analysis of run {run_id}"));
    match json_column(&text.ok_or_else(missing)?, "result")? {
        JobResult::Analyze { analysis } => Ok(analysis),
        _ => Err(missing()),
    }
}

pub(crate) async fn tradeoff_of_run(pool: &AnyPool, run_id: i64) -> Result<Vec<TradeoffPoint>> {
    let mut conn = pool.acquire().await?;
    points_of_run(&mut conn, run_id).await
}

async fn points_of_run(conn: &mut AnyConnection, run_id: i64) -> Result<Vec<TradeoffPoint>> {
    let rows =
        sqlx::query("SELECT * FROM tradeoff_point WHERE run_id = $1 ORDER BY tradeoff_point_id")
            .bind(run_id)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(TradeoffPoint {
                label: r.try_get("label")?,
                float_layer_count: r.try_get("float_layer_count")?,
                quantized_layer_count: r.try_get("quantized_layer_count")?,
                accuracy: r.try_get("accuracy")?,
                accuracy50: r.try_get("accuracy50")?,
                metric: r
                    .try_get::<Option<String>, _>("metric")?
                    .map(|m| enum_column(&m, "metric"))
                    .transpose()?,
                throughput: json_column(&r.try_get::<String, _>("throughput")?, "throughput")?,
                throughput_spread: json_column(
                    &r.try_get::<String, _>("throughput_spread")?,
                    "throughput_spread",
                )?,
                pareto: r.try_get::<Option<i64>, _>("pareto")?.map(|p| p != 0),
            })
        })
        .collect()
}

pub(crate) async fn set_point_layers(
    conn: &mut AnyConnection,
    run_id: i64,
    label: &str,
    float_layers: i64,
    quantized_layers: i64,
) -> Result<()> {
    sqlx::query("UPDATE tradeoff_point SET float_layer_count = $1, quantized_layer_count = $2 WHERE run_id = $3 AND label = $4")
        .bind(float_layers)
        .bind(quantized_layers)
        .bind(run_id)
        .bind(label)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the images per second of `label` at `batch_size`: the median run's, and the
/// slowest and the fastest run's when measured.
pub(crate) async fn set_point_throughput(
    conn: &mut AnyConnection,
    run_id: i64,
    label: &str,
    batch_size: i64,
    images_per_second: f64,
    spread: Option<(f64, f64)>,
) -> Result<()> {
    sqlx::query(set_throughput_sql(Dialect::of_conn(conn)))
        .bind(batch_size.to_string())
        .bind(images_per_second)
        .bind(spread.map(|s| s.0))
        .bind(spread.map(|s| s.1))
        .bind(run_id)
        .bind(label)
        .execute(conn)
        .await?;
    Ok(())
}

/// The UPDATE behind [`set_point_throughput`]: key `$1` (the batch size) of the JSON
/// objects `throughput` (set to `$2`) and `throughput_spread` (`{"min": $3, "max": $4}`,
/// removed when `$3` is NULL), of point `$6` of run `$5`.
fn set_throughput_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "UPDATE tradeoff_point SET throughput = json_set(throughput, '$.' || json_quote($1), $2), \
             throughput_spread = CASE WHEN $3 IS NULL THEN json_remove(throughput_spread, '$.' || json_quote($1)) \
             ELSE json_set(throughput_spread, '$.' || json_quote($1), json_object('min', $3, 'max', $4)) END \
             WHERE run_id = $5 AND label = $6"
        }
        Dialect::Postgres => {
            "UPDATE tradeoff_point SET \
             throughput = CAST(jsonb_set(CAST(throughput AS jsonb), ARRAY[$1], to_jsonb(CAST($2 AS double precision))) AS text), \
             throughput_spread = CAST(CASE WHEN $3 IS NULL THEN CAST(throughput_spread AS jsonb) - CAST($1 AS text) \
             ELSE jsonb_set(CAST(throughput_spread AS jsonb), ARRAY[$1], \
                 jsonb_build_object('min', CAST($3 AS double precision), 'max', CAST($4 AS double precision))) END AS text) \
             WHERE run_id = $5 AND label = $6"
        }
    }
}

/// Records one layer's measured sensitivity.
pub(crate) async fn set_layer_sensitivity(
    conn: &mut AnyConnection,
    run_id: i64,
    layer: &LayerScore,
) -> Result<()> {
    sqlx::query(
        "UPDATE layer_result SET sensitivity = $1, sensitivity_rank = $2, score = $3, score_secondary = $4, seconds = $5 \
         WHERE run_id = $6 AND name = $7",
    )
    .bind(layer.sensitivity)
    .bind(layer.rank as i64)
    .bind(layer.score)
    .bind(layer.score_secondary)
    .bind(layer.seconds)
    .bind(run_id)
    .bind(&layer.name)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks exactly `float_layers` as kept in float by the run's chosen boundary.
pub(crate) async fn mark_float_layers(
    conn: &mut AnyConnection,
    run_id: i64,
    float_layers: &[String],
) -> Result<()> {
    let dialect = Dialect::of_conn(conn);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE layer_result SET kept_float = CASE WHEN name IN (SELECT value FROM {}) THEN 1 ELSE 0 END \
         WHERE run_id = $2",
        dialect.json_strings("$1")
    )))
    .bind(to_json(&float_layers)?)
    .bind(run_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the accuracy of `label`.
pub(crate) async fn set_point_accuracy(
    conn: &mut AnyConnection,
    run_id: i64,
    label: &str,
    metric: Metric,
    accuracy: f64,
    accuracy50: f64,
) -> Result<()> {
    sqlx::query(
        "UPDATE tradeoff_point SET accuracy = $1, accuracy50 = $2, metric = $3 WHERE run_id = $4 AND label = $5",
    )
    .bind(accuracy)
    .bind(accuracy50)
    .bind(metric.as_str())
    .bind(run_id)
    .bind(label)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the Pareto frontier among the run's points that have both an accuracy and a
/// throughput; the others are left unmarked.
pub(crate) async fn refresh_pareto(conn: &mut AnyConnection, run_id: i64) -> Result<()> {
    let points = points_of_run(conn, run_id).await?;
    let mut measured: Vec<EnginePoint> = points
        .iter()
        .filter_map(|p| {
            let accuracy = p.accuracy?;
            let throughput: Vec<Throughput> = p
                .throughput
                .iter()
                .filter_map(|(batch, &images_per_second)| {
                    Some(Throughput {
                        batch_size: batch.parse().ok()?,
                        images_per_second,
                        median_ms: 0.0,
                        min_ms: 0.0,
                        max_ms: 0.0,
                        device: String::new(),
                    })
                })
                .collect();
            (!throughput.is_empty()).then(|| EnginePoint {
                label: p.label.clone(),
                kind: PointKind::Partial,
                keep_float: 0,
                float_layers: Vec::new(),
                skipped_groups: Vec::new(),
                score: Score {
                    primary: accuracy,
                    secondary: 0.0,
                    halves: None,
                },
                throughput,
                pareto: false,
            })
        })
        .collect();
    mark_pareto_frontier(&mut measured);
    sqlx::query("UPDATE tradeoff_point SET pareto = NULL WHERE run_id = $1")
        .bind(run_id)
        .execute(&mut *conn)
        .await?;
    for point in &measured {
        sqlx::query("UPDATE tradeoff_point SET pareto = $1 WHERE run_id = $2 AND label = $3")
            .bind(i64::from(point.pareto))
            .bind(run_id)
            .bind(&point.label)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
