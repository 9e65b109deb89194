//! A bounded load on loopback; run alone as a benchmark harness with
//! `cargo test -p qbound-server --test api load:: -- --nocapture`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{find, spawn_app};

const CLIENTS: usize = 50;
const REQUESTS_PER_CLIENT: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[tokio::test]
async fn fifty_clients_list_runs_and_read_artifacts_while_a_job_runs() {
    let (app, _dir) = spawn_app().await;
    let (model_id, dataset_id) = app.upload_demo(2).await;
    let first = app.create_small_run(model_id, dataset_id).await;
    let run = app.wait_for_run(first, Duration::from_secs(120)).await;
    assert_eq!(run["status"], "succeeded");
    let artifacts = app.get_json(&format!("/api/runs/{first}/artifacts")).await;
    let artifact = find(&artifacts, "name", "calibration.cache");
    let download = artifact["download_url"].as_str().unwrap().to_owned();
    let size = artifact["size"].as_u64().unwrap() as usize;

    let busy = app
        .create_run(&json!({
            "model_id": model_id,
            "calibration_dataset_id": dataset_id,
            "profile": "nanodet",
            "calibration_method": "max",
            "export_batch_sizes": ["1"],
            "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 100 },
        }))
        .await;
    let running = |jobs: &[Value]| jobs.iter().any(|j| j["state"] == "running");
    app.wait_for_jobs(busy, Duration::from_secs(60), "a job runs", running)
        .await;

    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let http = reqwest::Client::new();
            let (runs, file) = (app.url("/api/runs"), app.url(&download));
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(REQUESTS_PER_CLIENT);
                for i in 0..REQUESTS_PER_CLIENT {
                    let url = if (client + i) % 2 == 0 { &runs } else { &file };
                    let sent = Instant::now();
                    let response = http.get(url).send().await.unwrap();
                    assert_eq!(response.status(), 200, "{url}");
                    let body = response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                    if url == &file {
                        assert_eq!(body.len(), size);
                    } else {
                        let runs: Value = serde_json::from_slice(&body).unwrap();
                        assert_eq!(runs.as_array().unwrap().len(), 2);
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    assert_eq!(latencies.len(), CLIENTS * REQUESTS_PER_CLIENT);
    let jobs = app.get_json(&format!("/api/runs/{busy}/jobs")).await;
    let still_running = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["state"] == "running")
        .count();
    println!(
        "load: {} requests from {CLIENTS} clients in {:.2} s ({:.0} req/s); p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; jobs running at the end: {still_running}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    assert_eq!(app.get_json("/api/health").await["status"], "ok");
}
