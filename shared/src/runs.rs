//! Runs, their jobs, per-layer results, trade-off points and artifacts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::batch::ExportBatchSize;
use crate::choices::Metric;
use crate::config::RunConfig;
use crate::jobs::{ArtifactKind, Capability, JobKind, JobState};
use crate::recommend::Recommendation;

/// The label of the float reference point of every run.
pub const FLOAT_LABEL: &str = "fp32";

/// A run (`/api/runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunRecord {
    /// The run.
    pub run_id: i64,
    /// Its display name.
    pub name: String,
    /// The model.
    pub model_id: i64,
    /// The calibration images.
    pub calibration_dataset_id: i64,
    /// The validation images.
    pub validation_dataset_id: Option<i64>,
    /// The configuration it was created with, defaults filled in.
    pub config: RunConfig,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Free-form notes.
    pub notes: String,
    /// When it was created (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
    /// Spearman correlation of the sensitivity rankings on the even- and the odd-numbered
    /// images, once the sensitivity job is done.
    #[serde(default)]
    pub sensitivity_split_half: Option<f64>,
    /// How far the sensitivity ranking can be trusted: the correlation to expect with the
    /// same analysis on as many other images (Spearman-Brown from the split half).
    #[serde(default)]
    pub sensitivity_reliability: Option<f64>,
    /// The point to ship once the run has finished: the fastest measured model within the
    /// run's accuracy budget, or the float model with the reason (only in `GET
    /// /api/runs/{id}`; `null` in lists and while the run is under way).
    #[serde(default)]
    pub recommended: Option<Recommendation>,
}

/// `PATCH /api/runs/{id}`: what to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunUpdate {
    /// The new tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The new notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A job of a run (`/api/runs/{id}/jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobRecord {
    /// The job.
    pub job_id: i64,
    /// Its run.
    pub run_id: i64,
    /// What it does.
    pub kind: JobKind,
    /// The point or step it belongs to.
    pub label: String,
    /// What a worker needs to run it.
    pub capability: Capability,
    /// Where it is.
    pub state: JobState,
    /// 0 to 1.
    pub progress: f64,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    #[serde(default)]
    pub max_attempts: i64,
    /// The worker holding or last holding it.
    pub worker_name: Option<String>,
    /// What it found, once it succeeded (a tagged object by kind).
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Its log (empty in lists; `/api/jobs/{id}/log` has it whole).
    pub log: String,
    /// Jobs that must succeed first.
    #[serde(default)]
    pub depends_on: Vec<i64>,
    /// When it was created (Unix ms).
    #[serde(default)]
    pub created_at: i64,
    /// When it last entered the queue (Unix ms).
    #[serde(default)]
    pub queued_at: i64,
    /// When its current or last attempt started (Unix ms).
    pub started_at: Option<i64>,
    /// When it finished (Unix ms).
    pub finished_at: Option<i64>,
}

/// One layer of a run's model with its sensitivity (`/api/runs/{id}/layers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerResult {
    /// Position in model order.
    pub position: i64,
    /// Layer name.
    pub name: String,
    /// Operator.
    pub op: String,
    /// Weight parameters.
    pub parameters: i64,
    /// Measured sensitivity (higher = suffers more from INT8).
    pub sensitivity: Option<f64>,
    /// 1 = most sensitive.
    pub sensitivity_rank: Option<i64>,
    /// The score of the model measured for the layer (primary figure of the metric).
    #[serde(default)]
    pub score: Option<f64>,
    /// Its secondary figure (mAP@0.5, or SNR in dB for the proxy).
    #[serde(default)]
    pub score_secondary: Option<f64>,
    /// Seconds the layer's measurement took.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// Whether the run's chosen boundary keeps the layer in float.
    #[serde(default)]
    pub kept_float: bool,
}

/// One point of the accuracy-throughput trade-off (`/api/runs/{id}/tradeoff`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TradeoffPoint {
    /// `fp32`, `int8`, `int8-keepK` or `int8-maxdrop`.
    pub label: String,
    /// Layers left in float.
    pub float_layer_count: Option<i64>,
    /// Layers in INT8 (0 for a max-drop result that kept every layer float).
    pub quantized_layer_count: Option<i64>,
    /// Accuracy by `metric` (mAP@0.5:0.95, or its agreement with the float model), when
    /// evaluated.
    pub accuracy: Option<f64>,
    /// The same at IoU 0.5, when evaluated.
    #[serde(default)]
    pub accuracy50: Option<f64>,
    /// How accuracy was measured: `map` (COCO labels) or `agreement` (the float model's
    /// detections as labels).
    #[serde(default)]
    pub metric: Option<Metric>,
    /// Images per second at the median run, by batch size (`"1"`, `"32"`).
    #[serde(default)]
    pub throughput: BTreeMap<String, f64>,
    /// Images per second of the slowest and the fastest timed run, by batch size.
    #[serde(default)]
    pub throughput_spread: BTreeMap<String, ThroughputSpread>,
    /// Whether no other point is at least as accurate and as fast (at the largest batch
    /// size) and better in one; unset until the point has both figures.
    #[serde(default)]
    pub pareto: Option<bool>,
}

/// How far apart the timed runs of one benchmark were, in images per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThroughputSpread {
    /// The slowest run.
    pub min: f64,
    /// The fastest run.
    pub max: f64,
}

impl TradeoffPoint {
    /// Images per second at `batch_size`, when measured.
    pub fn images_per_second(&self, batch_size: i64) -> Option<f64> {
        self.throughput.get(&batch_size.to_string()).copied()
    }

    /// The slowest and fastest timed runs at `batch_size`, when recorded.
    pub fn spread(&self, batch_size: i64) -> Option<ThroughputSpread> {
        self.throughput_spread.get(&batch_size.to_string()).copied()
    }

    /// Whether this point is the float model: the reference, or a quantized point that
    /// kept every layer float (a max-drop search that found no partial model).
    pub fn is_float_model(&self) -> bool {
        self.label == FLOAT_LABEL || self.quantized_layer_count == Some(0)
    }
}

/// A file a run produced (`/api/runs/{id}/artifacts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtifactRecord {
    /// The artifact.
    pub artifact_id: i64,
    /// Its run.
    pub run_id: i64,
    /// The job that made it.
    pub job_id: i64,
    /// What the file is.
    pub kind: ArtifactKind,
    /// The trade-off point it belongs to (`int8-keep2`, `fp32`); `None` for a file of the
    /// run as a whole (the calibration table and cache, the sensitivity ranking).
    #[serde(default)]
    pub point: Option<String>,
    /// The batch size of an exported model or engine; `None` for any other file.
    #[serde(default)]
    pub batch_size: Option<ExportBatchSize>,
    /// Its file name.
    pub name: String,
    /// Content hash.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// MIME type.
    pub content_type: String,
    /// When it was stored (Unix ms).
    pub created_at: i64,
    /// Where to download it.
    pub download_url: String,
}
