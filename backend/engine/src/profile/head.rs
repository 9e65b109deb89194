//! Whether a model decodes its boxes in the graph, read from the ops between its last
//! convolutions and an output.

use std::collections::{HashMap, HashSet};

use crate::onnx::proto::{GraphProto, NodeProto};

/// Ops that compute: finding one of them between the head's convolutions and the output means
/// the graph turns raw predictions into boxes (grid offsets, strides, `exp` sizes, DFL).
const DECODE_OPS: [&str; 9] = [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Exp",
    "Pow",
    "Softmax",
    "ReduceSum",
    "Einsum",
];

/// Ops that only move, split or activate values: a raw head output passes through these alone.
const LAYOUT_OPS: [&str; 14] = [
    "Reshape",
    "Transpose",
    "Concat",
    "Flatten",
    "Squeeze",
    "Unsqueeze",
    "Slice",
    "Split",
    "Identity",
    "Cast",
    "Sigmoid",
    "Gather",
    "Expand",
    "Tile",
];

/// Ops that end the walk: the head's own layers.
const LAYER_OPS: [&str; 4] = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

/// How the graph produces an output, as far as the ops before it tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeadOutput {
    /// Layer outputs only reshaped, concatenated or passed through a sigmoid: raw predictions.
    Raw,
    /// Arithmetic after the layers: boxes decoded in the graph.
    Decoded,
}

/// Whether `output` is raw or decoded, walking back from it along data inputs (the shape
/// inputs of Reshape, Slice and the like are not followed) until the layers that feed it.
/// `None` when the graph does not say: no producing node, an op that is neither layout nor
/// decode arithmetic, or no layer reached.
pub(super) fn head_output(graph: &GraphProto, output: &str) -> Option<HeadOutput> {
    let producers: HashMap<&str, &NodeProto> = graph
        .node
        .iter()
        .flat_map(|n| n.output.iter().map(move |o| (o.as_str(), n)))
        .collect();
    let mut pending = vec![output];
    let mut seen = HashSet::new();
    let mut reached_layer = false;
    while let Some(value) = pending.pop() {
        if !seen.insert(value) {
            continue;
        }
        let Some(node) = producers.get(value) else {
            continue;
        };
        let op = node.op_type.as_deref().unwrap_or_default();
        if LAYER_OPS.contains(&op) {
            reached_layer = true;
        } else if DECODE_OPS.contains(&op) {
            return Some(HeadOutput::Decoded);
        } else if LAYOUT_OPS.contains(&op) {
            let data_inputs = if matches!(op, "Concat") {
                node.input.len()
            } else {
                1
            };
            pending.extend(
                node.input
                    .iter()
                    .take(data_inputs)
                    .map(String::as_str)
                    .filter(|i| !i.is_empty()),
            );
        } else {
            return None;
        }
    }
    reached_layer.then_some(HeadOutput::Raw)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::profile) fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    fn graph(nodes: Vec<NodeProto>) -> GraphProto {
        GraphProto {
            node: nodes,
            ..Default::default()
        }
    }

    #[test]
    fn a_yolox_style_head_is_raw() {
        let g = graph(vec![
            node("Conv", &["x", "w1"], "reg"),
            node("Conv", &["x", "w2"], "obj_logit"),
            node("Sigmoid", &["obj_logit"], "obj"),
            node("Concat", &["reg", "obj"], "level"),
            node("Shape", &["level"], "shape"),
            node("Mul", &["shape", "two"], "flat_shape"),
            node("Reshape", &["level", "flat_shape"], "flat"),
            node("Transpose", &["flat"], "out"),
        ]);
        assert_eq!(head_output(&g, "out"), Some(HeadOutput::Raw));
    }

    #[test]
    fn grid_arithmetic_means_decoded() {
        let g = graph(vec![
            node("Conv", &["x", "w"], "raw"),
            node("Add", &["raw", "grid"], "shifted"),
            node("Concat", &["shifted", "scores"], "out"),
        ]);
        assert_eq!(head_output(&g, "out"), Some(HeadOutput::Decoded));
    }

    #[test]
    fn an_unproduced_output_or_an_unknown_op_says_nothing() {
        assert_eq!(head_output(&graph(vec![]), "out"), None);
        let g = graph(vec![
            node("Conv", &["x", "w"], "raw"),
            node("NonMaxSuppression", &["raw"], "out"),
        ]);
        assert_eq!(head_output(&g, "out"), None);
    }
}
