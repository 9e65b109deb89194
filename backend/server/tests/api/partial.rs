use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{download_and_run, find, job_kinds, spawn_app, watch_run_succeed};

#[tokio::test]
async fn a_sweep_ranks_layers_marks_a_frontier_and_exports_partial_models_that_run() {
    let (app, _dir) = spawn_app().await;
    let (model_id, calibration) = app.upload_demo(4).await;
    let validation = app.upload_validation(4).await;
    let run_id = app
        .create_run(&json!({
            "model_id": model_id,
            "calibration_dataset_id": calibration,
            "validation_dataset_id": validation,
            "profile": "nanodet",
            "calibration_method": "max",
            "sensitivity": { "mode": "one-on", "metric": "proxy", "images": 4 },
            "boundary": { "kind": "sweep", "keep_float": [1, 2] },
            "target": "tensorrt",
            "export_batch_sizes": ["1", "32"],
            "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 2 },
        }))
        .await;

    watch_run_succeed(&app, run_id, "sensitivity").await;
    let jobs = app.get_json(&format!("/api/runs/{run_id}/jobs")).await;
    assert_eq!(
        job_kinds(&jobs),
        [
            "calibrate",
            "sensitivity",
            "evaluate",
            "quantize",
            "evaluate",
            "benchmark",
            "quantize",
            "evaluate",
            "benchmark",
            "quantize",
            "evaluate",
            "benchmark",
            "analyze"
        ],
        "the full INT8 point comes with every sweep"
    );

    let run = app.get_json(&format!("/api/runs/{run_id}")).await;
    let split_half = run["sensitivity_split_half"].as_f64().unwrap();
    let reliability = run["sensitivity_reliability"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&split_half), "{run}");
    assert!(reliability <= 1.0 && reliability.is_finite(), "{run}");

    let layers = app.get_json(&format!("/api/runs/{run_id}/layers")).await;
    let layers = layers.as_array().unwrap();
    assert_eq!(layers.len(), 34);
    let ranks: BTreeSet<i64> = layers
        .iter()
        .map(|l| l["sensitivity_rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, (1..=34).collect());
    assert!(
        layers
            .iter()
            .all(|l| l["sensitivity"].is_number() && l["seconds"].is_number())
    );
    let artifacts = app.get_json(&format!("/api/runs/{run_id}/artifacts")).await;
    let path = app
        .get_json(
            find(&artifacts, "name", "greedy_path.json")["download_url"]
                .as_str()
                .unwrap(),
        )
        .await;
    let kept: Vec<&str> = path["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kept"] == true)
        .filter_map(|s| s["group"].as_str())
        .collect();
    let largest = kept.len().min(2);
    let float: BTreeSet<&str> = layers
        .iter()
        .filter(|l| l["kept_float"] == true)
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        float,
        kept[..largest].iter().copied().collect(),
        "the sweep's largest point keeps the greedy path's first groups float"
    );

    let points = app.get_json(&format!("/api/runs/{run_id}/tradeoff")).await;
    let labels: Vec<&str> = points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["fp32", "int8", "int8-keep1", "int8-keep2"]);
    for point in points.as_array().unwrap() {
        assert_eq!(point["metric"], "agreement", "{point}");
        assert!(point["accuracy"].as_f64().unwrap() > 0.0, "{point}");
        assert!(point["throughput"]["1"].as_f64().unwrap() > 0.0, "{point}");
        assert!(point["pareto"].is_boolean(), "{point}");
    }
    assert_eq!(
        find(&points, "label", "int8-keep2")["float_layer_count"],
        largest
    );
    assert_eq!(find(&points, "label", "int8")["float_layer_count"], 0);
    let accuracy = |label| find(&points, "label", label)["accuracy"].as_f64().unwrap();
    assert!(
        accuracy("int8") <= accuracy("int8-keep1")
            && accuracy("int8-keep1") <= accuracy("int8-keep2"),
        "more float groups never score lower along the path: {points:#}"
    );
    assert_eq!(
        find(&points, "label", "fp32")["pareto"],
        true,
        "the most accurate point"
    );

    // Each file says its point and batch size: no client parses names.
    for (name, point, batch_size) in [
        ("calibration.cache", json!(null), json!(null)),
        ("sensitivity.txt", json!(null), json!(null)),
        ("sensitivity.json", json!(null), json!(null)),
        (
            "nanodet_partial_k1_bs1.onnx",
            json!("int8-keep1"),
            json!("1"),
        ),
        (
            "nanodet_partial_k2_bs32.onnx",
            json!("int8-keep2"),
            json!("32"),
        ),
        (
            "nanodet_partial_k2_report.json",
            json!("int8-keep2"),
            json!(null),
        ),
    ] {
        let artifact = find(&artifacts, "name", name);
        assert_eq!(artifact["point"], point, "{artifact}");
        assert_eq!(artifact["batch_size"], batch_size, "{artifact}");
    }
    let text = app
        .get(
            find(&artifacts, "name", "sensitivity.txt")["download_url"]
                .as_str()
                .unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 34);
    let most_sensitive = text.lines().last().unwrap().split(' ').next().unwrap();
    assert_eq!(
        find(
            &serde_json::Value::from(layers.clone()),
            "name",
            most_sensitive
        )["sensitivity_rank"],
        1
    );
    for (name, batch) in [
        ("nanodet_partial_k2_bs1.onnx", 1),
        ("nanodet_partial_k2_bs32.onnx", 32),
    ] {
        download_and_run(&app, find(&artifacts, "name", name), batch).await;
    }
}

#[tokio::test]
async fn a_max_drop_search_keeps_the_fewest_float_layers_within_the_drop() {
    let (app, _dir) = spawn_app().await;
    let (model_id, calibration) = app.upload_demo(2).await;
    let validation = app.upload_validation(2).await;
    let run_id = app
        .create_run(&json!({
            "model_id": model_id,
            "calibration_dataset_id": calibration,
            "validation_dataset_id": validation,
            "profile": "nanodet",
            "calibration_method": "max",
            "sensitivity": { "mode": "one-on", "metric": "proxy", "images": 2 },
            "boundary": { "kind": "max_drop", "max_drop": 0.01 },
            "export_batch_sizes": ["1"],
            "benchmark": { "batch_sizes": [1], "warmup_runs": 0, "timed_runs": 1 },
        }))
        .await;
    let run = app
        .wait_for_run(run_id, std::time::Duration::from_secs(240))
        .await;
    assert_eq!(run["status"], "succeeded");
    let points = app.get_json(&format!("/api/runs/{run_id}/tradeoff")).await;
    let chosen = find(&points, "label", "int8-maxdrop");
    let fp32 = find(&points, "label", "fp32");
    let kept = chosen["float_layer_count"].as_i64().unwrap();
    assert_eq!(kept + chosen["quantized_layer_count"].as_i64().unwrap(), 34);
    assert!(
        chosen["accuracy"].as_f64().unwrap() >= 0.99 * fp32["accuracy"].as_f64().unwrap(),
        "{points:#}"
    );
    let layers = app.get_json(&format!("/api/runs/{run_id}/layers")).await;
    let float = layers
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kept_float"] == true)
        .count();
    assert_eq!(float as i64, kept);
    let artifacts = app.get_json(&format!("/api/runs/{run_id}/artifacts")).await;
    let tag = if kept == 0 { "int8" } else { "partial" };
    let report_url =
        find(&artifacts, "name", &format!("nanodet_{tag}_report.json"))["download_url"]
            .as_str()
            .unwrap()
            .to_owned();
    let report: serde_json::Value = app.get(&report_url).await.json().await.unwrap();
    assert_eq!(report["max_drop"]["keep_float"], kept);
    find(&artifacts, "name", &format!("nanodet_{tag}_bs1.onnx"));
    println!("max drop 1%: {kept} layers kept float");
}
