//! Max-calibrated activation ranges of a fixture family, for the tests that quantize one.

use std::path::PathBuf;

use qbound_engine::calibrate::{Calibration, CalibrationMethod, calibrate_model};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::infer_profile;

use crate::common::fixture;

/// The fixture `model` and its ranges by max calibration on the first `count` of `images`.
pub(crate) fn max_calibrated(model: &str, images: &str, count: usize) -> (ModelProto, Calibration) {
    let model = load_model(&fixture(model)).unwrap();
    let profile = infer_profile(&model).unwrap();
    let files: Vec<PathBuf> = list_images(&fixture(images))
        .unwrap()
        .into_iter()
        .take(count)
        .collect();
    let input = profile.input_name(&model).unwrap();
    let table = calibrate_model(
        &model,
        &input,
        profile.input_batches(&files, 2),
        CalibrationMethod::Max,
        "test",
        &mut |_| {},
    )
    .unwrap();
    (model, table.calibration())
}
