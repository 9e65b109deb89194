//! A worker the test plays over the real job protocol: it claims each job of a run and
//! completes it with results the test chooses, so that the UI shows a known outcome in
//! seconds. It offers only `cpu`, so the server knows a CPU-only worker.

use serde_json::{Value, json};

use crate::setup::Server;

/// What one trade-off point measures: accuracy (agreement with float) and images per
/// second (median) at batch 1 and 32, and whether its quantize job kept every layer float.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub(crate) label: &'static str,
    pub(crate) accuracy: f64,
    pub(crate) bs1: f64,
    pub(crate) bs32: f64,
    pub(crate) all_float: bool,
}

/// The float model's outcome in every run the tests play.
pub(crate) const FLOAT: Outcome = Outcome {
    label: "fp32",
    accuracy: 1.0,
    bs1: 50.0,
    bs32: 100.0,
    all_float: true,
};

/// The name the scripted worker registers under.
pub(crate) const WORKER_NAME: &str = "scripted-cpu";

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Creates a run from `config` with the write token; returns its id.
pub(crate) async fn create_run(server: &Server, config: &Value) -> i64 {
    let response = client()
        .post(format!("{}/api/runs", server.base))
        .bearer_auth(&server.write_token)
        .json(config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let run: Value = response.json().await.unwrap();
    run["run_id"].as_i64().unwrap()
}

async fn worker_post(server: &Server, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", server.base))
        .bearer_auth(&server.worker_token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Claims once, offering `cpu` only; registers the worker with the server.
pub(crate) async fn claim(server: &Server) -> Option<Value> {
    let claim = json!({ "worker_name": WORKER_NAME, "capabilities": ["cpu"] });
    let response = worker_post(server, "/api/jobs/claim", &claim).await;
    match response.status().as_u16() {
        204 => None,
        200 => Some(response.json().await.unwrap()),
        other => panic!("claim answered {other}: {:?}", response.text().await),
    }
}

fn outcome<'a>(outcomes: &'a [Outcome], label: &str) -> &'a Outcome {
    std::iter::once(&FLOAT)
        .chain(outcomes)
        .find(|o| o.label == label)
        .unwrap_or_else(|| panic!("no outcome for point `{label}`"))
}

fn measurement(model: &str, batch: i64, images_per_second: f64) -> Value {
    let median_ms = batch as f64 * 1000.0 / images_per_second;
    json!({
        "model": model, "batch_size": batch, "median_ms": median_ms,
        "images_per_second": images_per_second,
        "min_ms": median_ms * 0.97, "max_ms": median_ms * 1.03, "provider": "cpu",
    })
}

/// The result of `job` for these outcomes, over a model with `layers`.
fn result(job: &Value, outcomes: &[Outcome], layers: &[String]) -> Value {
    let label = job["label"].as_str().unwrap();
    match job["kind"].as_str().unwrap() {
        "calibrate" => json!({ "kind": "calibrate", "tensor_count": 10, "images": 8 }),
        "sensitivity" => {
            let scores: Vec<Value> = layers
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let sensitivity = 0.05 / (i + 1) as f64;
                    json!({
                        "name": name, "op": "Conv", "position": i,
                        "score": 1.0 - sensitivity, "score_secondary": 1.0 - sensitivity,
                        "sensitivity": sensitivity, "rank": i + 1, "seconds": 0.1,
                    })
                })
                .collect();
            json!({ "kind": "sensitivity", "metric": "agreement", "mode": "one-on",
                    "reference_score": 1.0, "layers": scores, "seconds": 1.0 })
        }
        "evaluate" => {
            let accuracy = outcome(outcomes, label).accuracy;
            json!({ "kind": "evaluate", "metric": "agreement", "accuracy": accuracy,
                    "accuracy50": accuracy, "images": 8 })
        }
        "quantize" => {
            let keep = if outcome(outcomes, label).all_float {
                layers.len()
            } else {
                job["params"]["keep_float"].as_u64().unwrap_or(0) as usize
            };
            json!({ "kind": "quantize", "quantized_layers": &layers[keep..],
                    "float_layers": &layers[..keep] })
        }
        "benchmark" => {
            let point = outcome(outcomes, label);
            json!({ "kind": "benchmark", "measurements": [
                measurement("fp32", 1, FLOAT.bs1), measurement("fp32", 32, FLOAT.bs32),
                measurement(label, 1, point.bs1), measurement(label, 32, point.bs32),
            ] })
        }
        "analyze" => analysis(layers),
        other => panic!("the scripted worker does not do `{other}` jobs"),
    }
}

/// An error analysis with one tensor read by each of `layers`, the error falling along the
/// graph, every seventh tensor flagged for a wide range; a tensor without any error first.
fn analysis(layers: &[String]) -> Value {
    let tensor = |position: usize, name: &str, layers: Vec<&String>, local: f64| {
        let flagged = position % 7 == 3;
        let causes = if flagged {
            json!([{ "kind": "wide-range", "figure": 9.0,
                     "text": "wide range, values near zero: 99% of them on 9 levels" }])
        } else {
            json!([])
        };
        json!({
            "tensor": name, "position": position, "low": -4.0, "high": 4.0, "step": 0.03,
            "clipped": 0.0, "levels_used": if flagged { 9.0 } else { 60.0 }, "channel_spread": 2.0,
            "local_sqnr_db": if flagged { local - 12.0 } else { local },
            "cumulative_sqnr_db": if position == 0 { 120.0 } else { 40.0 - position as f64 * 0.8 },
            "flagged": flagged, "causes": causes, "layers": layers,
        })
    };
    let tensors: Vec<Value> = std::iter::once(tensor(0, "input", vec![], 48.0))
        .chain(layers.iter().enumerate().map(|(i, layer)| {
            tensor(
                i + 1,
                &format!("{layer}:input"),
                vec![layer],
                38.0 - (i % 5) as f64,
            )
        }))
        .collect();
    json!({ "kind": "analyze", "analysis": { "images": 8, "tensors": tensors } })
}

/// Plays every job of the server's queue with `outcomes` (and [`FLOAT`]) until none is
/// left, uploading a small ONNX file for each quantized point.
pub(crate) async fn play_queue(server: &Server, outcomes: &[Outcome]) {
    let model: Value = client()
        .get(format!("{}/api/models/1", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let layers: Vec<String> = model["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect();
    while let Some(job) = claim(server).await {
        let id = job["job_id"].as_i64().unwrap();
        let lease = job["lease_token"].as_str().unwrap();
        let label = job["label"].as_str().unwrap();
        if job["kind"] == "quantize" && !outcome(outcomes, label).all_float {
            let name = format!("nanodet_{label}_bs1.onnx");
            let uploaded = client()
                .put(format!(
                    "{}/api/jobs/{id}/artifacts/{name}?kind=onnx",
                    server.base
                ))
                .bearer_auth(&server.worker_token)
                .header("x-lease-token", lease)
                .body(format!("a stand-in for the {label} model"))
                .send()
                .await
                .unwrap();
            assert_eq!(uploaded.status(), 201);
        }
        let body = json!({ "lease_token": lease, "result": result(&job, outcomes, &layers) });
        let done = worker_post(server, &format!("/api/jobs/{id}/complete"), &body).await;
        assert_eq!(done.status(), 200, "{:?}", done.text().await);
    }
}

/// A run's configuration on the demo model and photos with `boundary`.
pub(crate) fn demo_config(name: &str, boundary: Value) -> Value {
    json!({
        "name": name, "model_id": 1, "calibration_dataset_id": 1, "validation_dataset_id": 2,
        "profile": "nanodet", "calibration_method": "max",
        "sensitivity": { "mode": "one-on", "metric": "agreement" },
        "boundary": boundary, "target": "ort-cpu", "export_batch_sizes": ["1"],
        "benchmark": { "batch_sizes": [1, 32], "warmup_runs": 1, "timed_runs": 3, "provider": "cpu" },
    })
}
