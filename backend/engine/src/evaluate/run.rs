//! Running a detector over evaluation images and decoding its detections.

use crate::Result;
use crate::batch::{BatchSize, retarget_batch};
use crate::detect::Detection;
use crate::onnx::encode_model;
use crate::onnx::proto::ModelProto;
use crate::profile::Profile;
use crate::runtime::{SessionConfig, run_f32, session_from_bytes};

use super::EvalImages;

/// The detections of `model` on every image (in image order), above `score_threshold`.
pub fn detect_images(
    model: &ModelProto,
    profile: &Profile,
    images: &EvalImages,
    score_threshold: f32,
    session: &SessionConfig,
) -> Result<Vec<Vec<Detection>>> {
    let dynamic = retarget_batch(model, BatchSize::Dynamic)?;
    let input = profile.input_name(&dynamic)?;
    let mut session = session_from_bytes(&encode_model(&dynamic), session)?;
    let mut detections = Vec::with_capacity(images.files().len());
    for (batch, transforms) in images.batches() {
        let outputs = run_f32(&mut session, &input, batch.view().into_dyn(), &[])?;
        let views = outputs
            .iter()
            .map(|(name, value)| (name.clone(), value.view()))
            .collect();
        for (i, transform) in transforms.iter().enumerate() {
            detections.push(profile.decode(&views, i, transform, score_threshold)?);
        }
    }
    Ok(detections)
}
