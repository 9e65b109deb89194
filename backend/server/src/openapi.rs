//! The OpenAPI 3.1 document of the whole API, served at `/api/openapi.json`: every operation
//! with its parameters, request body and response, the schemas generated from the API types
//! in `qbound-shared` (utoipa), so the document cannot drift from what the server sends.

use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use crate::run::protocol;

/// Who may call a route.
#[derive(Clone, Copy)]
enum Access {
    Open,
    Write,
    Worker,
}

/// What a request carries.
#[derive(Clone, Copy)]
enum Body {
    None,
    /// JSON of this schema.
    Json(&'static str),
    /// A multipart form with these (field, description) parts.
    Multipart(&'static [(&'static str, &'static str)]),
    /// Raw bytes (an artifact upload).
    Bytes,
}

/// What a successful response carries.
#[derive(Clone, Copy)]
enum Answer {
    /// 200 with JSON of this schema.
    Json(&'static str),
    /// 200 with a JSON array of this schema.
    List(&'static str),
    /// 201 with JSON of this schema.
    Created(&'static str),
    /// 200 with JSON of this schema, or 204 when there is nothing (a claim).
    JsonOrNothing(&'static str),
    /// 200 with JSON of this schema, or the same as a CSV file (`?format=csv`).
    JsonOrCsv(&'static str),
    /// 204, no body.
    NoContent,
    /// 200 with a file.
    File,
    /// 200 with plain text.
    Text,
    /// 200 with Server-Sent Events whose `data` is an `Event`.
    Events,
}

/// One operation.
struct Route {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    query: &'static [(&'static str, &'static str, &'static str)],
    body: Body,
    answer: Answer,
}

const fn route(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    body: Body,
    answer: Answer,
) -> Route {
    Route {
        method,
        path,
        summary,
        access,
        query: &[],
        body,
        answer,
    }
}

const PAGE: [(&str, &str, &str); 2] = [
    (
        "limit",
        "integer",
        "At most this many (default 100, at most 500)",
    ),
    (
        "cursor",
        "integer",
        "Continue after this id (the previous page's `x-next-cursor` header)",
    ),
];

const RUN_QUERY: &[(&str, &str, &str)] = &[
    ("status", "string", "Only runs in this status"),
    ("model_id", "integer", "Only runs of this model"),
    ("tag", "string", "Only runs with this tag"),
    ("q", "string", "Only runs whose name contains this"),
    (
        "sort",
        "string",
        "`created_at` (default `-created_at`), `updated_at`, `name` or `status`; `-` for descending",
    ),
    PAGE[0],
    PAGE[1],
];

const JOB_QUERY: &[(&str, &str, &str)] = &[
    ("run_id", "integer", "Only jobs of this run"),
    ("state", "string", "Only jobs in this state"),
    PAGE[0],
    PAGE[1],
];

const UPLOAD_MODEL: &[(&str, &str)] = &[
    ("file", "The ONNX model (binary)"),
    ("name", "Its display name (optional, at most 1 KiB)"),
];

const UPLOAD_DATASET: &[(&str, &str)] = &[
    (
        "file",
        "A zip, tar or tar.gz of JPEG/PNG images, optionally with a COCO annotations .json (binary)",
    ),
    ("name", "Its display name (optional, at most 1 KiB)"),
];

use Access::{Open, Worker, Write};
use Answer::{Created, Events, File, Json, JsonOrCsv, JsonOrNothing, List, NoContent, Text};

const ROUTES: &[Route] = &[
    route(
        "get",
        "/api/health",
        "Liveness and database check",
        Open,
        Body::None,
        Json("Health"),
    ),
    route(
        "get",
        "/api/openapi.json",
        "This document",
        Open,
        Body::None,
        Json("Document"),
    ),
    route(
        "get",
        "/api/models",
        "List models",
        Open,
        Body::None,
        List("ModelRecord"),
    ),
    route(
        "post",
        "/api/models",
        "Upload an ONNX model",
        Write,
        Body::Multipart(UPLOAD_MODEL),
        Created("ModelRecord"),
    ),
    route(
        "get",
        "/api/models/{id}",
        "A model with its inputs, outputs and layers",
        Open,
        Body::None,
        Json("ModelRecord"),
    ),
    route(
        "delete",
        "/api/models/{id}",
        "Delete a model no run uses",
        Write,
        Body::None,
        NoContent,
    ),
    route(
        "delete",
        "/api/datasets/{id}",
        "Delete a dataset no run uses",
        Write,
        Body::None,
        NoContent,
    ),
    route(
        "get",
        "/api/models/{id}/layers",
        "The model's quantizable layers in order",
        Open,
        Body::None,
        List("LayerInfo"),
    ),
    route(
        "get",
        "/api/models/{id}/download",
        "The ONNX file (HTTP ranges)",
        Open,
        Body::None,
        File,
    ),
    route(
        "get",
        "/api/datasets",
        "List datasets",
        Open,
        Body::None,
        List("DatasetRecord"),
    ),
    route(
        "post",
        "/api/datasets",
        "Upload an image archive",
        Write,
        Body::Multipart(UPLOAD_DATASET),
        Created("DatasetRecord"),
    ),
    route(
        "get",
        "/api/datasets/{id}",
        "A dataset",
        Open,
        Body::None,
        Json("DatasetRecord"),
    ),
    route(
        "get",
        "/api/datasets/{id}/download",
        "The normalised tar of the images (HTTP ranges)",
        Open,
        Body::None,
        File,
    ),
    Route {
        query: RUN_QUERY,
        ..route(
            "get",
            "/api/runs",
            "List runs, filtered and sorted (next page in `x-next-cursor`)",
            Open,
            Body::None,
            List("RunRecord"),
        )
    },
    route(
        "post",
        "/api/runs",
        "Create a run from its configuration; its jobs are queued",
        Write,
        Body::Json("RunConfig"),
        Created("RunRecord"),
    ),
    route(
        "get",
        "/api/runs/{id}",
        "A run, with its recommended point once it has finished",
        Open,
        Body::None,
        Json("RunRecord"),
    ),
    route(
        "patch",
        "/api/runs/{id}",
        "Change a run's tags and notes",
        Write,
        Body::Json("RunUpdate"),
        Json("RunRecord"),
    ),
    route(
        "delete",
        "/api/runs/{id}",
        "Delete a run without a running job",
        Write,
        Body::None,
        NoContent,
    ),
    route(
        "post",
        "/api/runs/{id}/cancel",
        "Cancel every unfinished job of a run",
        Write,
        Body::None,
        Json("RunRecord"),
    ),
    route(
        "get",
        "/api/runs/{id}/jobs",
        "The run's jobs",
        Open,
        Body::None,
        List("JobRecord"),
    ),
    route(
        "get",
        "/api/runs/{id}/layers",
        "Per-layer sensitivity of the run",
        Open,
        Body::None,
        List("LayerResult"),
    ),
    route(
        "get",
        "/api/runs/{id}/tradeoff",
        "Accuracy-throughput points (fp32 and one per quantized point) with the Pareto frontier marked",
        Open,
        Body::None,
        List("TradeoffPoint"),
    ),
    Route {
        query: &[(
            "format",
            "string",
            "`json` (the default) or `csv`: the same table as a file, one row per tensor",
        )],
        ..route(
            "get",
            "/api/runs/{id}/analysis",
            "Where the INT8 error enters: each quantized tensor's local and cumulative SQNR, the worst flagged with a likely cause (404 until the `analyze` job succeeds)",
            Open,
            Body::None,
            JsonOrCsv("ErrorAnalysis"),
        )
    },
    route(
        "get",
        "/api/runs/{id}/artifacts",
        "Files the run produced",
        Open,
        Body::None,
        List("ArtifactRecord"),
    ),
    route(
        "get",
        "/api/runs/{id}/events",
        "Live changes of the run's jobs and status (Server-Sent Events)",
        Open,
        Body::None,
        Events,
    ),
    Route {
        query: JOB_QUERY,
        ..route(
            "get",
            "/api/jobs",
            "List jobs without their logs (next page in `x-next-cursor`)",
            Open,
            Body::None,
            List("JobRecord"),
        )
    },
    route(
        "get",
        "/api/jobs/{id}",
        "A job with progress and log",
        Open,
        Body::None,
        Json("JobRecord"),
    ),
    route(
        "get",
        "/api/jobs/{id}/log",
        "A job's log (the last 64 KiB)",
        Open,
        Body::None,
        Text,
    ),
    route(
        "post",
        "/api/jobs/{id}/cancel",
        "Cancel a job",
        Write,
        Body::None,
        Json("JobRecord"),
    ),
    route(
        "post",
        "/api/jobs/{id}/retry",
        "Retry a failed or cancelled job",
        Write,
        Body::None,
        Json("JobRecord"),
    ),
    route(
        "get",
        "/api/jobs/{id}/events",
        "Live changes of one job (Server-Sent Events)",
        Open,
        Body::None,
        Events,
    ),
    route(
        "post",
        "/api/jobs/claim",
        "Claim a job (204 when none); returns a lease",
        Worker,
        Body::Json("ClaimRequest"),
        JsonOrNothing("ClaimedJob"),
    ),
    route(
        "post",
        "/api/jobs/{id}/heartbeat",
        "Keep the lease; report progress and log lines",
        Worker,
        Body::Json("HeartbeatRequest"),
        Json("JobRecord"),
    ),
    Route {
        query: &[
            (
                "kind",
                "string",
                "onnx, calibration, calibration-cache, sensitivity, engine or report",
            ),
            (
                "batch_size",
                "string",
                "the batch size of an exported model or engine: a positive integer or `dynamic`",
            ),
        ],
        ..route(
            "put",
            "/api/jobs/{id}/artifacts/{name}",
            "Upload an artifact (the lease in the `x-lease-token` header)",
            Worker,
            Body::Bytes,
            Created("ArtifactRecord"),
        )
    },
    route(
        "post",
        "/api/jobs/{id}/complete",
        "Finish a job with its result (idempotent)",
        Worker,
        Body::Json("CompleteRequest"),
        Json("JobRecord"),
    ),
    route(
        "post",
        "/api/jobs/{id}/fail",
        "Report a failed attempt (`outcome`: retry, permanent, released)",
        Worker,
        Body::Json("FailRequest"),
        Json("JobRecord"),
    ),
    route(
        "get",
        "/api/artifacts",
        "List artifacts",
        Open,
        Body::None,
        List("ArtifactRecord"),
    ),
    route(
        "get",
        "/api/artifacts/{id}",
        "An artifact with size and sha256",
        Open,
        Body::None,
        Json("ArtifactRecord"),
    ),
    route(
        "get",
        "/api/artifacts/{id}/download",
        "Download an artifact (HTTP ranges)",
        Open,
        Body::None,
        File,
    ),
    route(
        "get",
        "/api/workers",
        "Workers seen, with what they can run",
        Open,
        Body::None,
        List("WorkerRecord"),
    ),
    route(
        "get",
        "/api/tokens",
        "List tokens (also checks that a token may write)",
        Write,
        Body::None,
        List("TokenRecord"),
    ),
    route(
        "post",
        "/api/tokens",
        "Create a token (shown once)",
        Write,
        Body::Json("NewToken"),
        Created("CreatedToken"),
    ),
    route(
        "delete",
        "/api/tokens/{id}",
        "Delete a token",
        Write,
        Body::None,
        NoContent,
    ),
    route(
        "get",
        "/metrics",
        "Prometheus metrics",
        Open,
        Body::None,
        Text,
    ),
];

/// The API types' schemas, generated from `qbound-shared`.
#[derive(OpenApi)]
#[openapi(components(schemas(
    qbound_shared::ApiError,
    qbound_shared::Health,
    qbound_shared::LayerInfo,
    qbound_shared::TensorInfo,
    qbound_shared::ModelRecord,
    qbound_shared::DatasetRecord,
    qbound_shared::RunConfig,
    qbound_shared::SensitivityConfig,
    qbound_shared::Boundary,
    qbound_shared::BenchmarkConfig,
    qbound_shared::Event,
    qbound_shared::RunRecord,
    qbound_shared::RunUpdate,
    qbound_shared::JobRecord,
    qbound_shared::LayerResult,
    qbound_shared::TradeoffPoint,
    qbound_shared::ThroughputSpread,
    qbound_shared::ArtifactRecord,
    qbound_shared::ErrorAnalysis,
    qbound_shared::TensorError,
    qbound_shared::ErrorCause,
    qbound_shared::CauseKind,
    qbound_shared::Recommendation,
    qbound_shared::WorkerRecord,
    qbound_shared::JobKind,
    qbound_shared::JobState,
    qbound_shared::Capability,
    qbound_shared::ArtifactKind,
    qbound_shared::Target,
    qbound_shared::SensitivityMode,
    qbound_shared::Metric,
    qbound_shared::CalibrationMethod,
    qbound_shared::ExportBatchSize,
    qbound_shared::Role,
)))]
struct SharedSchemas;

/// The worker protocol's bodies, generated from `run/protocol.rs`.
#[derive(OpenApi)]
#[openapi(components(schemas(
    protocol::ClaimRequest,
    protocol::ClaimedJob,
    protocol::JobParams,
    protocol::JobInput,
    protocol::HeartbeatRequest,
    protocol::CompleteRequest,
    protocol::FailRequest,
    protocol::FailOutcome,
    protocol::JobResult,
    protocol::Measurement,
    protocol::LayerScore,
    protocol::EngineBuilt,
)))]
struct ProtocolSchemas;

/// Schemas of the server's own bodies: tokens, and the document itself.
fn server_schemas() -> Map<String, Value> {
    let token = json!({
        "type": "object",
        "required": ["api_token_id", "name", "role", "created_at"],
        "properties": {
            "api_token_id": { "type": "integer" },
            "name": { "type": "string" },
            "role": reference("Role"),
            "created_at": { "type": "integer", "description": "Unix ms" },
            "expires_at": { "type": ["integer", "null"], "description": "Unix ms; never when null" }
        }
    });
    let mut created = token.clone();
    if let Some(required) = created["required"].as_array_mut() {
        required.push(json!("token"));
    }
    created["properties"]["token"] =
        json!({ "type": "string", "description": "The token itself, shown only this once" });
    [
        ("TokenRecord", token),
        ("CreatedToken", created),
        (
            "NewToken",
            json!({
                "type": "object",
                "required": ["name", "role"],
                "additionalProperties": false,
                "properties": {
                    "name": { "type": "string", "minLength": 1, "maxLength": 100 },
                    "role": reference("Role"),
                    "expires_in_days": { "type": "integer", "minimum": 1, "maximum": 3650 }
                }
            }),
        ),
        (
            "Document",
            json!({ "type": "object", "description": "An OpenAPI 3.1 document" }),
        ),
    ]
    .into_iter()
    .map(|(name, schema)| (name.to_owned(), schema))
    .collect()
}

fn reference(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn responses(answer: Answer) -> Value {
    let ok = |status: &str, schema: Value| json!({ status: { "description": "OK", "content": json_content(schema) } });
    let mut responses = match answer {
        Json(s) => ok("200", reference(s)),
        List(s) => ok("200", json!({ "type": "array", "items": reference(s) })),
        Created(s) => ok("201", reference(s)),
        JsonOrNothing(s) => {
            let mut r = ok("200", reference(s));
            r["204"] = json!({ "description": "Nothing to do" });
            r
        }
        JsonOrCsv(s) => {
            let mut r = ok("200", reference(s));
            r["200"]["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
            r
        }
        NoContent => json!({ "204": { "description": "Done" } }),
        File => {
            json!({ "200": { "description": "The file", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } } })
        }
        Text => {
            json!({ "200": { "description": "Text", "content": { "text/plain": { "schema": { "type": "string" } } } } })
        }
        Events => {
            json!({ "200": { "description": "Events named `job` or `run`; each `data` is an Event", "content": { "text/event-stream": { "schema": reference("Event") } } } })
        }
    };
    responses["4XX"] = json!({ "description": "Refused; the body says why", "content": json_content(reference("ApiError")) });
    responses["5XX"] =
        json!({ "description": "Server error", "content": json_content(reference("ApiError")) });
    responses
}

fn request_body(body: Body) -> Option<Value> {
    let content = match body {
        Body::None => return None,
        Body::Json(schema) => json_content(reference(schema)),
        Body::Multipart(fields) => {
            let properties: Map<String, Value> = fields
                .iter()
                .map(|(name, description)| {
                    let format = if *name == "file" {
                        json!("binary")
                    } else {
                        Value::Null
                    };
                    let mut schema = json!({ "type": "string", "description": description });
                    if !format.is_null() {
                        schema["format"] = format;
                    }
                    ((*name).to_owned(), schema)
                })
                .collect();
            json!({ "multipart/form-data": { "schema": { "type": "object", "required": ["file"], "properties": properties } } })
        }
        Body::Bytes => {
            json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } })
        }
    };
    Some(json!({ "required": true, "content": content }))
}

fn parameters(route: &Route) -> Vec<Value> {
    let path = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": if name == "id" { "integer" } else { "string" } } }));
    let query = route.query.iter().map(|(name, kind, description)| {
        json!({ "name": name, "in": "query", "required": *name == "kind", "description": description, "schema": { "type": kind } })
    });
    path.chain(query).collect()
}

/// The document.
pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let mut operation =
            json!({ "summary": route.summary, "responses": responses(route.answer) });
        let parameters = parameters(route);
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = request_body(route.body) {
            operation["requestBody"] = body;
        }
        match route.access {
            Open => {}
            Write => operation["security"] = json!([{ "token": ["write"] }]),
            Worker => operation["security"] = json!([{ "token": ["worker"] }]),
        }
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    let mut schemas = server_schemas();
    let generated = [SharedSchemas::openapi(), ProtocolSchemas::openapi()];
    for components in generated.into_iter().filter_map(|doc| doc.components) {
        for (name, schema) in components.schemas {
            schemas.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "qbound", "version": env!("CARGO_PKG_VERSION"), "description": "Partial INT8 quantization of ONNX detectors as a team service." },
        "paths": paths,
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas
        }
    })
}
