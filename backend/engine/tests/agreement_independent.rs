//! qbound's agreement mAP against an independent computation, on every fixture family: the
//! float model and a full-INT8 model exported at batch 1 run through ONNX Runtime, and
//! `tests/agreement/independent_agreement.py` decodes their raw outputs with its own numpy
//! code and scores them with pycocotools (the checker venv of scripts/setup-python.sh).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture;
use ndarray::{ArrayD, Axis};
use qbound_engine::batch::{BatchSize, retarget_batch};
use qbound_engine::calibrate::{CalibrationMethod, calibrate_model};
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::images::list_images;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::onnx::{encode_model, load_model};
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, Target, quantize_model};
use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Full INT8 with TensorRT's placement, calibrated on `files` (99.99th percentile). The one call into the
/// quantizer, whose API is changing.
fn full_int8(model: &ModelProto, profile: &Profile, files: &[PathBuf]) -> ModelProto {
    let input = profile.input_name(model).unwrap();
    let table = calibrate_model(
        model,
        &input,
        profile.input_batches(files, 4),
        CalibrationMethod::Percentile(99.99),
        "test",
        &mut |_| {},
    )
    .unwrap();
    quantize_model(
        model,
        GroupSelection::All,
        &table.calibration(),
        Target::TensorRt,
    )
    .unwrap()
    .0
}

/// Writes `array` as a little-endian float32 `.npy` file (format version 1.0).
fn write_npy(path: &Path, array: &ArrayD<f32>) {
    let shape: String = array.shape().iter().map(|d| format!("{d}, ")).collect();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({shape}), }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for value in array.iter() {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// Runs `model` on each image alone and writes every output, the images stacked on axis 0,
/// as `{prefix}_{k}.npy`; returns `[name, path]` pairs in the model's output order.
fn raw_outputs(
    model: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    dir: &Path,
    prefix: &str,
) -> Vec<(String, PathBuf)> {
    let input = profile.input_name(model).unwrap();
    let mut session = session_from_bytes(&encode_model(model), &SessionConfig::default()).unwrap();
    let names: Vec<String> = model
        .graph
        .as_ref()
        .unwrap()
        .output
        .iter()
        .map(|o| o.name.clone().unwrap())
        .collect();
    let mut per_output: Vec<Vec<ArrayD<f32>>> = vec![Vec::new(); names.len()];
    for file in files {
        let (batch, _) = profile.load_batch(std::slice::from_ref(file)).unwrap();
        let outputs = run_f32(&mut session, &input, batch.view().into_dyn(), &[]).unwrap();
        for (name, stacked) in names.iter().zip(&mut per_output) {
            stacked.push(outputs[name].clone());
        }
    }
    names
        .into_iter()
        .zip(per_output)
        .enumerate()
        .map(|(k, (name, arrays))| {
            let views: Vec<_> = arrays.iter().map(|a| a.view()).collect();
            let stacked = ndarray::concatenate(Axis(0), &views).unwrap();
            let path = dir.join(format!("{prefix}_{k}.npy"));
            write_npy(&path, &stacked);
            (name, path)
        })
        .collect()
}

/// The independent script's `(mAP@0.5:0.95, mAP@0.5, label count)` for `candidate` against
/// `reference`'s detections.
fn independent_agreement(
    fixture_name: &str,
    files: &[PathBuf],
    reference: &[(String, PathBuf)],
    candidate: &[(String, PathBuf)],
    dir: &Path,
) -> (f64, f64, u64) {
    let manifest = serde_json::json!({
        "fixture": fixture_name,
        "images": files,
        "models": {"reference": reference, "candidate": candidate},
    });
    let manifest_path = dir.join(format!(
        "manifest_{}.json",
        candidate[0].1.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let python = fixture(".tools/pyenv/bin/python");
    let output = Command::new(python)
        .arg(root().join("backend/engine/tests/agreement/independent_agreement.py"))
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "independent_agreement.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    (
        result["agreement"].as_f64().unwrap(),
        result["agreement50"].as_f64().unwrap(),
        result["labels"].as_u64().unwrap(),
    )
}

/// Checks qbound's agreement of the float model with itself (1) and of its full-INT8 batch-1
/// export against the independent figure, and that the INT8 model really differs.
fn agreement_matches_the_independent_check(
    fixture_name: &str,
    model: &str,
    calib: &str,
    val: &str,
    expected_profile: &str,
) {
    let model = load_model(&fixture(model)).unwrap();
    let profile = Profile::for_model(None, &model).unwrap();
    assert_eq!(profile.name, expected_profile);
    let calib_files = list_images(&fixture(calib)).unwrap();
    let int8 = full_int8(&model, &profile, &calib_files[..8]);
    let int8_bs1 = retarget_batch(&int8, BatchSize::Fixed(1)).unwrap();
    let files = list_images(&fixture(val)).unwrap();
    let images = EvalImages::load(&profile, &files, 8).unwrap();
    let scorer =
        DetectionScorer::agreement(&model, profile.clone(), images, SessionConfig::default())
            .unwrap();
    let float_self = scorer.summary(&model).unwrap();
    let qbound = scorer.summary(&int8_bs1).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let reference = raw_outputs(&model, &profile, &files, dir.path(), "float");
    let candidate = raw_outputs(&int8_bs1, &profile, &files, dir.path(), "int8");
    let (independent_self, _, labels) =
        independent_agreement(fixture_name, &files, &reference, &reference, dir.path());
    let (independent, independent50, _) =
        independent_agreement(fixture_name, &files, &reference, &candidate, dir.path());
    eprintln!(
        "{fixture_name}: {labels} labels on {} images; agreement of full INT8 (bs1): qbound {:.4} / {:.4} (mAP / mAP50), independent {independent:.4} / {independent50:.4}",
        files.len(),
        qbound.map(),
        qbound.map50()
    );
    assert!(
        labels >= 10,
        "{fixture_name}: only {labels} confident float detections"
    );
    assert!(
        (float_self.map() - 1.0).abs() < 1e-9,
        "{fixture_name}: float self-agreement {}",
        float_self.map()
    );
    assert!(
        (independent_self - 1.0).abs() < 1e-9,
        "{fixture_name}: independent self-agreement {independent_self}"
    );
    assert!(
        independent > 0.3 && independent < 0.995,
        "{fixture_name}: the INT8 model should differ from the float one, but not wholly: {independent}"
    );
    assert!(
        (qbound.map() - independent).abs() <= 0.02,
        "{fixture_name}: qbound says {:.4}, the independent check {independent:.4}",
        qbound.map()
    );
    assert!(
        (qbound.map50() - independent50).abs() <= 0.02,
        "{fixture_name}: qbound mAP50 {:.4}, independent {independent50:.4}",
        qbound.map50()
    );
}

#[test]
fn nanodet_agreement_matches_the_independent_check() {
    agreement_matches_the_independent_check(
        "nanodet",
        "data/nanodet-coco-416.onnx",
        "data/images/calib",
        "data/images/val",
        "nanodet",
    );
}

#[test]
fn yolov8n_agreement_matches_the_independent_check() {
    agreement_matches_the_independent_check(
        "yolov8n",
        "data/models/yolov8n-320.onnx",
        "data/images/calib",
        "data/images/val",
        "yolov8",
    );
}

#[test]
fn picodet_agreement_matches_the_independent_check() {
    agreement_matches_the_independent_check(
        "picodet",
        "data/models/picodet-layout-cdla.onnx",
        "data/pages/calib",
        "data/pages/val",
        "picodet",
    );
}
