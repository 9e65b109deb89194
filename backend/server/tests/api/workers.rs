use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, find, spawn_app, spawn_app_with};

/// A child process, killed (SIGKILL) when dropped.
pub(crate) struct ChildProcess(pub(crate) std::process::Child);

impl ChildProcess {
    pub(crate) fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `qbound worker` as a child process.
pub(crate) fn worker_process(
    app: &crate::helpers::TestApp,
    name: &str,
    work_dir: &std::path::Path,
) -> ChildProcess {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_qbound"))
        .args([
            "worker",
            "--server",
            &app.address,
            "--token",
            &app.worker_token,
        ])
        .arg("--work-dir")
        .arg(work_dir)
        .args(["--name", name, "--capabilities", "cpu"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the qbound binary starts");
    ChildProcess(child)
}

#[tokio::test]
async fn a_worker_process_killed_mid_job_loses_its_lease_and_the_job_completes_elsewhere() {
    let options = Options {
        embedded_worker: false,
        lease: Duration::from_secs(2),
        ..Options::default()
    };
    let (app, dir) = spawn_app_with(options).await;
    let (model_id, dataset_id) = app.upload_demo(2).await;
    let run_id = app
        .create_run(&json!({
            "model_id": model_id,
            "calibration_dataset_id": dataset_id,
            "profile": "nanodet",
            "calibration_method": "max",
            "export_batch_sizes": ["1"],
            "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 150 },
        }))
        .await;

    let mut doomed = worker_process(&app, "doomed", &dir.path().join("doomed"));
    let running = |jobs: &[Value]| {
        jobs.iter().any(|j| {
            j["kind"] == "benchmark" && j["state"] == "running" && j["worker_name"] == "doomed"
        })
    };
    let jobs = app
        .wait_for_jobs(
            run_id,
            Duration::from_secs(120),
            "the worker process reaches the benchmark",
            running,
        )
        .await;
    let benchmark = find(&Value::from(jobs), "kind", "benchmark").clone();
    doomed.kill();

    let requeued = |jobs: &[Value]| {
        jobs.iter().any(|j| {
            j["job_id"] == benchmark["job_id"]
                && j["state"] == "queued"
                && j["worker_name"].is_null()
                && j["log"]
                    .as_str()
                    .unwrap()
                    .contains("lease of doomed lapsed")
        })
    };
    app.wait_for_jobs(
        run_id,
        Duration::from_secs(20),
        "the lapsed lease requeues the job",
        requeued,
    )
    .await;

    let survivor = app.spawn_worker("survivor", &dir.path().join("survivor"));
    let run = app.wait_for_run(run_id, Duration::from_secs(180)).await;
    survivor.abort();
    assert_eq!(run["status"], "succeeded");
    let job = app
        .get_json(&format!("/api/jobs/{}", benchmark["job_id"]))
        .await;
    assert_eq!(job["state"], "succeeded");
    assert_eq!(job["worker_name"], "survivor");
    assert_eq!(job["attempts"], 2);
    let points = app.get_json(&format!("/api/runs/{run_id}/tradeoff")).await;
    assert!(
        find(&points, "label", "int8")["throughput"]["1"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[tokio::test]
async fn a_job_needing_tensorrt_waits_for_a_tensorrt_worker_while_cpu_workers_poll() {
    let (app, _dir) = spawn_app().await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    let run_id = app
        .create_run(&json!({
            "model_id": model_id,
            "calibration_dataset_id": dataset_id,
            "profile": "nanodet",
            "calibration_method": "max",
            "export_batch_sizes": ["1"],
            "benchmark": { "batch_sizes": [1], "warmup_runs": 0, "timed_runs": 1 },
            "build_engine": true,
        }))
        .await;
    let others_done = |jobs: &[Value]| {
        jobs.iter()
            .filter(|j| j["kind"] != "engine")
            .all(|j| j["state"] == "succeeded")
    };
    app.wait_for_jobs(
        run_id,
        Duration::from_secs(120),
        "the CPU jobs finish",
        others_done,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let jobs = app.get_json(&format!("/api/runs/{run_id}/jobs")).await;
    let engine = find(&jobs, "kind", "engine");
    assert_eq!(engine["capability"], "tensorrt");
    assert_eq!(engine["state"], "queued");
    assert_eq!(
        engine["attempts"], 0,
        "the embedded CPU worker never claimed it"
    );
    assert_eq!(
        app.get_json(&format!("/api/runs/{run_id}")).await["status"],
        "running"
    );
    let claim = |capabilities: Value| {
        app.client
            .post(app.url("/api/jobs/claim"))
            .bearer_auth(&app.worker_token)
            .json(&json!({ "worker_name": "probe", "capabilities": capabilities }))
            .send()
    };
    assert_eq!(claim(json!(["cpu", "cuda"])).await.unwrap().status(), 204);
    let claimed: Value = claim(json!(["tensorrt"]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(claimed["job_id"], engine["job_id"]);
    assert!(
        claimed["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "nanodet_int8_bs1.onnx"),
        "{claimed:#}"
    );
    let workers = app.get_json("/api/workers").await;
    assert!(
        workers
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["capabilities"] == json!(["cpu"]) && w["name"] != "probe")
    );
}
