//! The pre-quantization cleanup and cross-layer equalization change how each fixture
//! computes, never what: the cleaned (and the equalized) float model's outputs match the
//! original's through ONNX Runtime within 1e-4 of their scale.

#![allow(clippy::unwrap_used)]

mod common;

use qbound_engine::cleanup::{CleanupReport, equalize_cross_layer, prepare_for_quantization};
use qbound_engine::images::list_images;
use qbound_engine::onnx::{encode_model, load_model};
use qbound_engine::profile::infer_profile;
use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};

use common::fixture;

/// Checks the cleaned `model`'s outputs on the first of `images` against the original's, and
/// the equalized model's; returns what the cleanup reported and how many pairs equalized.
fn assert_cleanup_keeps_outputs(model: &str, images: &str) -> (CleanupReport, usize) {
    let model = load_model(&fixture(model)).unwrap();
    let profile = infer_profile(&model).unwrap();
    let input = profile.input_name(&model).unwrap();
    let files: Vec<_> = list_images(&fixture(images))
        .unwrap()
        .into_iter()
        .take(1)
        .collect();
    let batch = profile.input_batches(&files, 1).next().unwrap().unwrap();
    let (cleaned, report) = prepare_for_quantization(&model).unwrap();
    let mut equalized = cleaned.clone();
    let pairs = equalize_cross_layer(&mut equalized).unwrap();
    assert_eq!(
        pairs > 0,
        equalized != cleaned,
        "equalizing {pairs} pairs changed the model: {}",
        equalized != cleaned
    );
    let outputs: Vec<String> = model
        .graph
        .as_ref()
        .unwrap()
        .output
        .iter()
        .map(|o| o.name.clone().unwrap())
        .collect();
    let run = |model| {
        let mut session =
            session_from_bytes(&encode_model(model), &SessionConfig::default()).unwrap();
        run_f32(&mut session, &input, batch.view(), &outputs).unwrap()
    };
    let before = run(&model);
    for (what, after) in [("cleaned", run(&cleaned)), ("equalized", run(&equalized))] {
        for name in &outputs {
            let (a, b) = (&before[name], &after[name]);
            assert_eq!(a.shape(), b.shape(), "{what} {name}");
            let scale = a.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            let worst = a
                .iter()
                .zip(b.iter())
                .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
            assert!(
                worst <= 1e-4 * scale,
                "{what} {name}: differs by {worst} (scale {scale})"
            );
        }
    }
    (report, pairs)
}

#[test]
fn the_nanodet_computes_the_same_after_cleanup_and_equalization() {
    let (_, pairs) =
        assert_cleanup_keeps_outputs("data/nanodet-coco-416.onnx", "data/images/calib");
    assert!(pairs >= 3, "{pairs} Conv-LeakyRelu-Conv pairs equalized");
}

#[test]
fn the_yolov8n_computes_the_same_with_its_dfl_softmax_moved_and_its_conv_as_a_matmul() {
    let (report, _) =
        assert_cleanup_keeps_outputs("data/models/yolov8n-320.onnx", "data/images/calib");
    assert_eq!(report.last_axis_softmaxes, 1);
}

#[test]
fn the_picodet_computes_the_same_with_its_batch_norms_folded_and_equalized() {
    let (report, pairs) =
        assert_cleanup_keeps_outputs("data/models/picodet-layout-cdla.onnx", "data/pages/calib");
    assert!(report.folded_batch_norms > 0);
    assert!(pairs > 0, "no Conv pair equalized");
}
