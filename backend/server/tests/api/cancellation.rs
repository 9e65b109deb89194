//! Stopping work: a cancelled job's compute stops and its worker moves on; a stopping
//! worker or server gives its job back; a run with a running job cannot be deleted; a
//! job that fails on bad input is not retried.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_json_error, find, spawn_app_with};
use crate::workers::worker_process;

fn without_worker() -> Options {
    Options {
        embedded_worker: false,
        ..Options::default()
    }
}

/// A run whose sensitivity job scores every layer for several seconds.
async fn slow_run(app: &TestApp) -> i64 {
    let (model_id, dataset_id) = app.upload_demo(16).await;
    app.create_run(&json!({
        "model_id": model_id,
        "calibration_dataset_id": dataset_id,
        "profile": "nanodet",
        "calibration_method": "max",
        "sensitivity": { "mode": "one-on", "metric": "proxy", "images": 16 },
        "boundary": { "kind": "keep_float", "count": 1 },
        "export_batch_sizes": ["1"],
        "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 2 },
    }))
    .await
}

/// Waits until the run's sensitivity job has scored a layer; returns the job.
async fn sensitivity_under_way(app: &TestApp, run_id: i64) -> Value {
    let jobs = app
        .wait_for_jobs(
            run_id,
            Duration::from_secs(120),
            "sensitivity runs",
            |jobs| {
                jobs.iter().any(|j| {
                    j["kind"] == "sensitivity"
                        && j["state"] == "running"
                        && j["progress"].as_f64().unwrap() > 0.0
                })
            },
        )
        .await;
    jobs.into_iter()
        .find(|j| j["kind"] == "sensitivity")
        .unwrap()
}

/// User plus system CPU time of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test]
async fn a_cancelled_job_stops_computing_within_6_s_and_its_worker_takes_the_next_job() {
    let (app, dir) = spawn_app_with(without_worker()).await;
    let run_id = slow_run(&app).await;
    let worker = worker_process(&app, "canceller", &dir.path().join("worker"));
    let pid = worker.0.id();
    let job = sensitivity_under_way(&app, run_id).await;
    // The run's error analysis needs only the calibration, so it would be the worker's next
    // job: cancelled first (while queued), the worker has nothing left to compute.
    let jobs = app.get_json(&format!("/api/runs/{run_id}/jobs")).await;
    let analysis = find(&jobs, "kind", "analyze");
    for cancelled in [analysis, &job] {
        let response = app
            .post_json(
                &format!("/api/jobs/{}/cancel", cancelled["job_id"]),
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), 200);
    }

    // The layer under way finishes first; on a loaded 2-core machine (the PostgreSQL pass runs
    // beside other tests' workers) that can take a few seconds, so each second up to 6 s is
    // looked at, and one quiet second shows the job stopped.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut used = u64::MAX;
    for _ in 0..4 {
        let before = cpu_ticks(pid);
        tokio::time::sleep(Duration::from_secs(1)).await;
        used = cpu_ticks(pid) - before;
        if used < 20 {
            break;
        }
    }
    assert!(
        used < 20,
        "the worker still used {used} ticks of CPU a second 6 s after the cancel"
    );

    let (model_id, dataset_id) = app.upload_demo(1).await;
    let next = app.create_small_run(model_id, dataset_id).await;
    app.wait_for_jobs(next, Duration::from_secs(60), "the next job runs", |jobs| {
        jobs.iter().any(|j| {
            j["kind"] == "calibrate" && j["state"] == "succeeded" && j["worker_name"] == "canceller"
        })
    })
    .await;
}

#[tokio::test]
async fn sigterm_stops_a_busy_worker_within_5_s_and_its_job_goes_back_to_the_queue() {
    let (app, dir) = spawn_app_with(without_worker()).await;
    let run_id = slow_run(&app).await;
    let mut worker = worker_process(&app, "terminated", &dir.path().join("worker"));
    let job = sensitivity_under_way(&app, run_id).await;
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &worker.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(status) = worker.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "the worker is still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    let job = app.get_json(&format!("/api/jobs/{}", job["job_id"])).await;
    assert_eq!(job["state"], "queued", "{job:#}");
    assert_eq!(job["attempts"], 0, "giving a job back uses up no attempt");
    assert!(job["worker_name"].is_null());
}

#[tokio::test]
async fn a_stopping_server_gives_its_embedded_workers_job_back_within_5_s() {
    let (mut app, _dir) = spawn_app_with(Options::default()).await;
    let run_id = slow_run(&app).await;
    let job = sensitivity_under_way(&app, run_id).await;
    let stopping = Instant::now();
    app.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );

    let app = app.restarted(&without_worker()).await;
    let job = app.get_json(&format!("/api/jobs/{}", job["job_id"])).await;
    assert_eq!(job["state"], "queued", "{job:#}");
    assert_eq!(job["attempts"], 0);
}

#[tokio::test]
async fn a_run_with_a_running_job_is_deleted_only_after_it_is_cancelled() {
    let (app, _dir) = spawn_app_with(without_worker()).await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    let run_id = app.create_small_run(model_id, dataset_id).await;
    app.claim_by_hand().await;
    let delete = || {
        app.client
            .delete(app.url(&format!("/api/runs/{run_id}")))
            .bearer_auth(&app.write_token)
            .send()
    };
    let message = assert_json_error(delete().await.unwrap(), 409).await;
    assert!(message.contains("cancel"), "{message}");
    assert_eq!(app.get(&format!("/api/runs/{run_id}")).await.status(), 200);
    let cancel = app
        .post_json(&format!("/api/runs/{run_id}/cancel"), &json!({}))
        .await;
    assert_eq!(cancel.status(), 200);
    assert_eq!(delete().await.unwrap().status(), 204);
    assert_eq!(app.get(&format!("/api/runs/{run_id}")).await.status(), 404);
}

#[tokio::test]
async fn a_job_failing_on_bad_input_fails_at_once_and_other_failures_are_retried() {
    let (app, _dir) = spawn_app_with(without_worker()).await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    app.create_small_run(model_id, dataset_id).await;
    let fail = |job: &Value, outcome: Option<&str>| {
        let mut body = json!({ "lease_token": job["lease_token"], "error": "boom" });
        if let Some(outcome) = outcome {
            body["outcome"] = json!(outcome);
        }
        app.client
            .post(app.url(&format!("/api/jobs/{}/fail", job["job_id"])))
            .bearer_auth(&app.worker_token)
            .json(&body)
            .send()
    };
    let job = app.claim_by_hand().await;
    let retried: Value = fail(&job, None).await.unwrap().json().await.unwrap();
    assert_eq!(retried["state"], "queued");
    assert_eq!(retried["attempts"], 1);
    let job = app.claim_by_hand().await;
    let failed: Value = fail(&job, Some("permanent"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(failed["state"], "failed", "{failed:#}");
    assert_eq!(failed["attempts"], 2);
    assert!(failed["max_attempts"].as_i64().unwrap() > 2);
}
