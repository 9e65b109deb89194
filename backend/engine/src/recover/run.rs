//! Running the recovery passes on a calibrated table.

use ndarray::ArrayD;

use super::adaround::choose_roundings;
use super::pass::in_run_order;
use super::ranges::choose_ranges;
use super::{RecoveryPass, measure_bias_shifts};
use crate::Result;
use crate::calibrate::CalibrationTable;
use crate::cleanup::{equalize_cross_layer, prepare_for_quantization};
use crate::onnx::proto::ModelProto;

/// How many calibration images the recovery passes measure on: enough for stable
/// per-channel means, few enough to stay a small part of a calibration's time.
pub const RECOVERY_IMAGES: usize = 16;

/// Runs `passes` (in [`RecoveryPass::ALL`] order) for `model`, whose ranges `table` holds
/// (calibrated on the equalized model when the passes hold `cle`, as
/// [`calibrate_images`](crate::pipeline::calibrate_images) does),
/// measuring on `batches` fed to `input`; what they measure goes into `table.recovery`.
/// `on_pass` hears each pass before it runs.
pub fn recover(
    table: &mut CalibrationTable,
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
    passes: &[RecoveryPass],
    on_pass: &mut dyn FnMut(RecoveryPass),
) -> Result<()> {
    let (mut model, _) = prepare_for_quantization(model)?;
    table.recovery = Default::default();
    for range in table.tensors.values_mut() {
        range.clip = None;
    }
    for pass in in_run_order(passes) {
        on_pass(pass);
        match pass {
            RecoveryPass::Cle => {
                table.recovery.equalized_pairs = equalize_cross_layer(&mut model)?;
            }
            RecoveryPass::Ranges => {
                choose_ranges(&model, input, batches, table)?;
            }
            RecoveryPass::Adaround => {
                let (rounding, gain) = choose_roundings(&model, input, batches)?;
                table.recovery.rounding = rounding;
                table.recovery.rounding_gain = Some(gain);
            }
            RecoveryPass::Bias => {
                table.recovery.bias =
                    measure_bias_shifts(&model, input, batches, &table.recovery.rounding)?;
            }
        }
        table.recovery.passes.push(pass);
    }
    Ok(())
}
