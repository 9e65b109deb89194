//! Calibrating a model on a list of images, `auto` judged by agreement mAP.

use std::path::PathBuf;

use ndarray::ArrayD;

use super::accuracy_scorer;
use crate::Result;
use crate::calibrate::{
    AutoJudge, CalibrationMethod, CalibrationTable, auto_judge_images, calibrate_model,
    calibrate_model_judged,
};
use crate::cleanup::{equalize_cross_layer, prepare_for_quantization};
use crate::onnx::proto::ModelProto;
use crate::profile::Profile;
use crate::recover::{RECOVERY_IMAGES, RecoveryPass, recover};

/// What a calibration reads: the model, how it is fed, and the images.
pub struct CalibrationInput<'a> {
    /// The float model.
    pub model: &'a ModelProto,
    /// How images become its input.
    pub profile: &'a Profile,
    /// The calibration images, in order.
    pub files: &'a [PathBuf],
    /// Images per batch.
    pub batch_size: usize,
    /// What the table records as the model's identity (its sha256).
    pub model_id: &'a str,
    /// The accuracy-recovery passes to run after the ranges are chosen.
    pub recovery: &'a [RecoveryPass],
}

/// Calibrates by `method` on `batches` (the input's images, batched, perhaps with a stop
/// check around them); `auto` chooses its method by the full-INT8 model's agreement mAP
/// on the first [`auto_judge_images`] images. Then the input's recovery passes run on the
/// first [`RECOVERY_IMAGES`] images. `on_batch` hears the images done, `on_pass` each
/// recovery pass as it starts.
pub fn calibrate_images(
    input: &CalibrationInput<'_>,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    method: CalibrationMethod,
    on_batch: &mut dyn FnMut(usize),
    on_pass: &mut dyn FnMut(RecoveryPass),
) -> Result<CalibrationTable> {
    let name = input.profile.input_name(input.model)?;
    let equalized;
    let model = if input.recovery.contains(&RecoveryPass::Cle) {
        let (mut cleaned, _) = prepare_for_quantization(input.model)?;
        equalize_cross_layer(&mut cleaned)?;
        equalized = cleaned;
        &equalized
    } else {
        input.model
    };
    let mut table = ranges(input, model, &name, batches, method, on_batch)?;
    if !input.recovery.is_empty() {
        let files = &input.files[..RECOVERY_IMAGES.min(input.files.len())];
        let batches = input
            .profile
            .input_batches(files, input.batch_size)
            .collect::<Result<Vec<_>>>()?;
        recover(
            &mut table,
            input.model,
            &name,
            &batches,
            input.recovery,
            on_pass,
        )?;
    }
    Ok(table)
}

/// The table of ranges of `model` (the input's, perhaps equalized) by `method`, `auto`
/// judged.
fn ranges(
    input: &CalibrationInput<'_>,
    model: &ModelProto,
    name: &str,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    method: CalibrationMethod,
    on_batch: &mut dyn FnMut(usize),
) -> Result<CalibrationTable> {
    if method != CalibrationMethod::Auto {
        return calibrate_model(model, name, batches, method, input.model_id, on_batch);
    }
    let judged = &input.files[..auto_judge_images(input.files.len()).min(input.files.len())];
    let mut judge = accuracy_scorer(model, input.profile, judged, None, input.batch_size)?;
    calibrate_model_judged(
        model,
        name,
        batches,
        method,
        input.model_id,
        AutoJudge {
            scorer: &mut judge,
            images: judged.len(),
        },
        on_batch,
    )
}
