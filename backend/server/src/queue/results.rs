//! Storing what a finished job found: layer sensitivities, the float layers of the chosen
//! point, accuracy and throughput of the trade-off points, and the Pareto frontier. (The
//! error analysis stays in its job's result, where `db::results::analysis_of_run` reads it.)

use qbound_shared::{FLOAT_LABEL, JobRecord};

use crate::db;
use crate::error::Result;
use crate::run::config::chosen_label;
use crate::run::protocol::{JobParams, JobResult};

/// Stores what a job found in the run's layer rows, trade-off points and reliability.
pub(super) async fn record_result(
    conn: &mut sqlx::AnyConnection,
    job: &JobRecord,
    params: &JobParams,
    result: &JobResult,
) -> Result<()> {
    let run_id = job.run_id;
    match result {
        JobResult::Calibrate { .. } | JobResult::Engine { .. } | JobResult::Analyze { .. } => {}
        JobResult::Sensitivity {
            layers,
            split_half_correlation,
            reliability,
            ..
        } => {
            for layer in layers {
                db::results::set_layer_sensitivity(conn, run_id, layer).await?;
            }
            db::runs::set_sensitivity_reliability(
                conn,
                run_id,
                *split_half_correlation,
                *reliability,
            )
            .await?;
        }
        JobResult::Quantize {
            quantized_layers,
            float_layers,
            ..
        } => {
            db::results::set_point_layers(
                conn,
                run_id,
                &job.label,
                float_layers.len() as i64,
                quantized_layers.len() as i64,
            )
            .await?;
            if chosen_label(&params.config).as_deref() == Some(job.label.as_str()) {
                db::results::mark_float_layers(conn, run_id, float_layers).await?;
            }
        }
        JobResult::Evaluate {
            metric,
            accuracy,
            accuracy50,
            ..
        } => {
            db::results::set_point_accuracy(
                conn,
                run_id,
                &job.label,
                *metric,
                *accuracy,
                *accuracy50,
            )
            .await?;
            db::results::refresh_pareto(conn, run_id).await?;
        }
        JobResult::Benchmark { measurements } => {
            for m in measurements {
                let label = if m.model == FLOAT_LABEL {
                    FLOAT_LABEL
                } else {
                    job.label.as_str()
                };
                let images_per_second = |ms: Option<f64>| {
                    ms.filter(|ms| *ms > 0.0)
                        .map(|ms| m.batch_size as f64 * 1000.0 / ms)
                };
                let spread = images_per_second(m.max_ms).zip(images_per_second(m.min_ms));
                db::results::set_point_throughput(
                    conn,
                    run_id,
                    label,
                    m.batch_size,
                    m.images_per_second,
                    spread,
                )
                .await?;
            }
            db::results::refresh_pareto(conn, run_id).await?;
        }
    }
    Ok(())
}
