//! The OpenAPI 3.1 document of the whole API, served at `/api/openapi.json`.

use serde_json::{Map, Value, json};

/// Who may call a route.
#[derive(Clone, Copy)]
enum Access {
    Open,
    Write,
    Worker,
}

/// (method, path, summary, access, request body media type)
const ROUTES: &[(&str, &str, &str, Access, Option<&str>)] = &[
    (
        "get",
        "/api/health",
        "Liveness and database check",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/openapi.json",
        "This document",
        Access::Open,
        None,
    ),
    ("get", "/api/models", "List models", Access::Open, None),
    (
        "post",
        "/api/models",
        "Upload an ONNX model (multipart `file`, optional `name`)",
        Access::Write,
        Some("multipart/form-data"),
    ),
    (
        "get",
        "/api/models/{id}",
        "A model with its inputs, outputs and layers",
        Access::Open,
        None,
    ),
    (
        "delete",
        "/api/models/{id}",
        "Delete a model no run uses",
        Access::Write,
        None,
    ),
    (
        "get",
        "/api/models/{id}/layers",
        "The model's quantizable layers in order",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/models/{id}/download",
        "The ONNX file (HTTP ranges)",
        Access::Open,
        None,
    ),
    ("get", "/api/datasets", "List datasets", Access::Open, None),
    (
        "post",
        "/api/datasets",
        "Upload a zip, tar or tar.gz of images with an optional COCO annotation file",
        Access::Write,
        Some("multipart/form-data"),
    ),
    ("get", "/api/datasets/{id}", "A dataset", Access::Open, None),
    (
        "get",
        "/api/datasets/{id}/download",
        "The normalised tar of the dataset",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/runs",
        "List runs (status, model_id, tag, q, sort, limit, cursor; next page in `x-next-cursor`)",
        Access::Open,
        None,
    ),
    (
        "post",
        "/api/runs",
        "Create a run from a configuration; it becomes jobs",
        Access::Write,
        Some("application/json"),
    ),
    ("get", "/api/runs/{id}", "A run", Access::Open, None),
    (
        "patch",
        "/api/runs/{id}",
        "Set a run's tags and notes",
        Access::Write,
        Some("application/json"),
    ),
    (
        "delete",
        "/api/runs/{id}",
        "Delete a run and its results",
        Access::Write,
        None,
    ),
    (
        "post",
        "/api/runs/{id}/cancel",
        "Cancel a run's unfinished jobs",
        Access::Write,
        None,
    ),
    (
        "get",
        "/api/runs/{id}/jobs",
        "The run's jobs",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/runs/{id}/layers",
        "Per-layer results: sensitivity (higher suffers more from INT8), rank (1 = most sensitive), score, seconds, and whether the chosen boundary keeps the layer float",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/runs/{id}/tradeoff",
        "Accuracy-throughput points (fp32 and one per quantized point) with the Pareto frontier marked",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/runs/{id}/artifacts",
        "The run's artifacts",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/runs/{id}/events",
        "Live job and run changes (Server-Sent Events)",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/jobs",
        "List jobs without their logs (run_id, state, limit, cursor; next page in `x-next-cursor`)",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/jobs/{id}",
        "A job with progress and log",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/jobs/{id}/log",
        "A job's log (text, the last 64 KiB)",
        Access::Open,
        None,
    ),
    (
        "post",
        "/api/jobs/{id}/cancel",
        "Cancel a job",
        Access::Write,
        None,
    ),
    (
        "post",
        "/api/jobs/{id}/retry",
        "Retry a failed or cancelled job",
        Access::Write,
        None,
    ),
    (
        "get",
        "/api/jobs/{id}/events",
        "Live changes of one job (Server-Sent Events)",
        Access::Open,
        None,
    ),
    (
        "post",
        "/api/jobs/claim",
        "Claim a job (204 when none); returns a lease",
        Access::Worker,
        Some("application/json"),
    ),
    (
        "post",
        "/api/jobs/{id}/heartbeat",
        "Keep the lease; report progress and log lines",
        Access::Worker,
        Some("application/json"),
    ),
    (
        "put",
        "/api/jobs/{id}/artifacts/{name}",
        "Upload an artifact (`kind` query, `x-lease-token` header)",
        Access::Worker,
        Some("application/octet-stream"),
    ),
    (
        "post",
        "/api/jobs/{id}/complete",
        "Finish a job with its result (idempotent)",
        Access::Worker,
        Some("application/json"),
    ),
    (
        "post",
        "/api/jobs/{id}/fail",
        "Report a failed attempt (`outcome`: retry, permanent, released)",
        Access::Worker,
        Some("application/json"),
    ),
    (
        "get",
        "/api/artifacts",
        "List artifacts",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/artifacts/{id}",
        "An artifact with size and sha256",
        Access::Open,
        None,
    ),
    (
        "get",
        "/api/artifacts/{id}/download",
        "Download an artifact (HTTP ranges)",
        Access::Open,
        None,
    ),
    ("get", "/api/workers", "Workers seen", Access::Open, None),
    ("get", "/api/tokens", "List tokens", Access::Write, None),
    (
        "post",
        "/api/tokens",
        "Create a token (shown once)",
        Access::Write,
        Some("application/json"),
    ),
    (
        "delete",
        "/api/tokens/{id}",
        "Delete a token",
        Access::Write,
        None,
    ),
    ("get", "/metrics", "Prometheus metrics", Access::Open, None),
];

/// The document.
pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, access, body) in ROUTES {
        let mut operation = json!({
            "summary": summary,
            "responses": {
                "200": { "description": "OK" },
                "4XX": { "description": "The request was refused", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        let parameters: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": if name == "id" { "integer" } else { "string" } } }))
            .collect();
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(media) = body {
            operation["requestBody"] =
                json!({ "required": true, "content": { *media: { "schema": {} } } });
        }
        match access {
            Access::Open => {}
            Access::Write => operation["security"] = json!([{ "token": ["write"] }]),
            Access::Worker => operation["security"] = json!([{ "token": ["worker"] }]),
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "qbound", "version": env!("CARGO_PKG_VERSION"), "description": "Partial INT8 quantization of ONNX detectors as a team service." },
        "paths": paths,
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } } }
        }
    })
}
