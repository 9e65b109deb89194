//! Workers: claim a job over the REST API, download its inputs, run it on a worker thread
//! while heartbeats keep the lease, upload artifacts, complete or fail. The server's
//! embedded worker is this same loop over loopback.

mod client;
mod control;
mod job_dir;
mod tasks;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use client::ServerClient;
use tokio_util::sync::CancellationToken;

use crate::archive::sanitize_file_name;
use crate::error::{Error, Result};
use crate::run::protocol::{
    ClaimRequest, ClaimedJob, CompleteRequest, FailOutcome, FailRequest, HeartbeatRequest,
};
use crate::settings::WorkerSettings;
use control::JobControl;
use job_dir::JobDir;
use tasks::{JobOutput, execute};

/// What one turn of the worker loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// A job was claimed and finished (succeeded, failed, or lost its lease).
    TaskCompleted,
    /// There was nothing this worker can run.
    EmptyQueue,
}

/// Claims and runs jobs until `shutdown` resolves. A job running then is stopped and given
/// back to the queue. Used by `qbound worker` and by the server's embedded worker.
pub async fn run_worker_until_stopped(
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let client = ServerClient::new(&settings)?;
    let _work_dir_lock = claim_work_dir(&settings.work_dir);
    let stop = CancellationToken::new();
    tokio::pin!(shutdown);
    tracing::info!(worker = %settings.name, server = %settings.server, "worker started");
    loop {
        let turn = try_execute_task(&client, &settings, &stop);
        tokio::pin!(turn);
        let outcome = tokio::select! {
            outcome = &mut turn => outcome,
            () = &mut shutdown => {
                stop.cancel();
                if let Err(err) = turn.await {
                    tracing::warn!(error = %err, "worker stopped with an error");
                }
                return Ok(());
            }
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

/// Takes the work folder for this worker: when no other live worker holds its lock, the job
/// folders a killed worker left there are removed. The lock lasts as long as the file.
fn claim_work_dir(work_dir: &Path) -> Option<std::fs::File> {
    let lock = std::fs::create_dir_all(work_dir)
        .and_then(|()| std::fs::File::create(work_dir.join("worker.lock")));
    let lock = match lock {
        Ok(lock) => lock,
        Err(err) => {
            tracing::warn!(error = %err, "the work folder cannot be locked");
            return None;
        }
    };
    if lock.try_lock().is_err() {
        tracing::info!("another worker uses this work folder; its job folders are kept");
        return None;
    }
    let jobs = work_dir.join("jobs");
    if jobs.exists() {
        match std::fs::remove_dir_all(&jobs) {
            Ok(()) => tracing::info!(folder = %jobs.display(), "removed stale job folders"),
            Err(err) => tracing::warn!(error = %err, "stale job folders could not be removed"),
        }
    }
    Some(lock)
}

/// Claims one job and sees it through; when `stop` is raised meanwhile, the job stops and
/// goes back to the queue.
pub(crate) async fn try_execute_task(
    client: &ServerClient,
    settings: &WorkerSettings,
    stop: &CancellationToken,
) -> Result<ExecutionOutcome> {
    let request = ClaimRequest {
        worker_name: settings.name.clone(),
        capabilities: settings.capabilities.clone(),
    };
    let Some(job) = client.claim(&request).await? else {
        return Ok(ExecutionOutcome::EmptyQueue);
    };
    tracing::info!(job = job.job_id, kind = %job.kind, label = %job.label, "claimed");
    let dir = JobDir::new(settings.work_dir.join("jobs").join(format!(
        "{}-{}",
        job.job_id,
        &job.lease_token[..8.min(job.lease_token.len())]
    )));
    let ended = run_claimed(client, settings, &job, &dir, stop).await;
    let fail = |error: &Error, outcome: FailOutcome| FailRequest {
        lease_token: job.lease_token.clone(),
        error: without_paths(&error.to_string(), dir.root(), &settings.work_dir),
        outcome,
    };
    let finished = match ended {
        Ok(Ended::Done(Ok(output))) => finish(client, &job, output).await,
        Ok(Ended::Done(Err(err))) => {
            tracing::warn!(job = job.job_id, error = %err, "job failed");
            client
                .fail(job.job_id, &fail(&err, failure_outcome(&err)))
                .await
        }
        Ok(Ended::LeaseLost) => {
            tracing::warn!(
                job = job.job_id,
                "the job was cancelled, deleted or its lease lost; stopped"
            );
            Ok(())
        }
        Ok(Ended::Stopped) => {
            tracing::info!(
                job = job.job_id,
                "worker stopping; job given back to the queue"
            );
            let stopping = Error::Internal("the worker stopped".into());
            client
                .fail(job.job_id, &fail(&stopping, FailOutcome::Released))
                .await
        }
        Err(err) => {
            tracing::warn!(job = job.job_id, error = %err, "job inputs failed");
            client
                .fail(job.job_id, &fail(&err, FailOutcome::Retry))
                .await
        }
    };
    let _ = tokio::fs::remove_dir_all(dir.root()).await;
    finished?;
    Ok(ExecutionOutcome::TaskCompleted)
}

/// Whether a failed job would fail again with the same inputs (a bad model, image,
/// dataset or configuration), so retrying it is pointless.
fn failure_outcome(err: &Error) -> FailOutcome {
    use qbound_engine::Error as Engine;
    match err {
        Error::BadRequest(_)
        | Error::Unprocessable(_)
        | Error::PayloadTooLarge(_)
        | Error::Engine(
            Engine::InvalidModel(_)
            | Engine::Unsupported(_)
            | Engine::Image { .. }
            | Engine::InvalidInput(_)
            | Engine::Json { .. },
        ) => FailOutcome::Permanent,
        _ => FailOutcome::Retry,
    }
}

/// `message` without the worker's own folders, which are no business of the server's users.
fn without_paths(message: &str, job_dir: &Path, work_dir: &Path) -> String {
    [job_dir, work_dir]
        .iter()
        .fold(message.to_owned(), |text, dir| {
            text.replace(&format!("{}/", dir.display()), "")
                .replace(&dir.display().to_string(), "")
        })
}

/// Progress and log lines not yet sent.
#[derive(Debug, Default)]
struct Report {
    progress: f64,
    log: Vec<String>,
}

/// How a claimed job ended on this worker.
enum Ended {
    /// It ran to the end, well or not.
    Done(Result<JobOutput>),
    /// It was cancelled or deleted, or its lease lapsed: it was stopped, nothing to report.
    LeaseLost,
    /// The worker is shutting down: it was stopped, to be given back.
    Stopped,
}

/// Downloads inputs and runs the job on its own thread with heartbeats. The thread is told
/// to stop (and left to end on its own) when the lease is lost or `stop` is raised.
async fn run_claimed(
    client: &ServerClient,
    settings: &WorkerSettings,
    job: &ClaimedJob,
    dir: &JobDir,
    stop: &CancellationToken,
) -> Result<Ended> {
    tokio::fs::create_dir_all(dir.root()).await?;
    tokio::select! {
        fetched = fetch_inputs(client, settings, job, dir) => fetched?,
        () = stop.cancelled() => return Ok(Ended::Stopped),
    }
    let report = Arc::new(Mutex::new(Report::default()));
    let cancel = Arc::new(AtomicBool::new(false));
    let (sender, mut done) = tokio::sync::oneshot::channel();
    {
        let (job, dir, report, cancel) = (job.clone(), dir.clone(), report.clone(), cancel.clone());
        std::thread::Builder::new()
            .name(format!("qbound-job-{}", job.job_id))
            .spawn(move || {
                let progress = move |value: f64, line: String| {
                    if let Ok(mut r) = report.lock() {
                        r.progress = value;
                        if !line.is_empty() {
                            r.log.push(line);
                        }
                    }
                };
                let control = JobControl::new(&progress, &cancel);
                let _ = sender.send(execute(&job, &dir, &control));
            })?;
    }
    let interval = std::time::Duration::from_secs_f64((job.lease_seconds / 3.0).clamp(0.2, 1.0));
    let stopped = |ended: Ended| {
        cancel.store(true, Ordering::Relaxed);
        Ok(ended)
    };
    loop {
        tokio::select! {
            result = &mut done => {
                let result = result.map_err(|_| Error::Internal("the job thread stopped".into()))?;
                return Ok(Ended::Done(result));
            }
            () = stop.cancelled() => return stopped(Ended::Stopped),
            () = tokio::time::sleep(interval) => {
                let (progress, log) = match report.lock() {
                    Ok(mut r) => (r.progress, std::mem::take(&mut r.log)),
                    Err(_) => (0.0, Vec::new()),
                };
                let beat = HeartbeatRequest { lease_token: job.lease_token.clone(), progress, log };
                match client.heartbeat(job.job_id, &beat).await {
                    Ok(()) => {}
                    Err(Error::Conflict(_) | Error::NotFound(_)) => return stopped(Ended::LeaseLost),
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
    dir: &JobDir,
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
        let target = dir.named(&input.name);
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
            .upload_artifact(job.job_id, &job.lease_token, artifact)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_fails_at_once_and_faults_are_retried() {
        let bad_image = Error::Engine(qbound_engine::Error::Image {
            path: "a.jpg".into(),
            reason: "broken".into(),
        });
        assert_eq!(failure_outcome(&bad_image), FailOutcome::Permanent);
        let runtime = Error::Engine(qbound_engine::Error::Runtime("out of memory".into()));
        assert_eq!(failure_outcome(&runtime), FailOutcome::Retry);
        let io = Error::Io(std::io::Error::other("disk"));
        assert_eq!(failure_outcome(&io), FailOutcome::Retry);
    }

    #[test]
    fn a_second_worker_on_the_same_folder_keeps_the_first_ones_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let job = dir.path().join("jobs/1-abc/model.onnx");
        let first = claim_work_dir(dir.path());
        assert!(first.is_some());
        std::fs::create_dir_all(job.parent().unwrap()).unwrap();
        std::fs::write(&job, b"busy").unwrap();
        assert!(claim_work_dir(dir.path()).is_none());
        assert!(job.exists());
        drop(first);
        assert!(claim_work_dir(dir.path()).is_some());
        assert!(!job.exists());
    }

    #[test]
    fn job_errors_lose_the_workers_folders() {
        let work = Path::new("/srv/qbound-worker");
        let job = work.join("jobs/7-abc");
        let message = "cannot decode image `/srv/qbound-worker/jobs/7-abc/calibration/x.jpg`: eof; \
                       cache /srv/qbound-worker/cache/ff";
        let clean = without_paths(message, &job, work);
        assert_eq!(
            clean,
            "cannot decode image `calibration/x.jpg`: eof; cache cache/ff"
        );
    }
}
