//! Checks that a profile's values make sense on their own, before any model is involved.

use super::{Normalization, OutputLayout, Profile};
use crate::{Error, Result};

/// The largest input width or height a profile may ask for.
const MAX_INPUT_SIDE: u32 = 8192;

impl Profile {
    /// Checks every value of the profile: a positive input size, finite normalisation with
    /// non-zero deviations, thresholds within 0-1, at least one class, sensible strides.
    pub fn validate(&self) -> Result<()> {
        let fail = |field: &str, problem: String| {
            Err(Error::InvalidInput(format!(
                "profile `{}`: `{field}` {problem}",
                self.name
            )))
        };
        let input = &self.input;
        for (field, side) in [("input.width", input.width), ("input.height", input.height)] {
            if side == 0 || side > MAX_INPUT_SIDE {
                return fail(
                    field,
                    format!("must be between 1 and {MAX_INPUT_SIDE}, got {side}"),
                );
            }
        }
        if input.name.as_deref() == Some("") {
            return fail(
                "input.name",
                "must not be empty; leave it out for the only input".into(),
            );
        }
        match input.normalization {
            Normalization::None => {}
            Normalization::Scale { factor } => {
                if !factor.is_finite() || factor <= 0.0 {
                    return fail(
                        "input.normalization.factor",
                        format!("must be positive, got {factor}"),
                    );
                }
            }
            Normalization::MeanStd { mean, std } => {
                if mean.iter().any(|m| !m.is_finite()) {
                    return fail(
                        "input.normalization.mean",
                        format!("must be finite, got {mean:?}"),
                    );
                }
                if std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
                    return fail(
                        "input.normalization.std",
                        format!("must be positive, got {std:?}"),
                    );
                }
            }
        }
        self.validate_output(&fail)?;
        if self.classes.is_empty() {
            return fail("classes", "must name at least one class".into());
        }
        let t = &self.thresholds;
        for (field, value) in [
            ("thresholds.display_score", t.display_score),
            ("thresholds.map_score", t.map_score),
            ("thresholds.nms_iou", t.nms_iou),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return fail(field, format!("must be between 0 and 1, got {value}"));
            }
        }
        if t.max_detections == 0 {
            return fail("thresholds.max_detections", "must be at least 1".into());
        }
        Ok(())
    }

    fn validate_output(&self, fail: &dyn Fn(&str, String) -> Result<()>) -> Result<()> {
        if self.output.output_names().contains(&Some("")) {
            return fail("output", "names an output with an empty name".into());
        }
        let strides: Vec<u32> = match &self.output {
            OutputLayout::YoloxGrid { strides, .. } => strides.clone(),
            // No levels: they are found from the model's outputs (Profile::fit_to_model).
            OutputLayout::Gfl { levels } if levels.is_empty() => return Ok(()),
            OutputLayout::Gfl { levels } => levels.iter().map(|l| l.stride).collect(),
            _ => return Ok(()),
        };
        if strides.is_empty() {
            return fail("output", "needs at least one stride".into());
        }
        if let Some(bad) = strides
            .iter()
            .find(|&&s| s == 0 || s > self.input.width.max(self.input.height))
        {
            return fail(
                "output",
                format!("has stride {bad}, which does not fit the input size"),
            );
        }
        Ok(())
    }
}
