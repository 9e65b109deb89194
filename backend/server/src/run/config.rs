//! A run's configuration seen from the queue: its checks as API errors, the labels of its
//! trade-off points, and the names of the files they produce.

use qbound_shared::{Boundary, RunConfig};

use crate::error::{Error, Result};

/// Checks everything that does not need the database; `layer_count` is the model's.
pub(crate) fn validate(config: &RunConfig, layer_count: usize) -> Result<()> {
    config.check(layer_count).map_err(Error::Unprocessable)
}

/// Checks what needs the validation dataset's record: `map` needs COCO annotations.
pub(crate) fn validate_labels(
    config: &RunConfig,
    validation_has_annotations: Option<bool>,
) -> Result<()> {
    config
        .check_labels(validation_has_annotations)
        .map_err(Error::Unprocessable)
}

/// Checks a run's tags and notes against their length limits.
pub(crate) fn validate_tags_and_notes(tags: Option<&[String]>, notes: Option<&str>) -> Result<()> {
    qbound_shared::check_tags_and_notes(tags, notes).map_err(Error::Unprocessable)
}

/// The labels of the run's quantized points, in order (a max-drop search has one).
pub(crate) fn point_labels(config: &RunConfig) -> Vec<String> {
    match config.boundary {
        Boundary::MaxDrop { .. } => vec![MAX_DROP_LABEL.to_owned()],
        _ => config
            .boundary
            .keep_float_counts()
            .into_iter()
            .map(point_label)
            .collect(),
    }
}

/// The point whose float layers the run's boundary stands for: the single point of a
/// fixed count or a max-drop search, the largest count of a sweep.
pub(crate) fn chosen_label(config: &RunConfig) -> Option<String> {
    point_labels(config).pop()
}

/// How a point's files are tagged: `int8` (every layer quantized), `partial` (the
/// single point of a fixed count or search), `partial_k<K>` (a point of a sweep).
pub(crate) fn file_tag(boundary: &Boundary, keep_float: Option<usize>) -> String {
    match (boundary, keep_float) {
        (_, Some(0)) => "int8".into(),
        (Boundary::Sweep { .. }, Some(k)) => format!("partial_k{k}"),
        _ => "partial".into(),
    }
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
