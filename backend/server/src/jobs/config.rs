//! A run's configuration, as the API accepts it, checked before any job is created.

use std::collections::HashSet;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Capability;
use crate::error::{Error, Result};

use qbound_engine::profile::BUILTIN_PROFILES;

/// One experiment: which model, which data, and how to quantize and measure it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunConfig {
    /// A display name; defaults to the model's name.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// The model to quantize.
    pub(crate) model_id: i64,
    /// Images the activation ranges come from.
    pub(crate) calibration_dataset_id: i64,
    /// Images accuracy is measured on.
    #[serde(default)]
    pub(crate) validation_dataset_id: Option<i64>,
    /// A built-in model profile (how to feed and read the detector).
    pub(crate) profile: String,
    /// `max`, `percentile`, `percentile:P`, `entropy` or `mse`.
    #[serde(default = "default_method")]
    pub(crate) calibration_method: String,
    /// Use at most this many calibration images.
    #[serde(default)]
    pub(crate) calibration_images: Option<usize>,
    /// How layer sensitivity is measured; needed for partial quantization.
    #[serde(default)]
    pub(crate) sensitivity: Option<SensitivityConfig>,
    /// Which layers stay in float.
    #[serde(default)]
    pub(crate) boundary: Boundary,
    /// `tensorrt` or `ort-cpu`.
    #[serde(default = "default_target")]
    pub(crate) target: String,
    /// Batch sizes the quantized model is exported at (`1`, `32`, `dynamic`).
    #[serde(default = "default_export")]
    pub(crate) export_batch_sizes: Vec<String>,
    /// How throughput is measured.
    #[serde(default)]
    pub(crate) benchmark: BenchmarkConfig,
    /// Also build a TensorRT engine per point.
    #[serde(default)]
    pub(crate) build_engine: bool,
    /// Tags to find the run by.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
}

/// How sensitivity is measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SensitivityConfig {
    /// `one-on` (quantize the layer alone) or `one-off` (everything but the layer).
    pub(crate) mode: String,
    /// `map`, `agreement` or `proxy`.
    pub(crate) metric: String,
    /// Score each layer on at most this many images (default: 8 for `proxy`, else all).
    #[serde(default)]
    pub(crate) images: Option<usize>,
}

/// Which layers stay in float.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Boundary {
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

/// How throughput is measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BenchmarkConfig {
    /// Batch sizes to time.
    #[serde(default = "default_bench_batches")]
    pub(crate) batch_sizes: Vec<i64>,
    /// Untimed runs first.
    #[serde(default = "default_warmup")]
    pub(crate) warmup_runs: usize,
    /// Timed runs.
    #[serde(default = "default_timed")]
    pub(crate) timed_runs: usize,
    /// Where to run: `cpu`, `cuda` or `tensorrt` (also the capability the job needs).
    #[serde(default = "default_provider")]
    pub(crate) provider: Capability,
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

fn default_method() -> String {
    "auto".into()
}
fn default_target() -> String {
    "tensorrt".into()
}
fn default_export() -> Vec<String> {
    vec!["1".into(), "32".into()]
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

impl RunConfig {
    /// Checks everything that does not need the database; `layer_count` is the model's.
    pub(crate) fn validate(&self, layer_count: usize) -> Result<()> {
        let bad = |m: String| Err(Error::Unprocessable(m));
        if !BUILTIN_PROFILES.contains(&self.profile.as_str()) {
            return bad(format!(
                "unknown profile `{}`: use one of {}",
                self.profile,
                BUILTIN_PROFILES.join(", ")
            ));
        }
        qbound_engine::calibrate::CalibrationMethod::from_str(&self.calibration_method)
            .map_err(|e| Error::Unprocessable(e.to_string()))?;
        qbound_engine::quantize::Target::from_str(&self.target)
            .map_err(|e| Error::Unprocessable(e.to_string()))?;
        if self
            .name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            return bad(format!(
                "a run name has at most {MAX_NAME_CHARS} characters"
            ));
        }
        validate_tags_and_notes(Some(&self.tags), None)?;
        if self.export_batch_sizes.is_empty() || self.export_batch_sizes.len() > 4 {
            return bad("give one to four export batch sizes".into());
        }
        let mut sizes = Vec::new();
        for size in &self.export_batch_sizes {
            let parsed = qbound_engine::batch::BatchSize::from_str(size)
                .map_err(|e| Error::Unprocessable(e.to_string()))?;
            let too_large = size.parse::<u64>().is_ok_and(|n| n > MAX_EXPORT_BATCH);
            if too_large || sizes.contains(&parsed) {
                return bad(format!(
                    "export batch sizes are `dynamic` or 1 to {MAX_EXPORT_BATCH}, each once; `{size}` is not"
                ));
            }
            sizes.push(parsed);
        }
        let b = &self.benchmark;
        if b.batch_sizes.is_empty()
            || b.batch_sizes.len() > 8
            || b.batch_sizes.iter().collect::<HashSet<_>>().len() != b.batch_sizes.len()
            || b.batch_sizes.iter().any(|&n| !(1..=256).contains(&n))
            || b.timed_runs == 0
            || b.timed_runs > 1000
            || b.warmup_runs > 100
        {
            return bad(
                "benchmark: give batch sizes from 1 to 256 and 1 to 1000 timed runs".into(),
            );
        }
        if self.calibration_images == Some(0) {
            return bad("calibration_images must be at least 1".into());
        }
        if let Some(s) = &self.sensitivity {
            if !["one-on", "one-off"].contains(&s.mode.as_str()) {
                return bad(format!(
                    "unknown sensitivity mode `{}`: use `one-on` or `one-off`",
                    s.mode
                ));
            }
            if !["map", "agreement", "proxy"].contains(&s.metric.as_str()) {
                return bad(format!(
                    "unknown sensitivity metric `{}`: use `map`, `agreement` or `proxy`",
                    s.metric
                ));
            }
            if s.metric != "proxy" && self.validation_dataset_id.is_none() {
                return bad(format!(
                    "the `{}` sensitivity metric needs a validation dataset; use `proxy` without one",
                    s.metric
                ));
            }
            if s.images == Some(0) {
                return bad("sensitivity images must be at least 1".into());
            }
        }
        if let Boundary::Sweep { keep_float } = &self.boundary {
            let distinct = keep_float.iter().collect::<HashSet<_>>().len();
            if keep_float.is_empty()
                || keep_float.len() > MAX_SWEEP_POINTS
                || distinct != keep_float.len()
            {
                return bad(format!(
                    "a sweep needs 1 to {MAX_SWEEP_POINTS} distinct counts of float layers"
                ));
            }
        }
        let counts = self.keep_float_counts();
        if counts.is_empty() && !matches!(self.boundary, Boundary::MaxDrop { .. }) {
            return bad("a sweep needs at least one count of float layers".into());
        }
        if let Some(&too_many) = counts.iter().find(|&&k| k > layer_count) {
            return bad(format!(
                "cannot keep {too_many} layers in float: the model has {layer_count} quantizable layers"
            ));
        }
        let partial =
            counts.iter().any(|&k| k > 0) || matches!(self.boundary, Boundary::MaxDrop { .. });
        if partial && self.sensitivity.is_none() {
            return bad("keeping layers in float needs a sensitivity ranking: add `sensitivity` {mode, metric}".into());
        }
        if let Boundary::MaxDrop { max_drop } = self.boundary {
            if self.validation_dataset_id.is_none() {
                return bad("a max-drop boundary needs a validation dataset".into());
            }
            if !(0.0..1.0).contains(&max_drop) {
                return bad(format!(
                    "max_drop {max_drop} must be in [0, 1): a relative drop, e.g. 0.02 for 2%"
                ));
            }
        }
        Ok(())
    }

    /// Checks what needs the validation dataset's record: `map` needs COCO annotations.
    pub(crate) fn validate_labels(&self, validation_has_annotations: Option<bool>) -> Result<()> {
        let map = self.sensitivity.as_ref().is_some_and(|s| s.metric == "map");
        if map && validation_has_annotations != Some(true) {
            return Err(Error::Unprocessable(
                "the `map` sensitivity metric needs a validation dataset with COCO annotations; use `agreement` or `proxy`".into(),
            ));
        }
        Ok(())
    }

    /// The labels of the run's quantized points, in order (a max-drop search has one).
    pub(crate) fn point_labels(&self) -> Vec<String> {
        match self.boundary {
            Boundary::MaxDrop { .. } => vec![MAX_DROP_LABEL.to_owned()],
            _ => self
                .keep_float_counts()
                .into_iter()
                .map(point_label)
                .collect(),
        }
    }

    /// The point whose float layers the run's boundary stands for: the single point of a
    /// fixed count or a max-drop search, the largest count of a sweep.
    pub(crate) fn chosen_label(&self) -> Option<String> {
        self.point_labels().pop()
    }

    /// How a point's files are tagged: `int8` (every layer quantized), `partial` (the
    /// single point of a fixed count or search), `partial_k<K>` (a point of a sweep).
    pub(crate) fn file_tag(&self, keep_float: Option<usize>) -> String {
        match (&self.boundary, keep_float) {
            (_, Some(0)) => "int8".into(),
            (Boundary::Sweep { .. }, Some(k)) => format!("partial_k{k}"),
            _ => "partial".into(),
        }
    }

    /// The counts of float layers, one per trade-off point (empty for a max-drop search); a
    /// sweep always holds 0, the full INT8 model, beside the counts it asks for.
    pub(crate) fn keep_float_counts(&self) -> Vec<usize> {
        match &self.boundary {
            Boundary::All => vec![0],
            Boundary::KeepFloat { count } => vec![*count],
            Boundary::MaxDrop { .. } => Vec::new(),
            Boundary::Sweep { keep_float } => {
                let mut counts = keep_float.clone();
                counts.push(0);
                counts.sort_unstable();
                counts.dedup();
                counts
            }
        }
    }
}

/// The longest run name, in characters.
const MAX_NAME_CHARS: usize = 200;
/// The most tags a run may have, and the longest tag, in characters.
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 50;
/// The longest notes, in characters.
const MAX_NOTES_CHARS: usize = 10_000;
/// The largest fixed export batch size.
const MAX_EXPORT_BATCH: u64 = 1024;
/// The most points a sweep may ask for.
const MAX_SWEEP_POINTS: usize = 64;

/// Checks a run's tags and notes against their length limits.
pub(crate) fn validate_tags_and_notes(tags: Option<&[String]>, notes: Option<&str>) -> Result<()> {
    let tags = tags.unwrap_or_default();
    if tags.len() > MAX_TAGS
        || tags
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > MAX_TAG_CHARS)
    {
        return Err(Error::Unprocessable(format!(
            "a run has at most {MAX_TAGS} tags of 1 to {MAX_TAG_CHARS} characters"
        )));
    }
    if notes.is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS) {
        return Err(Error::Unprocessable(format!(
            "notes have at most {MAX_NOTES_CHARS} characters"
        )));
    }
    Ok(())
}

/// The label of the point a max-drop search chooses.
pub(crate) const MAX_DROP_LABEL: &str = "int8-maxdrop";

/// The label of the trade-off point with `keep_float` layers in float.
pub(crate) fn point_label(keep_float: usize) -> String {
    if keep_float == 0 {
        "int8".into()
    } else {
        format!("int8-keep{keep_float}")
    }
}

/// A file-name stem from a model's display name: `nanodet.onnx` gives `nanodet`.
pub(crate) fn artifact_stem(model_name: &str) -> String {
    let base = model_name.trim().trim_end_matches(".onnx");
    let mut stem = String::new();
    for c in base.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' {
            c
        } else {
            '_'
        };
        if !(c == '_' && (stem.is_empty() || stem.ends_with('_'))) {
            stem.push(c);
        }
    }
    let stem: String = stem.trim_end_matches('_').chars().take(40).collect();
    if stem.is_empty() {
        "model".into()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_file_names() {
        assert_eq!(artifact_stem("nanodet.onnx"), "nanodet");
        assert_eq!(
            artifact_stem("nanodet-coco-416 (demo)"),
            "nanodet-coco-416_demo"
        );
        assert_eq!(artifact_stem("../.."), "model");
    }
}
