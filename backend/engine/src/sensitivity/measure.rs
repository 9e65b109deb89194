//! Per-layer sensitivity: quantize one layer alone (or all but one) and score the result.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::correlation::{spearman_brown, split_half_correlation};
use super::{Score, Scorer};
use crate::calibrate::Calibration;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, Target, model_groups, quantize_model};
use crate::{Error, Result};

/// Which layers are quantized when one layer is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SensitivityMode {
    /// Only the measured layer is quantized (YOLOv6's method): the drop it causes alone.
    OneOn,
    /// Every layer but the measured one is quantized: what keeping it in float recovers.
    OneOff,
}

impl FromStr for SensitivityMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "one-on" => Ok(Self::OneOn),
            "one-off" => Ok(Self::OneOff),
            other => Err(Error::InvalidInput(format!(
                "unknown sensitivity mode `{other}`: use `one-on` or `one-off`"
            ))),
        }
    }
}

impl std::fmt::Display for SensitivityMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OneOn => "one-on",
            Self::OneOff => "one-off",
        })
    }
}

/// The measurement of one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSensitivity {
    /// The layer's name.
    pub name: String,
    /// Its op type.
    pub op: String,
    /// Its position among the model's layers.
    pub position: usize,
    /// The score of the model measured for it.
    pub score: Score,
    /// 0 for the least sensitive layer.
    pub rank: usize,
    /// Seconds the measurement took (quantization, session, scoring).
    pub seconds: f64,
}

/// Every layer's sensitivity, ranked least sensitive first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SensitivityReport {
    /// How layers were measured.
    pub mode: SensitivityMode,
    /// The scorer's name (`map`, `agreement`, `proxy`).
    pub metric: String,
    /// The Q/DQ placement measured.
    pub target: Target,
    /// The layers, least sensitive first.
    pub layers: Vec<LayerSensitivity>,
    /// Seconds for the whole analysis.
    pub seconds: f64,
    /// Spearman correlation between the rankings on the even- and on the odd-numbered images
    /// alone, when the scorer splits its images.
    #[serde(default)]
    pub split_half_correlation: Option<f64>,
    /// How far the ranking can be trusted: the correlation to expect with the same analysis on
    /// as many other images (Spearman-Brown from the split-half correlation). Near 1 the order
    /// is the layers'; well below 0.8 much of it is chance, and more images would change it.
    #[serde(default)]
    pub reliability: Option<f64>,
}

impl SensitivityReport {
    /// Layer names, least sensitive first.
    pub fn ranking(&self) -> Vec<String> {
        self.layers.iter().map(|l| l.name.clone()).collect()
    }
}

/// Measures every layer of `model` with one calibration (`amax`), the placement of `target`,
/// and `scorer`; `on_layer` hears (done, total, measurement) after each layer.
pub fn layer_sensitivity(
    model: &ModelProto,
    ranges: &Calibration,
    target: Target,
    mode: SensitivityMode,
    scorer: &mut dyn Scorer,
    on_layer: &mut dyn FnMut(usize, usize, &LayerSensitivity),
) -> Result<SensitivityReport> {
    let started = Instant::now();
    let layers = model_groups(model, target)?;
    let mut measured = Vec::with_capacity(layers.len());
    for layer in &layers {
        let start = Instant::now();
        let alone = HashSet::from([layer.name.clone()]);
        let selection = match mode {
            SensitivityMode::OneOn => GroupSelection::Only(&alone),
            SensitivityMode::OneOff => GroupSelection::AllExcept(&alone),
        };
        let (candidate, _) = quantize_model(model, selection, ranges, target)?;
        let score = scorer.score(&candidate)?;
        let measurement = LayerSensitivity {
            name: layer.name.clone(),
            op: layer.ops.join("+"),
            position: layer.position,
            score,
            rank: 0,
            seconds: start.elapsed().as_secs_f64(),
        };
        on_layer(measured.len() + 1, layers.len(), &measurement);
        measured.push(measurement);
    }
    rank_least_sensitive_first(&mut measured, mode);
    let split_half = split_half_correlation(&measured);
    Ok(SensitivityReport {
        mode,
        metric: scorer.name().to_owned(),
        target,
        layers: measured,
        seconds: started.elapsed().as_secs_f64(),
        split_half_correlation: split_half,
        reliability: split_half.and_then(spearman_brown),
    })
}

/// Orders layers least sensitive first. One-on: the higher the score with only that layer
/// quantized, the less sensitive. One-off: the lower the score with every other layer
/// quantized, the less keeping it in float recovers. Ties keep model order.
fn rank_least_sensitive_first(layers: &mut [LayerSensitivity], mode: SensitivityMode) {
    layers.sort_by(|a, b| {
        let by_score = b
            .score
            .primary
            .total_cmp(&a.score.primary)
            .then(b.score.secondary.total_cmp(&a.score.secondary));
        let by_score = match mode {
            SensitivityMode::OneOn => by_score,
            SensitivityMode::OneOff => by_score.reverse(),
        };
        by_score.then(a.position.cmp(&b.position))
    });
    for (rank, layer) in layers.iter_mut().enumerate() {
        layer.rank = rank;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, position: usize, primary: f64) -> LayerSensitivity {
        LayerSensitivity {
            name: name.into(),
            op: "Conv".into(),
            position,
            score: Score {
                primary,
                secondary: 0.0,
                halves: None,
            },
            rank: 0,
            seconds: 0.0,
        }
    }

    #[test]
    fn one_on_puts_the_highest_scores_first_and_one_off_the_lowest() {
        let mut layers = vec![
            layer("a", 0, 0.5),
            layer("b", 1, 0.9),
            layer("c", 2, 0.7),
            layer("d", 3, 0.9),
        ];
        rank_least_sensitive_first(&mut layers, SensitivityMode::OneOn);
        let names: Vec<_> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["b", "d", "c", "a"], "ties keep model order");
        assert_eq!(layers[3].rank, 3);
        rank_least_sensitive_first(&mut layers, SensitivityMode::OneOff);
        let names: Vec<_> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "b", "d"]);
    }
}
