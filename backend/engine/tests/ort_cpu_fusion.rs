//! What ONNX Runtime's CPU provider really runs in INT8 for qbound's full-INT8 `ort-cpu`
//! models of every fixture family: its optimized graph, saved and counted. Every body op that
//! has a quantized kernel must have become a `QLinear*` node (or lost its Q/DQ); what stays
//! float is the decode tail and the ops ONNX Runtime has no INT8 kernel for.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ranges.rs"]
mod ranges;

use std::collections::BTreeMap;

use common::fixture;
use qbound_engine::cleanup::prepare_for_quantization;
use qbound_engine::onnx::{attr_i64, encode_model, load_model};
use qbound_engine::quantize::{GroupSelection, Target, decode_tail_ops, quantize_model};
use qbound_engine::runtime::write_cpu_optimized_model;
use ranges::max_calibrated;

/// Op type -> count in the graph ONNX Runtime runs for the full-INT8 `ort-cpu` model.
/// The op counts of ONNX Runtime's optimized graph of the full-INT8 `ort-cpu` model, the
/// decode tail's ops, and the `axis` of every Softmax ONNX Runtime runs.
fn runtime_ops(model: &str, images: &str) -> (BTreeMap<String, usize>, Vec<String>, Vec<i64>) {
    let (model, ranges) = max_calibrated(model, images, 4);
    let (int8, _) = quantize_model(&model, GroupSelection::All, &ranges, Target::OrtCpu).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optimized.onnx");
    write_cpu_optimized_model(&encode_model(&int8), &path).unwrap();
    let optimized = load_model(&path).unwrap();
    let mut ops = BTreeMap::new();
    let mut softmax_axes = Vec::new();
    for node in &optimized.graph.unwrap().node {
        *ops.entry(node.op_type.clone().unwrap_or_default())
            .or_insert(0) += 1;
        if node.op_type.as_deref() == Some("Softmax") {
            softmax_axes.push(attr_i64(node, "axis").unwrap().unwrap_or(-1));
        }
    }
    (ops, decode_tail_ops(&model).unwrap(), softmax_axes)
}

fn count(ops: &BTreeMap<String, usize>, op: &str) -> usize {
    ops.get(op).copied().unwrap_or(0)
}

fn tail_count(tail: &[String], op: &str) -> usize {
    tail.iter().filter(|o| *o == op).count()
}

#[test]
fn the_nanodet_runs_every_conv_activation_concat_and_add_in_int8() {
    let (ops, tail, _) = runtime_ops("data/nanodet-coco-416.onnx", "data/images/calib");
    assert_eq!(count(&ops, "QLinearConv"), 34, "{ops:?}");
    assert_eq!(count(&ops, "QLinearLeakyRelu"), 28, "{ops:?}");
    assert_eq!(count(&ops, "QLinearConcat"), 12, "{ops:?}");
    assert_eq!(count(&ops, "QLinearAdd"), 4, "{ops:?}");
    for float in ["Conv", "LeakyRelu", "Add", "Concat", "MaxPool"] {
        assert_eq!(count(&ops, float), 0, "`{float}` runs float: {ops:?}");
    }
    // The class scores' Sigmoid is the decode tail, and stays float.
    assert_eq!(count(&ops, "Sigmoid"), tail_count(&tail, "Sigmoid"));
    assert_eq!(tail_count(&tail, "Sigmoid"), 3, "{tail:?}");
}

#[test]
fn the_yolov8n_runs_its_silu_blocks_in_int8_and_its_decode_in_float() {
    let (ops, tail, softmax_axes) =
        runtime_ops("data/models/yolov8n-320.onnx", "data/images/calib");
    // 64 convolutions; the DFL decode's, a 1x1 mix of the Softmax's bins, runs as a float
    // MatMul of the tail.
    assert_eq!(count(&ops, "QLinearConv"), 63, "{ops:?}");
    assert_eq!(count(&ops, "Conv"), 0, "{ops:?}");
    assert_eq!(count(&ops, "MatMul"), 1, "{ops:?}");
    assert_eq!(tail_count(&tail, "MatMul"), 1, "{tail:?}");
    // 57 SiLU (Sigmoid·Mul) in the body; the class Sigmoid is tail.
    assert_eq!(count(&ops, "QLinearSigmoid"), 57, "{ops:?}");
    assert_eq!(count(&ops, "QLinearMul"), 57, "{ops:?}");
    assert_eq!(count(&ops, "Sigmoid"), 1, "{ops:?}");
    // Every Add and Concat outside the tail runs in INT8.
    assert_eq!(count(&ops, "Add"), tail_count(&tail, "Add"), "{ops:?}");
    assert!(
        count(&ops, "Concat") <= tail_count(&tail, "Concat"),
        "{ops:?}"
    );
    // So do the tail's Concats of raw head outputs (each level's box and class logits, and
    // the levels joined) before any decoding arithmetic: 13 in the body, 4 in the tail.
    assert_eq!(count(&ops, "QLinearConcat"), 17, "{ops:?}");
    assert_eq!(count(&ops, "Softmax"), 1, "{ops:?}");
    // The DFL Softmax over the bins' inner axis runs over the last axis of a matrix, and
    // ONNX Runtime's optimizer keeps it there.
    let model = load_model(&fixture("data/models/yolov8n-320.onnx")).unwrap();
    let (_, cleanup) = prepare_for_quantization(&model).unwrap();
    assert_eq!(cleanup.last_axis_softmaxes, 1);
    assert!(
        softmax_axes.iter().all(|axis| [-1, 1].contains(axis)),
        "{softmax_axes:?}"
    );
}

#[test]
fn the_picodet_folds_its_batch_norms_and_runs_hardswish_in_int8() {
    let (ops, _, _) = runtime_ops("data/models/picodet-layout-cdla.onnx", "data/pages/calib");
    assert_eq!(count(&ops, "BatchNormalization"), 0, "{ops:?}");
    assert_eq!(count(&ops, "QLinearConv"), 102, "{ops:?}");
    assert_eq!(count(&ops, "Conv"), 0, "{ops:?}");
    // HardSwish is Add·Clip·Mul·Mul (the division by 6 became a multiplication): the Adds and
    // Muls run quantized, and the Clips fold into the quantizers after them.
    assert_eq!(count(&ops, "Clip"), 0, "{ops:?}");
    assert_eq!(count(&ops, "Div"), 0, "{ops:?}");
    assert!(count(&ops, "QLinearMul") >= 2 * 94, "{ops:?}");
    assert!(count(&ops, "QLinearAdd") >= 94, "{ops:?}");
}
