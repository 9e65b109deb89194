//! The engine on the real demo detector through the real ONNX Runtime.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ndarray::{Array4, ArrayD, Axis};
use qbound_engine::batch::{BatchSize, retarget_batch};
use qbound_engine::calibrate::{Calibration, TensorRange};
use qbound_engine::onnx::{SaveOptions, encode_model, load_model, save_model};
use qbound_engine::quantize::{
    GroupSelection, Target, calibration_tensors, model_layers, quantize_model,
};
use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};

fn demo_model_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/nanodet-coco-416.onnx")
}

const INPUT: &str = "input_1:0";

/// A deterministic pseudo-image batch in the demo model's normalised input range.
fn pseudo_images(batch: usize) -> Array4<f32> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    Array4::from_shape_simple_fn((batch, 3, 416, 416), || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
    })
}

fn run(
    model: &qbound_engine::onnx::proto::ModelProto,
    input: &Array4<f32>,
) -> HashMap<String, ArrayD<f32>> {
    let mut session = session_from_bytes(&encode_model(model), &SessionConfig::default()).unwrap();
    run_f32(&mut session, INPUT, input.view().into_dyn(), &[]).unwrap()
}

fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn an_unchanged_model_re_encodes_byte_for_byte() {
    let bytes = std::fs::read(demo_model_path()).unwrap();
    let model = load_model(&demo_model_path()).unwrap();
    assert!(encode_model(&model) == bytes, "re-encoded bytes differ");
}

#[test]
fn external_data_models_load_save_and_run() {
    let model = load_model(&demo_model_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("external.onnx");
    save_model(
        &model,
        &path,
        &SaveOptions {
            external_data_threshold: Some(1024),
        },
    )
    .unwrap();
    assert!(
        std::fs::metadata(&path).unwrap().len() < 1_000_000,
        "weights moved out of the model file"
    );
    assert!(dir.path().join("external.onnx.data").is_file());
    let reloaded = load_model(&path).unwrap();
    assert!(
        encode_model(&reloaded) == encode_model(&model),
        "the reloaded model differs"
    );
}

#[test]
fn the_demo_model_has_34_layers() {
    let layers = model_layers(&load_model(&demo_model_path()).unwrap()).unwrap();
    assert_eq!(layers.len(), 34);
    assert!(layers.iter().all(|l| l.op == "Conv"));
    assert_eq!(layers[0].name, "Conv__145");
    let names: HashSet<_> = layers.iter().map(|l| &l.name).collect();
    assert_eq!(names.len(), 34, "names are unique");
}

#[test]
fn batch_32_gives_each_image_the_outputs_of_batch_1() {
    let model = load_model(&demo_model_path()).unwrap();
    let images = pseudo_images(3);
    let single: Vec<_> = (0..3)
        .map(|i| {
            run(
                &model,
                &images.slice_axis(Axis(0), (i..i + 1).into()).to_owned(),
            )
        })
        .collect();
    for batch in [BatchSize::Fixed(3), BatchSize::Dynamic] {
        let retargeted = retarget_batch(&model, batch).unwrap();
        let outputs = run(&retargeted, &images);
        for (name, value) in &outputs {
            assert_eq!(value.shape()[0], 3, "{name} at {batch}");
            for (i, one) in single.iter().enumerate() {
                let slice = value
                    .index_axis(Axis(0), i)
                    .insert_axis(Axis(0))
                    .to_owned()
                    .into_dyn();
                assert!(
                    max_abs_diff(&slice, &one[name]) < 1e-4,
                    "{name} image {i} at {batch}"
                );
            }
        }
    }
}

#[test]
fn quantized_models_run_and_stay_close_to_float() {
    let model = load_model(&demo_model_path()).unwrap();
    let layers = model_layers(&model).unwrap();
    let graph = model.graph.as_ref().unwrap();
    let index = qbound_engine::graph::GraphIndex::new(graph).unwrap();
    let tensors = calibration_tensors(&index, &layers);
    // Ranges measured by running the float model with the tensors exposed.
    let mut exposed = model.clone();
    for name in &tensors {
        exposed
            .graph
            .as_mut()
            .unwrap()
            .output
            .push(qbound_engine::onnx::proto::ValueInfoProto {
                name: Some(name.clone()),
                ..Default::default()
            });
    }
    let images = pseudo_images(1);
    let outputs = run(&exposed, &images);
    let ranges: Calibration = tensors
        .iter()
        .map(|t| {
            let (low, high) = outputs[t]
                .iter()
                .fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let range = TensorRange {
                lowest: low,
                highest: high,
                ..TensorRange::symmetric(high.max(-low))
            };
            (t.clone(), range)
        })
        .collect();
    let float = run(&model, &images);
    for target in [Target::TensorRt, Target::OrtCpu] {
        let (quantized, report) =
            quantize_model(&model, GroupSelection::All, &ranges, target).unwrap();
        assert_eq!(report.quantized_layers.len(), 34);
        let out = run(&quantized, &images);
        let scores = &out["Identity:0"];
        let diff = max_abs_diff(scores, &float["Identity:0"]);
        assert!(
            diff > 0.0 && diff < 0.25,
            "{target}: max score difference {diff}"
        );
        assert_eq!(scores.shape(), float["Identity:0"].shape());
    }
}
