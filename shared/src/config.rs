//! A run's configuration, as `POST /api/runs` accepts it and `RunRecord::config` echoes it.
//! Settings left out take the defaults below.

use serde::{Deserialize, Serialize};

use crate::batch::ExportBatchSize;
use crate::calibration::CalibrationMethod;
use crate::choices::{Metric, RecoveryPass, SensitivityMode, Target};
use crate::jobs::Capability;

/// One experiment: which model, which data, and how to quantize and measure it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// A display name; defaults to the model's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The model to quantize.
    pub model_id: i64,
    /// Images the activation ranges come from.
    pub calibration_dataset_id: i64,
    /// Images accuracy is measured on.
    #[serde(default)]
    pub validation_dataset_id: Option<i64>,
    /// A built-in model profile (one of [`crate::PROFILES`]).
    pub profile: String,
    /// How activation ranges are chosen.
    #[serde(default)]
    pub calibration_method: CalibrationMethod,
    /// Use at most this many calibration images.
    #[serde(default)]
    pub calibration_images: Option<usize>,
    /// The accuracy-recovery passes run after calibration (default: none).
    #[serde(default)]
    pub recovery: Vec<RecoveryPass>,
    /// How layer sensitivity is measured; needed for partial quantization.
    #[serde(default)]
    pub sensitivity: Option<SensitivityConfig>,
    /// Which layers stay in float.
    #[serde(default)]
    pub boundary: Boundary,
    /// The runtime the Q/DQ placement is written for.
    #[serde(default = "default_target")]
    pub target: Target,
    /// Batch sizes the quantized model is exported at.
    #[serde(default = "default_export")]
    pub export_batch_sizes: Vec<ExportBatchSize>,
    /// How throughput is measured.
    #[serde(default)]
    pub benchmark: BenchmarkConfig,
    /// Also build a TensorRT engine per point.
    #[serde(default)]
    pub build_engine: bool,
    /// Tags to find the run by.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// How sensitivity is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SensitivityConfig {
    /// Quantize the layer alone, or everything but the layer.
    pub mode: SensitivityMode,
    /// How each partial model is scored.
    pub metric: Metric,
    /// Score each layer on at most this many images (default: 8 for `proxy`, else all).
    #[serde(default)]
    pub images: Option<usize>,
}

/// Which layers stay in float.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Boundary {
    /// Every layer in INT8.
    #[default]
    All,
    /// The `count` most sensitive layers stay in float.
    KeepFloat {
        /// How many layers stay in float.
        count: usize,
    },
    /// The smallest float set whose accuracy stays within `max_drop` of the float model's, a
    /// relative drop (0.02: at least 98% of it).
    MaxDrop {
        /// The largest accepted drop.
        max_drop: f64,
    },
    /// One trade-off point per count of float layers, and the full INT8 model.
    Sweep {
        /// The counts of float layers to try (0 = all INT8).
        keep_float: Vec<usize>,
    },
}

impl Boundary {
    /// The words of the boundary kinds, in the order a form offers them.
    pub const KINDS: &'static [&'static str] = &["sweep", "keep_float", "max_drop", "all"];

    /// The counts of float layers, one per trade-off point, sorted (empty for max-drop); a
    /// sweep always holds 0, the full INT8 model, as the server measures it.
    pub fn keep_float_counts(&self) -> Vec<usize> {
        let mut counts = match self {
            Self::All => vec![0],
            Self::KeepFloat { count } => vec![*count],
            Self::MaxDrop { .. } => Vec::new(),
            Self::Sweep { keep_float } => keep_float.iter().copied().chain([0]).collect(),
        };
        counts.sort_unstable();
        counts.dedup();
        counts
    }

    /// Whether some layers may stay in float, which needs a sensitivity ranking.
    pub fn is_partial(&self) -> bool {
        matches!(self, Self::MaxDrop { .. }) || self.keep_float_counts().iter().any(|&k| k > 0)
    }
}

/// How throughput is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BenchmarkConfig {
    /// Batch sizes to time.
    #[serde(default = "default_bench_batches")]
    pub batch_sizes: Vec<i64>,
    /// Untimed runs first.
    #[serde(default = "default_warmup")]
    pub warmup_runs: usize,
    /// Timed runs.
    #[serde(default = "default_timed")]
    pub timed_runs: usize,
    /// Where to run (also the capability the job needs).
    #[serde(default = "default_provider")]
    pub provider: Capability,
}

impl Default for BenchmarkConfig {
    fn default() -> Self {
        Self {
            batch_sizes: default_bench_batches(),
            warmup_runs: default_warmup(),
            timed_runs: default_timed(),
            provider: default_provider(),
        }
    }
}

fn default_target() -> Target {
    Target::TensorRt
}
fn default_export() -> Vec<ExportBatchSize> {
    vec![ExportBatchSize::Fixed(1), ExportBatchSize::Fixed(32)]
}
fn default_bench_batches() -> Vec<i64> {
    vec![1, 32]
}
fn default_warmup() -> usize {
    2
}
fn default_timed() -> usize {
    10
}
fn default_provider() -> Capability {
    Capability::Cpu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_serializes_as_the_server_expects() {
        let boundary = Boundary::Sweep {
            keep_float: vec![2, 1],
        };
        let json = serde_json::to_value(&boundary).unwrap();
        assert_eq!(json["kind"], "sweep");
        assert_eq!(json["keep_float"], serde_json::json!([2, 1]));
        assert_eq!(boundary.keep_float_counts(), vec![0, 1, 2]);
    }

    #[test]
    fn settings_left_out_take_their_defaults_and_the_config_round_trips() {
        let json = serde_json::json!({
            "model_id": 1, "calibration_dataset_id": 2, "profile": "nanodet",
        });
        let config: RunConfig = serde_json::from_value(json).unwrap();
        assert_eq!(config.calibration_method, CalibrationMethod::Auto);
        assert_eq!(config.target, Target::TensorRt);
        assert_eq!(config.boundary, Boundary::All);
        assert_eq!(config.benchmark, BenchmarkConfig::default());
        let written = serde_json::to_value(&config).unwrap();
        assert_eq!(written["boundary"]["kind"], "all");
        assert_eq!(
            written["export_batch_sizes"],
            serde_json::json!(["1", "32"])
        );
        let back: RunConfig = serde_json::from_value(written).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn unknown_settings_are_refused() {
        let json = serde_json::json!({
            "model_id": 1, "calibration_dataset_id": 2, "profile": "nanodet", "colour": "blue",
        });
        assert!(serde_json::from_value::<RunConfig>(json).is_err());
    }
}
