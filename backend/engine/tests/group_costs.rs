//! The per-group speed cost table of every fixture family: ONNX Runtime's profile of the float
//! and the full-INT8 `ort-cpu` model, each node traced back to its quantizer group.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ranges.rs"]
mod ranges;

use qbound_engine::quantize::{Target, model_groups};
use qbound_engine::sensitivity::GroupCosts;
use ranges::max_calibrated;

/// The cost table and the groups, with whether each holds a convolution or a matrix product.
fn costs(model: &str, images: &str) -> (GroupCosts, Vec<(String, bool)>) {
    let (model, ranges) = max_calibrated(model, images, 2);
    let costs = GroupCosts::measure(&model, &ranges, Target::OrtCpu).unwrap();
    let groups = model_groups(&model, Target::OrtCpu)
        .unwrap()
        .into_iter()
        .map(|g| {
            let multiplies = g
                .ops
                .iter()
                .any(|op| matches!(op.as_str(), "Conv" | "MatMul" | "Gemm"));
            (g.name, multiplies)
        })
        .collect();
    (costs, groups)
}

fn assert_every_group_costed_and_most_time_attributed(model: &str, images: &str) {
    let (costs, groups) = costs(model, images);
    eprintln!(
        "{model}: float {:.2} ms, int8 {:.2} ms, attributed {:.2}",
        costs.float_ms, costs.int8_ms, costs.attributed
    );
    for (group, multiplies) in &groups {
        assert!(
            costs.by_group.contains_key(group),
            "{model}: `{group}` has no cost"
        );
        let macs = costs.macs.get(group).copied().unwrap_or(0);
        assert_eq!(
            macs > 0,
            *multiplies,
            "{model}: `{group}` has {macs} multiply-accumulates"
        );
    }
    assert!(
        costs.attributed >= 0.6,
        "{model}: only {:.2} of the INT8 kernel time was traced to a group",
        costs.attributed
    );
    assert!(costs.float_ms > 0.0 && costs.int8_ms > 0.0);
    let names: Vec<String> = groups.into_iter().map(|(g, _)| g).collect();
    let all_float = costs.estimated_speedup(&names);
    assert!(
        (all_float - 1.0).abs() < 0.35,
        "{model}: every group float should cost about the float model, estimated {all_float:.2}x"
    );
}

#[test]
fn nanodet_groups_are_costed_from_onnx_runtimes_profile() {
    assert_every_group_costed_and_most_time_attributed(
        "data/nanodet-coco-416.onnx",
        "data/images/calib",
    );
}

#[test]
fn yolov8n_groups_are_costed_from_onnx_runtimes_profile() {
    assert_every_group_costed_and_most_time_attributed(
        "data/models/yolov8n-320.onnx",
        "data/images/calib",
    );
}

#[test]
fn picodet_groups_are_costed_from_onnx_runtimes_profile() {
    assert_every_group_costed_and_most_time_attributed(
        "data/models/picodet-layout-cdla.onnx",
        "data/pages/calib",
    );
}
