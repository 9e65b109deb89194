//! A run's configuration, as `POST /api/runs` accepts it and `RunRecord::config` echoes it.

use serde::{Deserialize, Serialize};

/// One experiment: which model, which data, and how to quantize and measure it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunConfig {
    /// A display name; defaults to the model's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The model to quantize.
    pub model_id: i64,
    /// Images the activation ranges come from.
    pub calibration_dataset_id: i64,
    /// Images accuracy is measured on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_dataset_id: Option<i64>,
    /// A built-in model profile (`nanodet`, `yolov6`, ...).
    pub profile: String,
    /// `max`, `percentile`, `percentile:P`, `entropy` or `mse`.
    pub calibration_method: String,
    /// Use at most this many calibration images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_images: Option<usize>,
    /// How layer sensitivity is measured; needed for partial quantization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<SensitivityConfig>,
    /// Which layers stay in float.
    pub boundary: Boundary,
    /// `tensorrt` or `ort-cpu`.
    pub target: String,
    /// Batch sizes the quantized model is exported at (`1`, `32`, `dynamic`).
    pub export_batch_sizes: Vec<String>,
    /// How throughput is measured.
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
pub struct SensitivityConfig {
    /// `one-on` (quantize the layer alone) or `one-off` (everything but the layer).
    pub mode: String,
    /// `map`, `agreement` or `proxy`.
    pub metric: String,
}

/// Which layers stay in float.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Boundary {
    /// Every layer in INT8.
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
}

/// How throughput is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BenchmarkConfig {
    /// Batch sizes to time.
    pub batch_sizes: Vec<i64>,
    /// Untimed runs first.
    pub warmup_runs: usize,
    /// Timed runs.
    pub timed_runs: usize,
    /// Where to run: `cpu`, `cuda` or `tensorrt`.
    pub provider: String,
}

impl Default for BenchmarkConfig {
    fn default() -> Self {
        Self {
            batch_sizes: vec![1, 32],
            warmup_runs: 2,
            timed_runs: 10,
            provider: "cpu".into(),
        }
    }
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
    fn optional_settings_are_left_out_when_unset() {
        let config = RunConfig {
            name: None,
            model_id: 1,
            calibration_dataset_id: 2,
            validation_dataset_id: None,
            profile: "nanodet".into(),
            calibration_method: "max".into(),
            calibration_images: None,
            sensitivity: None,
            boundary: Boundary::All,
            target: "ort-cpu".into(),
            export_batch_sizes: vec!["1".into()],
            benchmark: BenchmarkConfig::default(),
            build_engine: false,
            tags: vec![],
        };
        let json = serde_json::to_value(&config).unwrap();
        assert!(json.get("name").is_none());
        assert!(json.get("sensitivity").is_none());
        assert_eq!(json["boundary"]["kind"], "all");
        let back: RunConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, config);
    }
}
