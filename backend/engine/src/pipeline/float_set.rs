//! Which quantizer groups of a point stay float, and the point's model quantized with them.

use std::collections::HashSet;

use crate::Result;
use crate::calibrate::Calibration;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, QuantConfig, QuantizeReport, quantize_model};
use crate::sensitivity::{FloatSelection, MaxDropChoice, float_groups};

/// The groups a point keeps in float: none, a count from the sensitivity ranking, or what a
/// max-drop search chose.
#[derive(Debug, Clone)]
pub enum FloatSet {
    /// Every group in INT8.
    None,
    /// These groups stay float.
    Ranked(HashSet<String>),
    /// A max-drop search's choice.
    Searched(Box<MaxDropChoice>),
}

impl FloatSet {
    /// The groups `selection` keeps float in a least-sensitive-first `ranking`; keeping none
    /// needs no ranking.
    pub fn ranked(ranking: &[String], selection: FloatSelection) -> Result<Self> {
        if selection == FloatSelection::KeepFloat(0) {
            return Ok(Self::None);
        }
        Ok(Self::Ranked(float_groups(ranking, selection)?))
    }

    /// What to quantize.
    pub fn selection(&self) -> GroupSelection<'_> {
        match self {
            Self::None => GroupSelection::All,
            Self::Ranked(groups) => GroupSelection::AllExcept(groups),
            Self::Searched(choice) => choice.selection(),
        }
    }

    /// The max-drop search's choice, when there was one.
    pub fn max_drop(&self) -> Option<&MaxDropChoice> {
        match self {
            Self::Searched(choice) => Some(choice),
            _ => None,
        }
    }

    /// The layers left in float: as the search chose them (in order of sensitivity), else
    /// as quantization reported them (in model order).
    pub fn float_layers(&self, report: &QuantizeReport) -> Vec<String> {
        match self {
            Self::Searched(choice) => choice.float_layers.clone(),
            _ => report.float_layers.clone(),
        }
    }
}

impl From<MaxDropChoice> for FloatSet {
    /// The groups a [`crate::sensitivity::search_max_drop`] chose.
    fn from(choice: MaxDropChoice) -> Self {
        Self::Searched(Box::new(choice))
    }
}

/// `model` quantized with `float` kept in float, with the ranges of `ranges`.
pub fn quantize_point(
    model: &ModelProto,
    float: &FloatSet,
    ranges: &Calibration,
    config: impl Into<QuantConfig>,
) -> Result<(ModelProto, QuantizeReport)> {
    quantize_model(model, float.selection(), ranges, config)
}
