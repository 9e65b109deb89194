use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_json_error, download_and_run, find, job_kinds, spawn_app, watch_run_succeed,
};

/// The tensors the QuantizeLinear nodes of `model` read (not constants), each once, in the
/// order of the nodes.
fn quantized_activations(model: &qbound_engine::onnx::proto::ModelProto) -> Vec<String> {
    let graph = model.graph.as_ref().unwrap();
    let constants: std::collections::HashSet<&str> = graph
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    let mut seen = Vec::new();
    for node in &graph.node {
        if node.op_type.as_deref() == Some("QuantizeLinear") {
            let tensor = &node.input[0];
            if !constants.contains(tensor.as_str()) && !seen.contains(tensor) {
                seen.push(tensor.clone());
            }
        }
    }
    seen
}

/// The run's error analysis has a row per quantized tensor of its full-INT8 export (`int8`),
/// in graph order, the worst flagged with their causes, and the same rows as CSV.
async fn the_analysis_covers_the_quantized_tensors(app: &TestApp, run_id: i64, int8: &Value) {
    let path = format!("/api/runs/{run_id}/analysis");
    let analysis = app.get_json(&path).await;
    assert_eq!(analysis["images"], 4, "the run's 4 calibration photos");
    assert_eq!(analysis["output_images"], 2, "output errors on the first 2");
    let tensors = analysis["tensors"].as_array().unwrap();
    let names: Vec<&str> = tensors
        .iter()
        .map(|t| t["tensor"].as_str().unwrap())
        .collect();
    let bytes = app
        .get(int8["download_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    let model = qbound_engine::onnx::decode_model(&bytes).unwrap();
    assert_eq!(names, quantized_activations(&model));
    for (i, t) in tensors.iter().enumerate() {
        assert_eq!(t["position"], i);
        for figure in ["local_sqnr_db", "cumulative_sqnr_db", "output_sqnr_db"] {
            assert!(t[figure].is_number(), "{figure}: {t}");
        }
    }
    let flagged: Vec<&Value> = tensors.iter().filter(|t| t["flagged"] == true).collect();
    assert_eq!(flagged.len(), 5);
    for t in &flagged {
        let causes = t["causes"].as_array().unwrap();
        assert!(
            !causes.is_empty(),
            "a flagged tensor without a cause: {t:#}"
        );
        assert!(
            causes
                .iter()
                .all(|c| c["text"].as_str().unwrap().len() > 10)
        );
    }

    let csv = app.get(&format!("{path}?format=csv")).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("run-{run_id}-analysis.csv"))
    );
    let csv = csv.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), names.len());
    for (i, (row, name)) in rows.iter().zip(&names).enumerate() {
        assert!(row.starts_with(&format!("{i},\"{name}\",")), "{row}");
    }
    let message = assert_json_error(app.get(&format!("{path}?format=xml")).await, 400).await;
    assert!(message.contains("csv"), "{message}");
}

#[tokio::test]
async fn a_run_goes_from_calibration_to_downloadable_bs1_and_bs32_models() {
    let (app, _dir) = spawn_app().await;
    let (model_id, dataset_id) = app.upload_demo(4).await;
    let run_id = app.create_small_run(model_id, dataset_id).await;

    let events = watch_run_succeed(&app, run_id, "calibrate").await;

    let jobs = app.get_json(&format!("/api/runs/{run_id}/jobs")).await;
    assert_eq!(
        job_kinds(&jobs),
        ["calibrate", "quantize", "benchmark", "analyze"]
    );
    for job in jobs.as_array().unwrap() {
        assert!(
            events.iter().any(|(k, e)| k == "job"
                && e["job_id"] == job["job_id"]
                && e["state"] == "succeeded"),
            "the stream ended before job {}'s own `succeeded`: {events:?}",
            job["job_id"]
        );
    }
    assert!(
        jobs.as_array()
            .unwrap()
            .iter()
            .all(|j| j["state"] == "succeeded")
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("qbound_jobs{state=\"succeeded\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("qbound_job_duration_seconds_count 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("qbound_jobs{state=\"running\"} 0"),
        "{metrics}"
    );

    let layers = app.get_json(&format!("/api/runs/{run_id}/layers")).await;
    assert_eq!(layers.as_array().unwrap().len(), 34);
    let points = app.get_json(&format!("/api/runs/{run_id}/tradeoff")).await;
    let int8 = points
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "int8")
        .unwrap();
    assert_eq!(int8["quantized_layer_count"], 34);
    assert!(int8["throughput"]["1"].as_f64().unwrap() > 0.0);
    let fp32 = points
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "fp32")
        .unwrap();
    assert!(fp32["throughput"]["1"].as_f64().unwrap() > 0.0);

    let artifacts = app.get_json(&format!("/api/runs/{run_id}/artifacts")).await;
    let names: Vec<&str> = artifacts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for expected in [
        "calibration.json",
        "calibration.cache",
        "nanodet_int8_bs1.onnx",
        "nanodet_int8_bs32.onnx",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for (name, batch) in [("nanodet_int8_bs1.onnx", 1), ("nanodet_int8_bs32.onnx", 32)] {
        download_and_run(&app, find(&artifacts, "name", name), batch).await;
    }
    let int8 = find(&artifacts, "name", "nanodet_int8_bs1.onnx");
    the_analysis_covers_the_quantized_tensors(&app, run_id, int8).await;

    let cache = artifacts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "calibration.cache")
        .unwrap();
    let ranged = app
        .client
        .get(app.url(cache["download_url"].as_str().unwrap()))
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().len(), 10);
}

#[tokio::test]
async fn runs_are_listed_with_filters_tags_and_notes() {
    let (app, _dir) = spawn_app().await;
    let (model_id, dataset_id) = app.upload_demo(2).await;
    let first = app.create_small_run(model_id, dataset_id).await;
    let second = app.create_small_run(model_id, dataset_id).await;
    let patch = json!({ "tags": ["keep", "baseline"], "notes": "the reference" });
    let response = app
        .client
        .patch(app.url(&format!("/api/runs/{first}")))
        .bearer_auth(&app.write_token)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tagged = app.get_json("/api/runs?tag=keep").await;
    assert_eq!(tagged.as_array().unwrap().len(), 1);
    assert_eq!(tagged[0]["notes"], "the reference");
    let ascending = app.get_json("/api/runs?sort=created_at").await;
    assert_eq!(ascending[0]["run_id"], first);
    let descending = app.get_json("/api/runs?sort=-run_id").await;
    assert_eq!(descending[0]["run_id"], second);
    assert_json_error(app.get("/api/runs?sort=password").await, 400).await;
    let response = app
        .client
        .post(app.url(&format!("/api/runs/{second}/cancel")))
        .bearer_auth(&app.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let message =
        assert_json_error(app.get(&format!("/api/runs/{second}/analysis")).await, 404).await;
    assert!(message.contains("error analysis"), "{message}");
    let response = app
        .client
        .delete(app.url(&format!("/api/runs/{second}")))
        .bearer_auth(&app.write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_json_error(app.get(&format!("/api/runs/{second}")).await, 404).await;
}

#[tokio::test]
async fn a_bad_run_configuration_is_refused_and_creates_nothing() {
    let (app, _dir) = spawn_app().await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    let base =
        json!({ "model_id": model_id, "calibration_dataset_id": dataset_id, "profile": "nanodet" });
    let mut unknown_profile = base.clone();
    unknown_profile["profile"] = json!("resnet-magic");
    let message = assert_json_error(app.post_json("/api/runs", &unknown_profile).await, 422).await;
    assert!(message.contains("unknown profile"), "{message}");
    let mut missing_model = base.clone();
    missing_model["model_id"] = json!(9999);
    let message = assert_json_error(app.post_json("/api/runs", &missing_model).await, 422).await;
    assert!(message.contains("model 9999"), "{message}");
    let mut partial_without_ranking = base.clone();
    partial_without_ranking["boundary"] = json!({ "kind": "keep_float", "count": 3 });
    assert_json_error(
        app.post_json("/api/runs", &partial_without_ranking).await,
        422,
    )
    .await;
    let validation = app.upload_validation(1).await;
    for (sensitivity, boundary, validation, expected) in [
        (
            "map",
            json!({ "kind": "keep_float", "count": 1 }),
            Some(validation),
            "COCO annotations",
        ),
        (
            "agreement",
            json!({ "kind": "keep_float", "count": 1 }),
            None,
            "validation dataset",
        ),
        (
            "proxy",
            json!({ "kind": "max_drop", "max_drop": 1.5 }),
            Some(validation),
            "max_drop",
        ),
        (
            "proxy",
            json!({ "kind": "sweep", "keep_float": [1, 35] }),
            None,
            "35 layers",
        ),
    ] {
        let mut config = base.clone();
        config["sensitivity"] = json!({ "mode": "one-on", "metric": sensitivity });
        config["boundary"] = boundary;
        config["validation_dataset_id"] = json!(validation);
        let message = assert_json_error(app.post_json("/api/runs", &config).await, 422).await;
        assert!(message.contains(expected), "{message}");
    }
    let mut unknown_field = base.clone();
    unknown_field["colour"] = json!("blue");
    assert_json_error(app.post_json("/api/runs", &unknown_field).await, 422).await;
    let broken = app
        .client
        .post(app.url("/api/runs"))
        .bearer_auth(&app.write_token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_json_error(broken, 400).await;
    assert_eq!(app.get_json("/api/runs").await, json!([]));
    assert_eq!(app.get_json("/api/jobs").await, json!([]));
}
