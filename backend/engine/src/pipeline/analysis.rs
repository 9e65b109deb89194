//! Where the INT8 error of a model's full-INT8 version enters, on a few images.

use ndarray::ArrayD;

use crate::Result;
use crate::analyze::{ErrorAnalysis, analyze_errors};
use crate::calibrate::Calibration;
use crate::onnx::proto::ModelProto;
use crate::profile::Profile;
use crate::quantize::Target;

/// Images an analysis reads at most: per-tensor errors settle within a few.
pub const ANALYSIS_IMAGES: usize = 8;

/// Of those, the images that also measure each quantizer's output error alone: one run per
/// quantizer an image, so few.
pub const OUTPUT_ERROR_IMAGES: usize = 2;

/// The per-tensor error analysis of `model` quantized in full for `target` with
/// `calibration`, on `batches` (images fed as `profile` says, perhaps with a stop check
/// around them), the first `output_images` also measuring each quantizer's output error
/// alone; `on_image` hears the images done.
pub fn analyze_images(
    model: &ModelProto,
    profile: &Profile,
    calibration: &Calibration,
    target: Target,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    output_images: usize,
    on_image: &mut dyn FnMut(usize),
) -> Result<ErrorAnalysis> {
    let input = profile.input_name(model)?;
    let batches = batches.collect::<Result<Vec<_>>>()?;
    analyze_errors(
        model,
        calibration,
        &input,
        &batches,
        target,
        output_images,
        on_image,
    )
}
