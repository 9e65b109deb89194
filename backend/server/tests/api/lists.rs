//! Bounded strings and lists: run names, tags and notes have length limits, export batch
//! sizes and sweeps are bounded, lists come a page at a time with a cursor, and jobs are
//! listed without their logs.

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_json_error, spawn_app_with};

fn without_worker() -> Options {
    Options {
        embedded_worker: false,
        ..Options::default()
    }
}

fn config(model_id: i64, dataset_id: i64) -> Value {
    json!({
        "model_id": model_id,
        "calibration_dataset_id": dataset_id,
        "profile": "nanodet",
        "calibration_method": "max",
        "export_batch_sizes": ["1"],
        "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 2 },
    })
}

async fn refused(app: &TestApp, config: &Value, status: u16) -> String {
    assert_json_error(app.post_json("/api/runs", config).await, status).await
}

#[tokio::test]
async fn overlong_names_tags_notes_and_unbounded_sizes_or_sweeps_are_refused() {
    let (app, _dir) = spawn_app_with(without_worker()).await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    let base = config(model_id, dataset_id);
    let with = |key: &str, value: Value| {
        let mut config = base.clone();
        config[key] = value;
        config
    };
    refused(&app, &with("name", json!("n".repeat(201))), 422).await;
    refused(&app, &with("tags", json!(["t".repeat(51)])), 422).await;
    refused(&app, &with("tags", json!(vec!["t"; 21])), 422).await;
    for sizes in [
        json!(["99999999"]),
        json!(["1", "1"]),
        json!(["1", "2", "4", "8", "16"]),
    ] {
        let message = refused(&app, &with("export_batch_sizes", sizes), 422).await;
        assert!(message.contains("batch size"), "{message}");
    }
    let sweep = |counts: Vec<usize>| json!({ "kind": "sweep", "keep_float": counts });
    let mut sensitive = base.clone();
    sensitive["sensitivity"] = json!({ "mode": "one-on", "metric": "proxy" });
    for counts in [Vec::new(), vec![1; 10_000]] {
        sensitive["boundary"] = sweep(counts);
        let message = refused(&app, &sensitive, 422).await;
        assert!(message.contains("distinct counts"), "{message}");
    }
    assert_eq!(app.get_json("/api/runs").await.as_array().unwrap().len(), 0);

    let run_id = app.create_run(&base).await;
    let patch = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/runs/{run_id}")))
            .bearer_auth(&app.write_token)
            .json(&body)
            .send()
    };
    assert_json_error(
        patch(json!({ "notes": "x".repeat(10_001) })).await.unwrap(),
        422,
    )
    .await;
    assert_json_error(patch(json!({ "tags": [""] })).await.unwrap(), 422).await;
    assert_eq!(
        patch(json!({ "notes": "fine", "tags": ["a"] }))
            .await
            .unwrap()
            .status(),
        200
    );
}

/// All pages of `path` (a list route), following `x-next-cursor`.
async fn all_pages(app: &TestApp, path: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200);
        cursor = response
            .headers()
            .get("x-next-cursor")
            .map(|c| c.to_str().unwrap().to_owned());
        let page: Vec<Value> = response.json().await.unwrap();
        pages += 1;
        items.extend(page);
        if cursor.is_none() {
            return (items, pages);
        }
    }
}

#[tokio::test]
async fn runs_and_jobs_come_a_page_at_a_time_and_jobs_without_their_logs() {
    let (app, _dir) = spawn_app_with(without_worker()).await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    let mut created = Vec::new();
    for i in 0..5 {
        let mut config = config(model_id, dataset_id);
        config["name"] = json!(format!("run {i}"));
        created.push(app.create_run(&config).await);
    }
    let (runs, pages) = all_pages(&app, "/api/runs?limit=2&sort=name").await;
    let names: Vec<&str> = runs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["run 0", "run 1", "run 2", "run 3", "run 4"]);
    assert_eq!(pages, 3);
    let (newest_first, _) = all_pages(&app, "/api/runs?limit=3&sort=-created_at").await;
    let ids: Vec<i64> = newest_first
        .iter()
        .map(|r| r["run_id"].as_i64().unwrap())
        .collect();
    created.reverse();
    assert_eq!(ids, created);

    let job_count = app
        .get_json(&format!("/api/runs/{}/jobs", created[0]))
        .await
        .as_array()
        .unwrap()
        .len();
    let (jobs, _) = all_pages(&app, "/api/jobs?limit=4").await;
    assert_eq!(jobs.len(), job_count * 5);
    let mut ids: Vec<i64> = jobs.iter().map(|j| j["job_id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), jobs.len(), "no job twice");
    assert!(jobs.iter().all(|j| j["log"] == ""));

    let job_id = jobs[0]["job_id"].as_i64().unwrap();
    let claim = app.claim_by_hand().await;
    let beat = json!({ "lease_token": claim["lease_token"], "progress": 0.5, "log": ["a line"] });
    let response = app
        .client
        .post(app.url(&format!("/api/jobs/{}/heartbeat", claim["job_id"])))
        .bearer_auth(&app.worker_token)
        .json(&beat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let log = app
        .get(&format!("/api/jobs/{}/log", claim["job_id"]))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(log, "a line\n");
    assert_eq!(claim["job_id"], job_id);

    let message = assert_json_error(app.get("/api/jobs/999999").await, 404).await;
    assert_eq!(message, "job 999999 not found");
}
