//! FP16 conversion of the real demo detector, run in ONNX Runtime's CPU provider against
//! the float32 model on real images.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::{Array4, ArrayD};
use qbound_engine::batch::{BatchSize, retarget_batch};
use qbound_engine::fp16::{Fp16Options, convert_to_fp16};
use qbound_engine::images::list_images;
use qbound_engine::onnx::proto::{ModelProto, tensor_proto::DataType};
use qbound_engine::onnx::{encode_model, load_model};
use qbound_engine::profile::Profile;
use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};

/// The largest difference allowed between FP16 and FP32 class scores (sigmoid outputs in
/// [0, 1]) and box distribution logits.
const SCORE_TOLERANCE: f32 = 0.01;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn run(model: &ModelProto, input_name: &str, batch: &Array4<f32>) -> HashMap<String, ArrayD<f32>> {
    let mut session = session_from_bytes(&encode_model(model), &SessionConfig::default()).unwrap();
    run_f32(&mut session, input_name, batch.view().into_dyn(), &[]).unwrap()
}

fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn the_fp16_demo_model_runs_and_stays_within_tolerance_of_fp32() {
    let model = load_model(&data().join("nanodet-coco-416.onnx")).unwrap();
    let model = retarget_batch(&model, BatchSize::Fixed(4)).unwrap();
    let profile = Profile::by_name_or_file("nanodet").unwrap();
    let input_name = profile.input_name(&model).unwrap();
    let images = list_images(&data().join("images/val")).unwrap();
    let (batch, _) = profile.load_batch(&images[..4]).unwrap();

    let half = convert_to_fp16(&model, &Fp16Options::default()).unwrap();
    let graph = half.graph.as_ref().unwrap();
    let half_weights = graph
        .initializer
        .iter()
        .filter(|t| t.data_type == Some(DataType::Float16 as i32))
        .count();
    assert!(
        half_weights > 50,
        "only {half_weights} float16 initializers"
    );
    assert!(encode_model(&half).len() < encode_model(&model).len() * 6 / 10);

    let single = run(&model, &input_name, &batch);
    let double = run(&half, &input_name, &batch);
    assert_eq!(single.len(), double.len());
    for (name, reference) in &single {
        let diff = max_abs_diff(reference, &double[name]);
        eprintln!(
            "output `{name}` {:?}: max |fp16 - fp32| = {diff:.5}",
            reference.shape()
        );
        assert!(diff < SCORE_TOLERANCE, "`{name}` differs by {diff}");
    }
}

#[test]
fn float16_io_is_kept_float32_by_default_and_changed_on_request() {
    let model = load_model(&data().join("nanodet-coco-416.onnx")).unwrap();
    let elem_types = |m: &ModelProto| {
        let g = m.graph.as_ref().unwrap();
        g.input
            .iter()
            .chain(&g.output)
            .map(
                |v| match v.r#type.as_ref().unwrap().value.as_ref().unwrap() {
                    qbound_engine::onnx::proto::type_proto::Value::TensorType(t) => {
                        t.elem_type.unwrap()
                    }
                    _ => 0,
                },
            )
            .collect::<Vec<_>>()
    };
    let kept = convert_to_fp16(&model, &Fp16Options::default()).unwrap();
    assert!(
        elem_types(&kept)
            .iter()
            .all(|&e| e == DataType::Float as i32)
    );
    let options = Fp16Options {
        keep_io_types: false,
        ..Fp16Options::default()
    };
    let changed = convert_to_fp16(&model, &options).unwrap();
    assert!(
        elem_types(&changed)
            .iter()
            .all(|&e| e == DataType::Float16 as i32)
    );
    session_from_bytes(&encode_model(&changed), &SessionConfig::default()).unwrap();
}
