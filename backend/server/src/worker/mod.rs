//! Workers: claim a job over the REST API, download its inputs, run it on a worker thread
//! while heartbeats keep the lease, upload artifacts, complete or fail. The server's
//! embedded worker is this same loop over loopback.

mod client;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use client::ServerClient;

use crate::archive::sanitize_file_name;
use crate::error::{Error, Result};
use crate::jobs::execute::{JobOutput, execute};
use crate::jobs::protocol::{
    ClaimRequest, ClaimedJob, CompleteRequest, FailRequest, HeartbeatRequest,
};
use crate::settings::WorkerSettings;

/// What one turn of the worker loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// A job was claimed and finished (succeeded, failed, or lost its lease).
    TaskCompleted,
    /// There was nothing this worker can run.
    EmptyQueue,
}

/// Claims and runs jobs until `shutdown` resolves. Used by `qbound worker` and by the
/// server's embedded worker.
pub async fn run_worker_until_stopped(
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let client = ServerClient::new(&settings)?;
    tokio::pin!(shutdown);
    tracing::info!(worker = %settings.name, server = %settings.server, "worker started");
    loop {
        let outcome = tokio::select! {
            () = &mut shutdown => return Ok(()),
            outcome = try_execute_task(&client, &settings) => outcome,
        };
        let idle = match outcome {
            Ok(ExecutionOutcome::TaskCompleted) => false,
            Ok(ExecutionOutcome::EmptyQueue) => true,
            Err(err) => {
                tracing::warn!(error = %err, "worker turn failed");
                true
            }
        };
        if idle {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(settings.poll_interval) => {}
            }
        }
    }
}

/// Claims one job and sees it through.
pub(crate) async fn try_execute_task(
    client: &ServerClient,
    settings: &WorkerSettings,
) -> Result<ExecutionOutcome> {
    let request = ClaimRequest {
        worker_name: settings.name.clone(),
        capabilities: settings.capabilities.clone(),
    };
    let Some(job) = client.claim(&request).await? else {
        return Ok(ExecutionOutcome::EmptyQueue);
    };
    tracing::info!(job = job.job_id, kind = %job.kind, label = %job.label, "claimed");
    let dir = settings.work_dir.join("jobs").join(format!(
        "{}-{}",
        job.job_id,
        &job.lease_token[..8.min(job.lease_token.len())]
    ));
    let outcome = run_claimed(client, settings, &job, &dir).await;
    let finished = match outcome {
        Ok(Some(output)) => finish(client, &job, output).await,
        Ok(None) => {
            tracing::warn!(job = job.job_id, "lease lost; result dropped");
            Ok(())
        }
        Err(err) => {
            tracing::warn!(job = job.job_id, error = %err, "job failed");
            let fail = FailRequest {
                lease_token: job.lease_token.clone(),
                error: err.to_string(),
            };
            client.fail(job.job_id, &fail).await
        }
    };
    let _ = tokio::fs::remove_dir_all(&dir).await;
    finished?;
    Ok(ExecutionOutcome::TaskCompleted)
}

/// Progress and log lines not yet sent.
#[derive(Debug, Default)]
struct Report {
    progress: f64,
    log: Vec<String>,
}

/// Downloads inputs and runs the job with heartbeats; `None` when the lease was lost.
async fn run_claimed(
    client: &ServerClient,
    settings: &WorkerSettings,
    job: &ClaimedJob,
    dir: &Path,
) -> Result<Option<JobOutput>> {
    tokio::fs::create_dir_all(dir).await?;
    fetch_inputs(client, settings, job, dir).await?;
    let report = Arc::new(Mutex::new(Report::default()));
    let work = {
        let (job, dir, report) = (job.clone(), dir.to_path_buf(), report.clone());
        tokio::task::spawn_blocking(move || {
            let progress = move |value: f64, line: String| {
                if let Ok(mut r) = report.lock() {
                    r.progress = value;
                    if !line.is_empty() {
                        r.log.push(line);
                    }
                }
            };
            execute(&job, &dir, &progress)
        })
    };
    tokio::pin!(work);
    let interval = std::time::Duration::from_secs_f64((job.lease_seconds / 3.0).clamp(0.2, 10.0));
    loop {
        tokio::select! {
            done = &mut work => {
                return done.map_err(|e| Error::Internal(format!("the job thread stopped: {e}")))?.map(Some);
            }
            () = tokio::time::sleep(interval) => {
                let (progress, log) = match report.lock() {
                    Ok(mut r) => (r.progress, std::mem::take(&mut r.log)),
                    Err(_) => (0.0, Vec::new()),
                };
                let beat = HeartbeatRequest { lease_token: job.lease_token.clone(), progress, log };
                match client.heartbeat(job.job_id, &beat).await {
                    Ok(()) => {}
                    Err(Error::Conflict(_)) => return Ok(None),
                    Err(err) => tracing::warn!(job = job.job_id, error = %err, "heartbeat failed"),
                }
            }
        }
    }
}

/// Downloads each input into a cache keyed by sha256 and links it into `dir` by name.
async fn fetch_inputs(
    client: &ServerClient,
    settings: &WorkerSettings,
    job: &ClaimedJob,
    dir: &Path,
) -> Result<()> {
    let cache = settings.work_dir.join("cache");
    tokio::fs::create_dir_all(&cache).await?;
    for input in &job.inputs {
        let safe = sanitize_file_name(&input.name) == input.name;
        let hex = input.sha256.len() == 64 && input.sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if !safe || !hex || !input.url.starts_with("/api/") {
            return Err(Error::Internal(format!(
                "the server sent an unsafe input `{}`",
                input.name
            )));
        }
        let cached: PathBuf = cache.join(&input.sha256);
        if !cached.is_file() {
            client.download(&input.url, &input.sha256, &cached).await?;
        }
        let target = dir.join(&input.name);
        if tokio::fs::hard_link(&cached, &target).await.is_err() {
            tokio::fs::copy(&cached, &target).await?;
        }
    }
    Ok(())
}

/// Uploads the artifacts, then completes the job.
async fn finish(client: &ServerClient, job: &ClaimedJob, output: JobOutput) -> Result<()> {
    for artifact in &output.artifacts {
        client
            .upload_artifact(
                job.job_id,
                &job.lease_token,
                artifact.kind,
                &artifact.name,
                &artifact.path,
            )
            .await?;
    }
    let complete = CompleteRequest {
        lease_token: job.lease_token.clone(),
        result: output.result,
    };
    match client.complete(job.job_id, &complete).await {
        Err(Error::Conflict(message)) => {
            tracing::warn!(job = job.job_id, %message, "completion refused");
            Ok(())
        }
        other => other,
    }
}
