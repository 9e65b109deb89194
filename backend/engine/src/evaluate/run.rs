//! Running a detector over evaluation images and decoding its detections.

use std::collections::HashMap;

use ndarray::{Array4, ArrayD, Axis, Slice};
use ort::session::Session;

use crate::Result;
use crate::batch::{BatchSize, retarget_batch};
use crate::detect::Detection;
use crate::onnx::encode_model;
use crate::onnx::proto::{ModelProto, tensor_shape_proto::dimension::Value as Dim, type_proto};
use crate::profile::{ImageTransform, Profile};
use crate::runtime::{SessionConfig, run_f32, session_from_bytes};

use super::EvalImages;

/// The detections of `model` on every image (in image order), above `score_threshold`.
///
/// A model with a dynamic batch runs the images' batches as they are. A model exported for a
/// fixed batch size runs re-targeted to a dynamic batch only where that gives the same outputs
/// as the file itself (checked on the first image): re-targeting guesses which literal 1s in a
/// batch-1 graph are the batch, and a wrong guess (a `[1, -1]` grid reshape, say) would score
/// a different model. Otherwise it runs at its own batch size, the last batch padded.
pub fn detect_images(
    model: &ModelProto,
    profile: &Profile,
    images: &EvalImages,
    score_threshold: f32,
    session: &SessionConfig,
) -> Result<Vec<Vec<Detection>>> {
    let input = profile.input_name(model)?;
    let mut detections = Vec::with_capacity(images.files().len());
    let mut decode =
        |outputs: &HashMap<String, ArrayD<f32>>, transforms: &[ImageTransform]| -> Result<()> {
            let views = outputs
                .iter()
                .map(|(name, value)| (name.clone(), value.view()))
                .collect();
            for (i, transform) in transforms.iter().enumerate() {
                detections.push(profile.decode(&views, i, transform, score_threshold)?);
            }
            Ok(())
        };
    let batches = images.batches();
    let fixed = fixed_batch_size(model, &input);
    let runs_as_is = fixed.is_none_or(|n| batches.iter().all(|(b, _)| b.len_of(Axis(0)) == n));
    let mut own = session_from_bytes(&encode_model(model), session)?;
    if runs_as_is {
        for (batch, transforms) in batches {
            decode(
                &run_f32(&mut own, &input, batch.view().into_dyn(), &[])?,
                transforms,
            )?;
        }
        return Ok(detections);
    }
    let fixed = fixed.unwrap_or(1);
    let dynamic = retarget_batch(model, BatchSize::Dynamic)?;
    let mut retargeted = session_from_bytes(&encode_model(&dynamic), session)?;
    let Some((first, first_transforms)) = batches.first() else {
        return Ok(detections);
    };
    let first_outputs = run_f32(&mut retargeted, &input, first.view().into_dyn(), &[])?;
    let reference = run_padded(
        &mut own,
        &input,
        &first.slice_axis(Axis(0), Slice::from(..1)),
        fixed,
    )?;
    if same_first_image(&first_outputs, &reference) {
        decode(&first_outputs, first_transforms)?;
        for (batch, transforms) in &batches[1..] {
            let outputs = run_f32(&mut retargeted, &input, batch.view().into_dyn(), &[])?;
            decode(&outputs, transforms)?;
        }
        return Ok(detections);
    }
    for (batch, transforms) in batches {
        for (start, chunk) in transforms.chunks(fixed).enumerate() {
            let from = start * fixed;
            let images = batch.slice_axis(Axis(0), Slice::from(from..from + chunk.len()));
            decode(&run_padded(&mut own, &input, &images, fixed)?, chunk)?;
        }
    }
    Ok(detections)
}

/// The input's batch size where the model fixes it.
fn fixed_batch_size(model: &ModelProto, input: &str) -> Option<usize> {
    let value = model
        .graph
        .as_ref()?
        .input
        .iter()
        .find(|v| v.name.as_deref() == Some(input))?;
    let type_proto::Value::TensorType(tensor) = value.r#type.as_ref()?.value.as_ref()? else {
        return None;
    };
    match tensor.shape.as_ref()?.dim.first()?.value {
        Some(Dim::DimValue(n)) if n > 0 => usize::try_from(n).ok(),
        _ => None,
    }
}

/// The outputs for `images` (at most `batch` of them) run as one batch of exactly `batch`,
/// zero-padded.
fn run_padded(
    session: &mut Session,
    input: &str,
    images: &ndarray::ArrayView4<'_, f32>,
    batch: usize,
) -> Result<HashMap<String, ArrayD<f32>>> {
    let (count, channels, height, width) = images.dim();
    if count == batch {
        return run_f32(session, input, images.view().into_dyn(), &[]);
    }
    let mut padded = Array4::<f32>::zeros((batch, channels, height, width));
    padded
        .slice_axis_mut(Axis(0), Slice::from(..count))
        .assign(images);
    run_f32(session, input, padded.view().into_dyn(), &[])
}

/// Whether the first image's outputs agree, every output, to float rounding.
fn same_first_image(
    candidate: &HashMap<String, ArrayD<f32>>,
    reference: &HashMap<String, ArrayD<f32>>,
) -> bool {
    reference.len() == candidate.len()
        && reference.iter().all(|(name, want)| {
            let Some(got) = candidate.get(name) else {
                return false;
            };
            if want.ndim() == 0 || got.ndim() != want.ndim() {
                return false;
            }
            let (want, got) = (want.index_axis(Axis(0), 0), got.index_axis(Axis(0), 0));
            if want.shape() != got.shape() {
                return false;
            }
            let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            want.iter()
                .zip(got.iter())
                .all(|(a, b)| (a - b).abs() <= 1e-3 * scale)
        })
}
