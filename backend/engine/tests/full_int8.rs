//! The full-INT8 demo model for both targets: valid ONNX by the reference checker, one INT8
//! weight DequantizeLinear per layer, runs in ONNX Runtime at batch 1 and 32.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use qbound_engine::batch::{BatchSize, retarget_batch};
use qbound_engine::calibrate::{CalibrationMethod, calibrate_model};
use qbound_engine::images::list_images;
use qbound_engine::onnx::{DataType, SaveOptions, encode_model, load_model, save_model};
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, Target, quantize_model};
use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `onnx.checker.check_model(path, full_check=True)` in the environment of
/// scripts/setup-python.sh.
fn onnx_checker(path: &Path) {
    let python = root().join(".tools/pyenv/bin/python");
    assert!(
        python.is_file(),
        "run scripts/setup-python.sh first (the onnx checker is missing)"
    );
    let output = Command::new(python)
        .args([
            "-c",
            "import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True)",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "onnx checker: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn full_int8_models_pass_the_onnx_checker_and_run_at_batch_1_and_32() {
    let model = load_model(&root().join("data/nanodet-coco-416.onnx")).unwrap();
    let profile = Profile::by_name_or_file("nanodet").unwrap();
    let files = list_images(&root().join("data/images/calib")).unwrap();
    let input = profile.input_name(&model).unwrap();
    let batches = profile.input_batches(&files[..4], 4);
    let table = calibrate_model(
        &model,
        &input,
        batches,
        CalibrationMethod::Entropy,
        "demo",
        &mut |_| {},
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for target in [Target::TensorRt, Target::OrtCpu] {
        let (quantized, report) =
            quantize_model(&model, GroupSelection::All, &table.calibration(), target).unwrap();
        assert_eq!(report.quantized_layers.len(), 34);
        let graph = quantized.graph.as_ref().unwrap();
        let int8: std::collections::HashSet<&str> = graph
            .initializer
            .iter()
            .filter(|t| t.data_type == Some(DataType::Int8 as i32) && !t.dims.is_empty())
            .filter_map(|t| t.name.as_deref())
            .collect();
        let weight_dq = graph
            .node
            .iter()
            .filter(|n| {
                n.op_type.as_deref() == Some("DequantizeLinear")
                    && int8.contains(n.input[0].as_str())
            })
            .count();
        assert_eq!(
            weight_dq, 34,
            "{target}: one INT8 weight DequantizeLinear per layer"
        );
        for batch in [1usize, 32] {
            let exported = retarget_batch(&quantized, BatchSize::Fixed(batch as i64)).unwrap();
            let path = dir
                .path()
                .join(format!("nanodet_int8_{target}_bs{batch}.onnx"));
            save_model(&exported, &path, &SaveOptions::default()).unwrap();
            onnx_checker(&path);
            let mut session =
                session_from_bytes(&encode_model(&exported), &SessionConfig::default()).unwrap();
            let images = ndarray::Array4::<f32>::zeros((batch, 3, 416, 416)).into_dyn();
            let outputs = run_f32(&mut session, &input, images.view(), &[]).unwrap();
            assert!(outputs.values().all(|o| o.shape()[0] == batch));
        }
    }
}
