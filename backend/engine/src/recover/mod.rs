//! Accuracy recovery: passes run at calibration that make the INT8 model compute closer to
//! the float one, and what they measured, which the calibration table keeps and
//! quantization applies to every model made with the table (full INT8, partial, searched).

mod adaround;
mod bias;
mod channel_means;
mod elementwise;
mod gram;
mod layer_shape;
mod pass;
mod ranges;
mod run;
mod sample;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::quantize::WeightRounding;
pub use bias::BiasShifts;
pub(crate) use bias::measure_bias_shifts;
pub(crate) use elementwise::Elementwise;
pub use pass::{RecoveryPass, parse_passes};
pub(crate) use ranges::fake_quantize;
pub use run::{RECOVERY_IMAGES, recover};
pub(crate) use sample::sample;

/// Per layer (by name), how adaptive rounding rounds its weights.
pub type Roundings = BTreeMap<String, WeightRounding>;

/// What adaptive rounding changed: the layers' summed output error (per output channel,
/// `dᵀ E[x xᵀ] d`) with round-to-nearest and with the chosen rounding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RoundingGain {
    /// Layers rounded.
    pub layers: usize,
    /// Weights in them.
    pub weights: usize,
    /// Weights that round the other way than to nearest.
    pub flipped: usize,
    /// The summed output error with round-to-nearest.
    pub nearest_error: f64,
    /// The summed output error with the chosen rounding.
    pub chosen_error: f64,
}

/// What the recovery passes of one calibration measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// The passes that ran, in run order.
    pub passes: Vec<RecoveryPass>,
    /// Bias correction: per layer (by name), what each output channel's bias gains.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bias: BiasShifts,
    /// Cross-layer equalization: how many Conv pairs were scaled.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub equalized_pairs: usize,
    /// Adaptive rounding: per layer (by name), which weights round up.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rounding: Roundings,
    /// What adaptive rounding gained, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding_gain: Option<RoundingGain>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl Recovery {
    /// Whether cross-layer equalization ran: the quantized model is made from the equalized
    /// float model.
    pub fn equalizes(&self) -> bool {
        self.passes.contains(&RecoveryPass::Cle)
    }

    /// Whether no pass ran.
    pub fn is_empty(&self) -> bool {
        self.passes.is_empty() && self.bias.is_empty() && self.rounding.is_empty()
    }

    /// One line per pass that ran: what it changed in `table` (whose recovery this is).
    pub fn describe(&self, table: &crate::calibrate::CalibrationTable) -> Vec<String> {
        self.passes
            .iter()
            .map(|pass| match pass {
                RecoveryPass::Cle => format!(
                    "cle: {} Conv pairs equalized (the float model computes the same outputs)",
                    self.equalized_pairs
                ),
                RecoveryPass::Ranges => {
                    let changed = table.tensors.values().filter(|r| r.clip.is_some()).count();
                    format!(
                        "ranges: {changed} of {} tensors got bounds of their own",
                        table.tensors.len()
                    )
                }
                RecoveryPass::Adaround => {
                    let gain = self.rounding_gain.unwrap_or_default();
                    format!(
                        "adaround: {} layers, {:.1}% of {} weights round the other way, layer output error {:+.1}%",
                        gain.layers,
                        100.0 * gain.flipped as f64 / gain.weights.max(1) as f64,
                        gain.weights,
                        100.0 * (gain.chosen_error / gain.nearest_error.max(f64::MIN_POSITIVE) - 1.0)
                    )
                }
                RecoveryPass::Bias => {
                    let (sum, count) = self
                        .bias
                        .values()
                        .flatten()
                        .fold((0.0f64, 0usize), |(s, n), v| {
                            (s + f64::from(v.abs()), n + 1)
                        });
                    format!(
                        "bias: {} layers corrected, mean |shift| {:.4}",
                        self.bias.len(),
                        sum / count.max(1) as f64
                    )
                }
            })
            .collect()
    }

    /// How layer `name`'s weights round, if adaptive rounding chose it.
    pub fn rounding(&self, layer: &str) -> Option<&WeightRounding> {
        self.rounding.get(layer)
    }

    /// The shift of layer `name`'s bias, one value per output channel, if there is one.
    pub fn bias_shift(&self, layer: &str) -> Option<&[f32]> {
        self.bias.get(layer).map(Vec::as_slice)
    }
}
