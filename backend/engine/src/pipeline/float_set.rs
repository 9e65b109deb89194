//! Which quantizer groups of a point stay float, and the point's model quantized with them.

use std::collections::HashSet;

use crate::Result;
use crate::calibrate::ActivationRanges;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, QuantConfig, QuantizeReport, quantize_model};
use crate::sensitivity::{
    FloatSelection, MaxDropChoice, Score, Scorer, SearchSpace, float_groups, search_max_drop,
};

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

    /// The fewest groups whose score stays within `max_drop` of the float model's (see
    /// [`search_max_drop`]); `on_step` hears each scored candidate.
    pub fn searched(
        space: &SearchSpace<'_>,
        max_drop: f64,
        search: &mut dyn Scorer,
        verify: &mut dyn Scorer,
        on_step: &mut dyn FnMut(usize, Score),
    ) -> Result<Self> {
        let choice = search_max_drop(space, max_drop, search, verify, on_step)?;
        Ok(Self::Searched(Box::new(choice)))
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

/// `model` quantized with `float` kept in float, with the ranges of `ranges`.
pub fn quantize_point(
    model: &ModelProto,
    float: &FloatSet,
    ranges: &ActivationRanges,
    config: impl Into<QuantConfig>,
) -> Result<(ModelProto, QuantizeReport)> {
    quantize_model(model, float.selection(), ranges, config)
}
