//! The server side of the protocol: claims, heartbeats, completions and failures, each
//! recorded, reflected in the run's status, and announced on the event bus.

use crate::db;
use crate::db::jobs::JobRecord;
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::jobs::config::Boundary;
use crate::jobs::protocol::{
    ClaimRequest, ClaimedJob, CompleteRequest, FailRequest, JobInput, JobParams, JobResult,
};
use crate::state::AppState;

/// The longest error message a worker may record.
const MAX_ERROR_CHARS: usize = 4000;

fn lease_ms(state: &AppState) -> i64 {
    state.settings.lease.as_millis() as i64
}

/// Announces jobs that changed, then the status of their runs: a run's final event comes
/// after its last job's own, so a client that stops listening there misses no job.
pub(crate) async fn announce(state: &AppState, jobs: &[JobRecord]) -> Result<()> {
    for job in jobs {
        state.events.publish_job(job);
        state.metrics.observe_transition(job);
    }
    let mut runs: Vec<i64> = jobs.iter().map(|j| j.run_id).collect();
    runs.dedup();
    for run_id in runs {
        for job in db::queue::abandon_dependents(&state.pool, run_id).await? {
            state.events.publish_job(&job);
        }
        let status = db::queue::refresh_run_status(&state.pool, run_id).await?;
        state.events.publish_run(run_id, &status);
    }
    Ok(())
}

/// Requeues lapsed leases and announces the change.
pub(crate) async fn requeue_lapsed(state: &AppState) -> Result<usize> {
    let jobs = db::queue::requeue_lapsed(&state.pool).await?;
    announce(state, &jobs).await?;
    Ok(jobs.len())
}

/// Hands the next job the worker can run to it, with its inputs.
pub(crate) async fn claim(state: &AppState, request: &ClaimRequest) -> Result<Option<ClaimedJob>> {
    if request.worker_name.trim().is_empty()
        || request.worker_name.len() > 100
        || request.capabilities.is_empty()
    {
        return Err(Error::BadRequest(
            "a claim needs a worker name (1-100 characters) and capabilities".into(),
        ));
    }
    requeue_lapsed(state).await?;
    db::workers::touch_worker(&state.pool, &request.worker_name, &request.capabilities).await?;
    let Some((job, lease_token)) = db::queue::claim_job(
        &state.pool,
        &request.worker_name,
        &request.capabilities,
        lease_ms(state),
    )
    .await?
    else {
        return Ok(None);
    };
    announce(state, std::slice::from_ref(&job)).await?;
    let params: JobParams = db::json_column(&params_text(state, job.job_id).await?, "params")?;
    let inputs = job_inputs(state, &job, &params).await?;
    Ok(Some(ClaimedJob {
        job_id: job.job_id,
        run_id: job.run_id,
        kind: job.kind,
        label: job.label,
        lease_token,
        lease_seconds: state.settings.lease.as_secs_f64(),
        params,
        inputs,
    }))
}

async fn params_text(state: &AppState, job_id: i64) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT params FROM job WHERE job_id = ?")
            .bind(job_id)
            .fetch_one(&state.pool)
            .await?,
    )
}

async fn job_inputs(
    state: &AppState,
    job: &JobRecord,
    params: &JobParams,
) -> Result<Vec<JobInput>> {
    let config = &params.config;
    let model = db::models::model_by_id(&state.pool, config.model_id).await?;
    let mut inputs = vec![JobInput {
        name: "model.onnx".into(),
        sha256: model.sha256,
        url: format!("/api/models/{}/download", model.model_id),
    }];
    let validation = ("validation.tar", config.validation_dataset_id);
    let datasets = match job.kind {
        JobKind::Calibrate => vec![("calibration.tar", Some(config.calibration_dataset_id))],
        JobKind::Sensitivity if config.validation_dataset_id.is_none() => {
            vec![("calibration.tar", Some(config.calibration_dataset_id))]
        }
        JobKind::Sensitivity | JobKind::Evaluate => vec![validation],
        JobKind::Quantize if matches!(config.boundary, Boundary::MaxDrop { .. }) => {
            vec![validation]
        }
        _ => Vec::new(),
    };
    for (name, dataset_id) in datasets {
        if let Some(dataset_id) = dataset_id {
            let dataset = db::datasets::dataset_by_id(&state.pool, dataset_id).await?;
            inputs.push(JobInput {
                name: name.into(),
                sha256: dataset.sha256,
                url: format!("/api/datasets/{dataset_id}/download"),
            });
        }
    }
    for artifact in db::artifacts::artifacts_of_dependencies(&state.pool, job.job_id).await? {
        inputs.push(JobInput {
            name: artifact.name,
            sha256: artifact.sha256,
            url: artifact.download_url,
        });
    }
    Ok(inputs)
}

/// Records a heartbeat.
pub(crate) async fn heartbeat(
    state: &AppState,
    job_id: i64,
    lease_token: &str,
    progress: f64,
    log: &[String],
) -> Result<JobRecord> {
    let job = db::queue::heartbeat(
        &state.pool,
        job_id,
        lease_token,
        progress,
        log,
        lease_ms(state),
    )
    .await?;
    state.events.publish_job(&job);
    Ok(job)
}

/// Records a completion and its result; a repeated completion under the same lease changes
/// nothing.
pub(crate) async fn complete(
    state: &AppState,
    job_id: i64,
    request: &CompleteRequest,
) -> Result<JobRecord> {
    let job = db::jobs::job_by_id(&state.pool, job_id).await?;
    let params: JobParams = db::json_column(&params_text(state, job_id).await?, "params")?;
    if result_kind(&request.result) != job.kind {
        return Err(Error::Unprocessable(format!(
            "job {job_id} is a `{}` job; its result must be of that kind",
            job.kind
        )));
    }
    let result_text = db::to_json(&request.result)?;
    let mut tx = state.pool.begin().await?;
    let first =
        db::queue::complete_job(&mut tx, job_id, &request.lease_token, &result_text).await?;
    if first {
        record_result(&mut tx, &job, &params, &request.result).await?;
    }
    tx.commit().await?;
    let job = db::jobs::job_by_id(&state.pool, job_id).await?;
    if first {
        announce(state, std::slice::from_ref(&job)).await?;
    }
    Ok(job)
}

fn result_kind(result: &JobResult) -> JobKind {
    match result {
        JobResult::Calibrate { .. } => JobKind::Calibrate,
        JobResult::Sensitivity { .. } => JobKind::Sensitivity,
        JobResult::Quantize { .. } => JobKind::Quantize,
        JobResult::Evaluate { .. } => JobKind::Evaluate,
        JobResult::Benchmark { .. } => JobKind::Benchmark,
        JobResult::Engine { .. } => JobKind::Engine,
    }
}

async fn record_result(
    conn: &mut sqlx::SqliteConnection,
    job: &JobRecord,
    params: &JobParams,
    result: &JobResult,
) -> Result<()> {
    let run_id = job.run_id;
    match result {
        JobResult::Calibrate { .. } | JobResult::Engine { .. } => {}
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
            if params.config.chosen_label().as_deref() == Some(job.label.as_str()) {
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
                metric,
                *accuracy,
                *accuracy50,
            )
            .await?;
            db::results::refresh_pareto(conn, run_id).await?;
        }
        JobResult::Benchmark { measurements } => {
            for m in measurements {
                let label = if m.model == "fp32" {
                    "fp32"
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

/// Records a failed attempt.
pub(crate) async fn fail(
    state: &AppState,
    job_id: i64,
    request: &FailRequest,
) -> Result<JobRecord> {
    let error: String = request.error.chars().take(MAX_ERROR_CHARS).collect();
    let job = db::queue::fail_job(
        &state.pool,
        job_id,
        &request.lease_token,
        &error,
        request.outcome,
    )
    .await?;
    announce(state, std::slice::from_ref(&job)).await?;
    Ok(job)
}
