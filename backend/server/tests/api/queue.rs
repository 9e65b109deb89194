use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, spawn_app_with};

#[tokio::test]
async fn a_completion_sent_twice_is_stored_once_and_a_stale_lease_is_refused() {
    let options = Options {
        embedded_worker: false,
        ..Options::default()
    };
    let (app, _dir) = spawn_app_with(options).await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    let run_id = app.create_small_run(model_id, dataset_id).await;
    let claim = json!({ "worker_name": "manual", "capabilities": ["cpu"] });
    let post = |path: String, body: Value| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&app.worker_token)
            .json(&body)
            .send()
    };
    let job: Value = post("/api/jobs/claim".into(), claim.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(job["kind"], "calibrate");
    assert!(
        job["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "calibration.tar")
    );
    let id = job["job_id"].as_i64().unwrap();
    let nothing_else = post("/api/jobs/claim".into(), claim.clone()).await.unwrap();
    assert_eq!(
        nothing_else.status(),
        204,
        "the quantize job waits for calibration"
    );

    let upload = |body: &'static [u8]| {
        app.client
            .put(app.url(&format!(
                "/api/jobs/{id}/artifacts/calibration.json?kind=calibration"
            )))
            .bearer_auth(&app.worker_token)
            .header("x-lease-token", job["lease_token"].as_str().unwrap())
            .body(body)
            .send()
    };
    assert_eq!(upload(b"{}").await.unwrap().status(), 201);
    assert_eq!(upload(b"{}").await.unwrap().status(), 201);
    let result = json!({ "lease_token": job["lease_token"], "result": { "kind": "calibrate", "tensor_count": 0, "images": 1 } });
    assert_eq!(
        post(format!("/api/jobs/{id}/complete"), result.clone())
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(format!("/api/jobs/{id}/complete"), result)
            .await
            .unwrap()
            .status(),
        200
    );
    let artifacts = app.get_json(&format!("/api/runs/{run_id}/artifacts")).await;
    assert_eq!(artifacts.as_array().unwrap().len(), 1);
    let stale = json!({ "lease_token": "not-the-lease", "progress": 0.5 });
    assert_eq!(
        post(format!("/api/jobs/{id}/heartbeat"), stale)
            .await
            .unwrap()
            .status(),
        409
    );
    let next: Value = post("/api/jobs/claim".into(), claim)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["kind"], "quantize");
    assert!(
        next["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "calibration.json")
    );
}

#[tokio::test]
async fn a_server_restarted_mid_run_loses_nothing_and_the_run_finishes() {
    let options = Options {
        embedded_worker: true,
        lease: Duration::from_secs(2),
        ..Options::default()
    };
    let (mut app, _dir) = spawn_app_with(options).await;
    let (model_id, dataset_id) = app.upload_demo(4).await;
    let run_id = app.create_small_run(model_id, dataset_id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = app
            .get_json(&format!("/api/jobs?run_id={run_id}&state=running"))
            .await;
        if !jobs.as_array().unwrap().is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the embedded worker starts a job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;

    let options = Options {
        embedded_worker: true,
        lease: Duration::from_secs(2),
        ..Options::default()
    };
    let app = app.restarted(&options).await;
    let run = app.wait_for_run(run_id, Duration::from_secs(240)).await;
    assert_eq!(run["status"], "succeeded");
    let models = app.get_json("/api/models").await;
    assert_eq!(models.as_array().unwrap().len(), 1);
    let artifacts = app.get_json(&format!("/api/runs/{run_id}/artifacts")).await;
    assert!(
        artifacts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "nanodet_int8_bs32.onnx")
    );
}
