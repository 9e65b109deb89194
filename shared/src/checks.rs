//! The limits a run's configuration, tags and notes are checked against before any job is
//! created. Each check returns the message to show.

use std::collections::HashSet;

use crate::batch::ExportBatchSize;
use crate::choices::{Metric, PROFILES};
use crate::config::{Boundary, RunConfig};

/// The longest run name, in characters.
const MAX_NAME_CHARS: usize = 200;
/// The most tags a run may have.
const MAX_TAGS: usize = 20;
/// The longest tag, in characters.
const MAX_TAG_CHARS: usize = 50;
/// The longest notes, in characters.
const MAX_NOTES_CHARS: usize = 10_000;
/// The largest fixed export batch size.
const MAX_EXPORT_BATCH: u32 = 1024;
/// The most points a sweep may ask for.
const MAX_SWEEP_POINTS: usize = 64;

impl RunConfig {
    /// Checks everything that does not need the database; `layer_count` is the model's.
    pub fn check(&self, layer_count: usize) -> Result<(), String> {
        if !PROFILES.contains(&self.profile.as_str()) {
            return Err(format!(
                "unknown profile `{}`: use one of {}",
                self.profile,
                PROFILES.join(", ")
            ));
        }
        if self
            .name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            return Err(format!(
                "a run name has at most {MAX_NAME_CHARS} characters"
            ));
        }
        check_tags_and_notes(Some(&self.tags), None)?;
        self.check_exports()?;
        self.check_benchmark()?;
        if self.calibration_images == Some(0) {
            return Err("calibration_images must be at least 1".into());
        }
        self.check_sensitivity()?;
        self.check_boundary(layer_count)
    }

    /// Checks what needs the validation dataset's record: `map` needs COCO annotations.
    pub fn check_labels(&self, validation_has_annotations: Option<bool>) -> Result<(), String> {
        let map = self
            .sensitivity
            .as_ref()
            .is_some_and(|s| s.metric == Metric::Map);
        if map && validation_has_annotations != Some(true) {
            return Err("the `map` sensitivity metric needs a validation dataset with COCO annotations; use `agreement` or `proxy`".into());
        }
        Ok(())
    }

    fn check_exports(&self) -> Result<(), String> {
        let sizes = &self.export_batch_sizes;
        if sizes.is_empty() || sizes.len() > 4 {
            return Err("give one to four export batch sizes".into());
        }
        for (i, size) in sizes.iter().enumerate() {
            let too_large = matches!(size, ExportBatchSize::Fixed(n) if *n > MAX_EXPORT_BATCH);
            if too_large || sizes[..i].contains(size) {
                return Err(format!(
                    "export batch sizes are `dynamic` or 1 to {MAX_EXPORT_BATCH}, each once; `{size}` is not"
                ));
            }
        }
        Ok(())
    }

    fn check_benchmark(&self) -> Result<(), String> {
        let b = &self.benchmark;
        if b.batch_sizes.is_empty()
            || b.batch_sizes.len() > 8
            || b.batch_sizes.iter().collect::<HashSet<_>>().len() != b.batch_sizes.len()
            || b.batch_sizes.iter().any(|&n| !(1..=256).contains(&n))
            || b.timed_runs == 0
            || b.timed_runs > 1000
            || b.warmup_runs > 100
        {
            return Err(
                "benchmark: give batch sizes from 1 to 256 and 1 to 1000 timed runs".into(),
            );
        }
        Ok(())
    }

    fn check_sensitivity(&self) -> Result<(), String> {
        let Some(s) = &self.sensitivity else {
            return Ok(());
        };
        if s.metric.needs_validation_images() && self.validation_dataset_id.is_none() {
            return Err(format!(
                "the `{}` sensitivity metric needs a validation dataset; use `proxy` without one",
                s.metric
            ));
        }
        if s.images == Some(0) {
            return Err("sensitivity images must be at least 1".into());
        }
        Ok(())
    }

    fn check_boundary(&self, layer_count: usize) -> Result<(), String> {
        if let Boundary::Sweep { keep_float } = &self.boundary {
            let distinct = keep_float.iter().collect::<HashSet<_>>().len();
            if keep_float.is_empty()
                || keep_float.len() > MAX_SWEEP_POINTS
                || distinct != keep_float.len()
            {
                return Err(format!(
                    "a sweep needs 1 to {MAX_SWEEP_POINTS} distinct counts of float layers"
                ));
            }
        }
        let counts = self.boundary.keep_float_counts();
        if let Some(&too_many) = counts.iter().find(|&&k| k > layer_count) {
            return Err(format!(
                "cannot keep {too_many} layers in float: the model has {layer_count} quantizable layers"
            ));
        }
        if self.boundary.is_partial() && self.sensitivity.is_none() {
            return Err("keeping layers in float needs a sensitivity ranking: add `sensitivity` {mode, metric}".into());
        }
        if let Boundary::MaxDrop { max_drop } = self.boundary {
            if self.validation_dataset_id.is_none() {
                return Err("a max-drop boundary needs a validation dataset".into());
            }
            if !(0.0..1.0).contains(&max_drop) {
                return Err(format!(
                    "max_drop {max_drop} must be in [0, 1): a relative drop, e.g. 0.02 for 2%"
                ));
            }
        }
        Ok(())
    }
}

/// Checks a run's tags and notes against their length limits.
pub fn check_tags_and_notes(tags: Option<&[String]>, notes: Option<&str>) -> Result<(), String> {
    let tags = tags.unwrap_or_default();
    if tags.len() > MAX_TAGS
        || tags
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > MAX_TAG_CHARS)
    {
        return Err(format!(
            "a run has at most {MAX_TAGS} tags of 1 to {MAX_TAG_CHARS} characters"
        ));
    }
    if notes.is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS) {
        return Err(format!("notes have at most {MAX_NOTES_CHARS} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: serde_json::Value) -> RunConfig {
        let mut value = serde_json::json!({
            "model_id": 1, "calibration_dataset_id": 1, "profile": "nanodet",
        });
        if let (Some(v), Some(e)) = (value.as_object_mut(), extra.as_object()) {
            v.extend(e.clone());
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn partial_quantization_needs_a_ranking_and_few_enough_layers() {
        let keep = config(serde_json::json!({ "boundary": { "kind": "keep_float", "count": 3 } }));
        assert!(keep.check(10).unwrap_err().contains("sensitivity ranking"));
        let sweep = config(serde_json::json!({
            "boundary": { "kind": "sweep", "keep_float": [1, 35] },
            "sensitivity": { "mode": "one-on", "metric": "proxy" },
        }));
        assert!(sweep.check(10).unwrap_err().contains("35 layers"));
        assert_eq!(sweep.check(40), Ok(()));
    }

    #[test]
    fn an_export_batch_size_is_given_once() {
        let twice = config(serde_json::json!({ "export_batch_sizes": ["1", "1"] }));
        assert!(twice.check(10).unwrap_err().contains("each once"));
    }
}
