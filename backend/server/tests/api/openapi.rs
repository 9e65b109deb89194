//! The OpenAPI document describes what the server really sends: every response of a whole
//! journey (uploads, a run with evaluation to its recommended point, lists, tokens, errors)
//! validates against the schema `/api/openapi.json` gives for that operation and status.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, spawn_app, spawn_app_with};

/// The document and a way to check responses against it.
struct Described {
    document: Value,
    checked: usize,
}

impl Described {
    async fn load(app: &TestApp) -> Self {
        Self {
            document: app.get_json("/api/openapi.json").await,
            checked: 0,
        }
    }

    /// The JSON schema of `method template`'s `status` response, its `$ref`s resolvable.
    fn schema(&self, method: &str, template: &str, status: u16) -> Value {
        let responses = &self.document["paths"][template][method]["responses"];
        assert!(
            responses.is_object(),
            "{method} {template} is not in the document"
        );
        let class = format!("{}XX", status / 100);
        let response = [status.to_string(), class]
            .iter()
            .map(|key| &responses[key.as_str()])
            .find(|r| r.is_object())
            .unwrap_or_else(|| panic!("{method} {template} does not describe a {status}"));
        let mut schema = response["content"]["application/json"]["schema"].clone();
        assert!(
            schema.is_object(),
            "{method} {template} {status} has no JSON schema"
        );
        schema["components"] = self.document["components"].clone();
        schema
    }

    /// Whether `body` fails the schema of `method template`'s `status` response.
    fn rejects(&self, method: &str, template: &str, status: u16, body: &Value) -> bool {
        let schema = self.schema(method, template, status);
        !jsonschema::validator_for(&schema).unwrap().is_valid(body)
    }

    /// Checks one response body.
    fn check(&mut self, method: &str, template: &str, status: u16, body: &Value) {
        let schema = self.schema(method, template, status);
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{method} {template}: the schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:#?}\nbody: {body:#}"
        );
        self.checked += 1;
    }

    /// `GET path` (described as `template`), checked; returns the body.
    async fn get(&mut self, app: &TestApp, template: &str, path: &str) -> Value {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(&app.write_token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        self.check("get", template, status, &body);
        body
    }

    /// A JSON request with the write token (or none), checked; returns the body.
    async fn send(
        &mut self,
        app: &TestApp,
        (method, template, path): (&str, &str, &str),
        body: &Value,
        token: bool,
    ) -> (u16, Value) {
        let mut request = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(path))
            .json(body);
        if token {
            request = request.bearer_auth(&app.write_token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        self.check(method, template, status, &body);
        (status, body)
    }
}

#[tokio::test]
async fn every_response_of_a_journey_matches_the_openapi_document() {
    let (app, _dir) = spawn_app().await;
    let mut api = Described::load(&app).await;
    assert!(
        api.document["components"]["schemas"]["RunRecord"]["properties"]["recommended"].is_object(),
        "the schemas come from the shared types"
    );
    let run_body = &api.document["paths"]["/api/runs"]["post"]["requestBody"];
    assert_eq!(
        run_body["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/RunConfig"
    );
    let upload = &api.document["paths"]["/api/datasets"]["post"]["requestBody"]["content"]["multipart/form-data"]
        ["schema"];
    assert!(upload["properties"]["file"].is_object() && upload["properties"]["name"].is_object());

    let wrong = json!([{ "run_id": "seven", "status": "succeeded" }]);
    assert!(
        api.rejects("get", "/api/runs", 200, &wrong),
        "the schemas are not vacuous"
    );

    api.get(&app, "/api/health", "/api/health").await;
    let (model_id, calibration_id) = app.upload_demo(4).await;
    let validation_id = app.upload_validation(4).await;
    api.get(&app, "/api/models", "/api/models").await;
    api.get(&app, "/api/models/{id}", &format!("/api/models/{model_id}"))
        .await;
    api.get(
        &app,
        "/api/models/{id}/layers",
        &format!("/api/models/{model_id}/layers"),
    )
    .await;
    api.get(&app, "/api/datasets", "/api/datasets").await;
    api.get(
        &app,
        "/api/datasets/{id}",
        &format!("/api/datasets/{validation_id}"),
    )
    .await;

    let config = json!({
        "name": "described", "model_id": model_id, "calibration_dataset_id": calibration_id,
        "validation_dataset_id": validation_id, "profile": "nanodet", "calibration_method": "max",
        "boundary": { "kind": "all" }, "target": "ort-cpu", "export_batch_sizes": ["1"],
        "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 3 },
    });
    let (status, _) = api
        .send(&app, ("post", "/api/runs", "/api/runs"), &config, false)
        .await;
    assert_eq!(status, 401);
    let (status, run) = api
        .send(&app, ("post", "/api/runs", "/api/runs"), &config, true)
        .await;
    assert_eq!(status, 201);
    let run_id = run["run_id"].as_i64().unwrap();
    let finished = app.wait_for_run(run_id, Duration::from_secs(300)).await;
    assert_eq!(finished["status"], "succeeded", "{finished:#}");

    let run = api
        .get(&app, "/api/runs/{id}", &format!("/api/runs/{run_id}"))
        .await;
    assert!(run["recommended"]["label"].is_string(), "{run:#}");
    api.get(&app, "/api/runs", "/api/runs?sort=-created_at&limit=10")
        .await;
    for part in ["jobs", "layers", "tradeoff", "analysis", "artifacts"] {
        api.get(
            &app,
            &format!("/api/runs/{{id}}/{part}"),
            &format!("/api/runs/{run_id}/{part}"),
        )
        .await;
    }
    let path = format!("/api/runs/{run_id}");
    api.send(
        &app,
        ("patch", "/api/runs/{id}", &path),
        &json!({ "tags": ["described"], "notes": "checked" }),
        true,
    )
    .await;
    let jobs = api
        .get(&app, "/api/jobs", &format!("/api/jobs?run_id={run_id}"))
        .await;
    let job_id = jobs[0]["job_id"].as_i64().unwrap();
    assert_eq!(
        api.document["components"]["schemas"]["JobState"]["enum"],
        json!(["queued", "running", "succeeded", "failed", "cancelled"]),
        "the API's words are schemas of their own"
    );
    let mut unknown_state = jobs.clone();
    unknown_state[0]["state"] = json!("done");
    assert!(api.rejects("get", "/api/jobs", 200, &unknown_state));
    api.get(&app, "/api/jobs/{id}", &format!("/api/jobs/{job_id}"))
        .await;
    let artifacts = api.get(&app, "/api/artifacts", "/api/artifacts").await;
    let artifact_id = artifacts[0]["artifact_id"].as_i64().unwrap();
    api.get(
        &app,
        "/api/artifacts/{id}",
        &format!("/api/artifacts/{artifact_id}"),
    )
    .await;
    api.get(&app, "/api/workers", "/api/workers").await;
    api.send(
        &app,
        ("post", "/api/tokens", "/api/tokens"),
        &json!({ "name": "reader", "role": "read" }),
        true,
    )
    .await;
    api.get(&app, "/api/tokens", "/api/tokens").await;
    api.get(&app, "/api/runs/{id}", "/api/runs/999999").await;
    println!("{} responses match the document", api.checked);
    assert_eq!(api.checked, 24);
}

#[tokio::test]
async fn the_worker_protocol_bodies_are_real_schemas_that_a_claim_matches() {
    let options = Options {
        embedded_worker: false,
        ..Options::default()
    };
    let (app, _dir) = spawn_app_with(options).await;
    let (model_id, dataset_id) = app.upload_demo(1).await;
    app.create_small_run(model_id, dataset_id).await;
    let mut api = Described::load(&app).await;
    let request_schema = |template: &str| {
        let mut schema = api.document["paths"][template]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]
            .clone();
        schema["components"] = api.document["components"].clone();
        jsonschema::validator_for(&schema).unwrap()
    };
    let claim = json!({ "worker_name": "hand", "capabilities": ["cpu"] });
    assert!(request_schema("/api/jobs/claim").is_valid(&claim));
    assert!(!request_schema("/api/jobs/claim").is_valid(&json!({ "worker_name": "hand" })));
    let heartbeat = request_schema("/api/jobs/{id}/heartbeat");
    assert!(heartbeat.is_valid(&json!({ "lease_token": "t", "progress": 0.5, "log": ["a"] })));
    assert!(!heartbeat.is_valid(&json!({ "progress": 0.5 })));
    let fail = request_schema("/api/jobs/{id}/fail");
    assert!(fail.is_valid(&json!({ "lease_token": "t", "error": "x", "outcome": "permanent" })));
    assert!(!fail.is_valid(&json!({ "lease_token": "t", "error": "x", "outcome": "maybe" })));
    let complete = request_schema("/api/jobs/{id}/complete");
    let result = json!({ "kind": "calibrate", "tensor_count": 3, "images": 1 });
    assert!(complete.is_valid(&json!({ "lease_token": "t", "result": result })));
    assert!(!complete.is_valid(&json!({ "lease_token": "t", "result": { "kind": "guess" } })));

    let claimed = app.claim_by_hand().await;
    api.check("post", "/api/jobs/claim", 200, &claimed);
    assert!(
        api.rejects("post", "/api/jobs/claim", 200, &json!({ "job_id": 1 })),
        "a claim answer is a described object, not any object"
    );
}
