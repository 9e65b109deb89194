//! What workers and the server say to each other, over `/api/jobs/...`. The embedded worker
//! speaks the same protocol over loopback.

use serde::{Deserialize, Serialize};

use qbound_shared::{
    Capability, ErrorAnalysis, ExportBatchSize, JobKind, Metric, RunConfig, SensitivityMode,
};

/// The header carrying the lease token on artifact uploads.
pub(crate) const LEASE_HEADER: &str = "x-lease-token";

/// A worker asking for a job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ClaimRequest {
    /// The worker's name, recorded on the job.
    pub(crate) worker_name: String,
    /// What the worker can run.
    pub(crate) capabilities: Vec<Capability>,
}

/// A job handed to a worker, with everything it needs to fetch.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ClaimedJob {
    /// The job.
    pub(crate) job_id: i64,
    /// Its run.
    pub(crate) run_id: i64,
    /// What to do.
    pub(crate) kind: JobKind,
    /// The trade-off point or step it belongs to.
    pub(crate) label: String,
    /// Proof of the lease; every later call about this job sends it.
    pub(crate) lease_token: String,
    /// How long the lease lasts without a heartbeat.
    pub(crate) lease_seconds: f64,
    /// How to do it.
    pub(crate) params: JobParams,
    /// Files to download first.
    pub(crate) inputs: Vec<JobInput>,
}

/// A job's parameters, fixed when the run is created.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct JobParams {
    /// The run's configuration.
    pub(crate) config: RunConfig,
    /// For point jobs: how many of the most sensitive layers stay in float.
    #[serde(default)]
    pub(crate) keep_float: Option<usize>,
    /// The stem of the files the job writes (from the model's name).
    #[serde(default = "default_stem")]
    pub(crate) artifact_stem: String,
}

fn default_stem() -> String {
    "model".into()
}

/// One input file of a job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct JobInput {
    /// Its name in the job's folder (`model.onnx`, `calibration.tar`, an artifact's name).
    pub(crate) name: String,
    /// Content hash, checked after download and used as a cache key.
    pub(crate) sha256: String,
    /// Where to get it, relative to the server (`/api/...`).
    pub(crate) url: String,
    /// The batch size of an exported model (an artifact of the point's quantize job).
    #[serde(default)]
    pub(crate) batch_size: Option<ExportBatchSize>,
}

/// Progress, log lines, and a request to keep the lease.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct HeartbeatRequest {
    /// The lease token from the claim.
    pub(crate) lease_token: String,
    /// 0 to 1.
    pub(crate) progress: f64,
    /// New log lines since the last heartbeat.
    #[serde(default)]
    pub(crate) log: Vec<String>,
}

/// A finished job's result.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct CompleteRequest {
    /// The lease token from the claim.
    pub(crate) lease_token: String,
    /// What the job found.
    pub(crate) result: JobResult,
}

/// A failed attempt.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct FailRequest {
    /// The lease token from the claim.
    pub(crate) lease_token: String,
    /// Why it failed.
    pub(crate) error: String,
    /// What the queue should do with the job; `retry` when not said.
    #[serde(default)]
    pub(crate) outcome: FailOutcome,
}

/// How a failed attempt ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FailOutcome {
    /// A fault that may pass (I/O, the runtime): back to the queue while attempts remain.
    #[default]
    Retry,
    /// The input is bad and would fail again: the job fails at once.
    Permanent,
    /// The worker is stopping: back to the queue without using up an attempt.
    Released,
}

impl FailOutcome {
    /// The name as stored in SQL.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Permanent => "permanent",
            Self::Released => "released",
        }
    }
}

/// What a job found, by kind. Artifacts are uploaded separately, before completion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum JobResult {
    /// Calibration.
    Calibrate {
        /// Tensors with a range.
        tensor_count: usize,
        /// Images fed.
        images: u64,
    },
    /// Per-layer sensitivity, least sensitive first.
    Sensitivity {
        /// How the partial models were scored.
        metric: Metric,
        /// Which layers were quantized while one was measured.
        mode: SensitivityMode,
        /// The score the layers are compared with: the float model's (one-on) or the full
        /// INT8 model's (one-off).
        reference_score: f64,
        /// One per layer.
        layers: Vec<LayerScore>,
        /// Seconds for the whole analysis.
        seconds: f64,
        /// Spearman correlation of the rankings on the even- and the odd-numbered images.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        split_half_correlation: Option<f64>,
        /// The ranking's reliability estimated from it (Spearman-Brown).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reliability: Option<f64>,
    },
    /// Quantization of one point.
    Quantize {
        /// Layers in INT8.
        quantized_layers: Vec<String>,
        /// Layers in float.
        float_layers: Vec<String>,
        /// For a max-drop search: the relative drop of the chosen model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drop: Option<f64>,
    },
    /// Accuracy of one point on the validation images.
    Evaluate {
        /// `map` (COCO labels) or `agreement` (the float model's detections).
        metric: Metric,
        /// mAP@0.5:0.95.
        accuracy: f64,
        /// mAP@0.5.
        accuracy50: f64,
        /// Images scored.
        images: usize,
    },
    /// TensorRT engines of one point.
    Engine {
        /// One per fixed export batch size.
        engines: Vec<EngineBuilt>,
    },
    /// Throughput of one point and the float model.
    Benchmark {
        /// One per model and batch size.
        measurements: Vec<Measurement>,
    },
    /// Where the INT8 error enters the full-INT8 model.
    Analyze {
        /// Every quantized tensor's error, in graph order.
        analysis: ErrorAnalysis,
    },
}

impl JobResult {
    /// The kind of job that finds this result.
    pub(crate) fn kind(&self) -> JobKind {
        match self {
            Self::Calibrate { .. } => JobKind::Calibrate,
            Self::Sensitivity { .. } => JobKind::Sensitivity,
            Self::Quantize { .. } => JobKind::Quantize,
            Self::Evaluate { .. } => JobKind::Evaluate,
            Self::Benchmark { .. } => JobKind::Benchmark,
            Self::Engine { .. } => JobKind::Engine,
            Self::Analyze { .. } => JobKind::Analyze,
        }
    }
}

/// One throughput measurement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub(crate) struct Measurement {
    /// `fp32` or the point's label.
    pub(crate) model: String,
    /// The batch size.
    pub(crate) batch_size: i64,
    /// Median latency of one batch.
    pub(crate) median_ms: f64,
    /// Images per second at the median.
    pub(crate) images_per_second: f64,
    /// Latency of the fastest timed batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_ms: Option<f64>,
    /// Latency of the slowest timed batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_ms: Option<f64>,
    /// Where it ran.
    pub(crate) provider: String,
}

/// The sensitivity of one layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub(crate) struct LayerScore {
    /// Layer name.
    pub(crate) name: String,
    /// Operator.
    pub(crate) op: String,
    /// Position among the model's layers.
    pub(crate) position: usize,
    /// The primary score of the model measured for it.
    pub(crate) score: f64,
    /// The secondary score (mAP@0.5, or SNR in dB for the proxy).
    pub(crate) score_secondary: f64,
    /// How much the layer suffers from INT8: the score it costs (one-on) or recovers
    /// (one-off) against the reference; higher is more sensitive.
    pub(crate) sensitivity: f64,
    /// 1 = most sensitive.
    pub(crate) rank: usize,
    /// Seconds its measurement took.
    pub(crate) seconds: f64,
}

/// One built TensorRT engine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub(crate) struct EngineBuilt {
    /// Its file name among the job's artifacts.
    pub(crate) name: String,
    /// The batch size baked into it.
    pub(crate) batch_size: i64,
    /// The TensorRT version it runs on.
    pub(crate) tensorrt_version: String,
    /// The GPU it was built on.
    pub(crate) gpu_name: String,
}
