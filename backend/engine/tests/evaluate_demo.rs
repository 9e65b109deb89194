//! Detection accuracy of the demo detector on the demo photos.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::profile::Profile;
use qbound_engine::runtime::SessionConfig;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

#[test]
fn the_float_model_agrees_with_itself_perfectly() {
    let model = load_model(&data().join("nanodet-coco-416.onnx")).unwrap();
    let profile = Profile::by_name_or_file("nanodet").unwrap();
    let files = list_images(&data().join("images/val")).unwrap();
    let images = EvalImages::load(&profile, &files[..16], 8).unwrap();
    let scorer =
        DetectionScorer::agreement(&model, profile, images, SessionConfig::default()).unwrap();
    assert!(
        scorer.ground_truth().annotations().len() > 10,
        "the photos hold objects the model finds"
    );
    let summary = scorer.summary(&model).unwrap();
    assert_eq!(summary.map(), 1.0);
    assert_eq!(summary.map50(), 1.0);
}
