//! Accuracy recovery: passes run at calibration that make the INT8 model compute closer to
//! the float one, and what they measured, which the calibration table keeps and
//! quantization applies to every model made with the table (full INT8, partial, searched).

mod bias;
mod channel_means;
mod elementwise;
mod pass;
mod ranges;
mod run;
mod sample;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use bias::BiasShifts;
pub(crate) use bias::measure_bias_shifts;
pub(crate) use elementwise::Elementwise;
pub use pass::{RecoveryPass, parse_passes};
pub(crate) use ranges::fake_quantize;
pub use run::{RECOVERY_IMAGES, recover};
pub(crate) use sample::sample;

/// What the recovery passes of one calibration measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// The passes that ran, in run order.
    pub passes: Vec<RecoveryPass>,
    /// Bias correction: per layer (by name), what each output channel's bias gains.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bias: BiasShifts,
}

impl Recovery {
    /// Whether no pass ran.
    pub fn is_empty(&self) -> bool {
        self.passes.is_empty() && self.bias.is_empty()
    }

    /// One line per pass that ran: what it changed in `table` (whose recovery this is).
    pub fn describe(&self, table: &crate::calibrate::CalibrationTable) -> Vec<String> {
        self.passes
            .iter()
            .map(|pass| match pass {
                RecoveryPass::Ranges => {
                    let changed = table.tensors.values().filter(|r| r.clip.is_some()).count();
                    format!(
                        "ranges: {changed} of {} tensors got bounds of their own",
                        table.tensors.len()
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

    /// The shift of layer `name`'s bias, one value per output channel, if there is one.
    pub fn bias_shift(&self, layer: &str) -> Option<&[f32]> {
        self.bias.get(layer).map(Vec::as_slice)
    }
}
