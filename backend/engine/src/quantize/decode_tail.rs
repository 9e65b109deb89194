//! The decode tail: the ops after the last body layer on each output path that turn raw
//! head outputs into boxes and scores (DFL Softmax and its convolution, grid and anchor
//! arithmetic, Concats mixing coordinates with probabilities). Quantizing it costs accuracy
//! for almost no speed, so it stays float by default.

use std::collections::HashSet;

use crate::graph::{GraphIndex, NodeId};
use crate::layers::Layer;

/// Ops that only move data: a layer reading a Softmax through these is a decode layer.
const DATA_MOVEMENT_OPS: [&str; 6] = [
    "Reshape",
    "Transpose",
    "Squeeze",
    "Unsqueeze",
    "Flatten",
    "Identity",
];

/// The nodes of the decode tail: every node that no body layer depends on. Body layers are
/// the layers that do not read a Softmax's output (through data-movement ops only), which
/// is how a distribution-to-distance decode (DFL) is written as a convolution.
pub(crate) fn decode_tail(index: &GraphIndex<'_>, layers: &[Layer]) -> HashSet<NodeId> {
    let body: Vec<NodeId> = layers
        .iter()
        .filter(|layer| !reads_a_softmax(index, &layer.input))
        .map(|layer| layer.node)
        .collect();
    let mut needed: HashSet<NodeId> = body.iter().copied().collect();
    let mut pending = body;
    while let Some(id) = pending.pop() {
        for input in &index.node(id).input {
            if let Some(crate::graph::Producer::Node { node, .. }) = index.producer(input)
                && needed.insert(node)
            {
                pending.push(node);
            }
        }
    }
    index
        .order()
        .iter()
        .copied()
        .filter(|id| !needed.contains(id))
        .collect()
}

fn reads_a_softmax(index: &GraphIndex<'_>, value: &str) -> bool {
    let mut value = value;
    while let Some(node) = index.producer_node(value) {
        match node.op_type.as_deref() {
            Some("Softmax") => return true,
            Some(op) if DATA_MOVEMENT_OPS.contains(&op) => match node.input.first() {
                Some(input) => value = input,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::test_graphs::{node, value};
    use crate::layers::discover_layers;
    use crate::onnx::f32_tensor;
    use crate::onnx::proto::GraphProto;

    #[test]
    fn the_dfl_softmax_its_conv_and_the_box_arithmetic_are_tail_but_the_head_is_not() {
        let graph = GraphProto {
            node: vec![
                node("Conv", &["x", "w"], &["head"]),
                node("Reshape", &["head", "shape"], &["bins"]),
                node("Softmax", &["bins"], &["p"]),
                node("Conv", &["p", "arange"], &["dist"]),
                node("Mul", &["dist", "stride"], &["boxes"]),
                node("Sigmoid", &["head"], &["scores"]),
                node("Concat", &["boxes", "scores"], &["y"]),
            ],
            initializer: vec![
                f32_tensor("w", &[16, 3, 1, 1], &[0.0; 48]),
                f32_tensor("arange", &[1, 16, 1, 1], &[0.0; 16]),
            ],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        let index = GraphIndex::new(&graph).unwrap();
        let layers = discover_layers(&index).unwrap();
        let tail = decode_tail(&index, &layers);
        let mut ops: Vec<&str> = tail
            .iter()
            .map(|&id| index.node(id).output[0].as_str())
            .collect();
        ops.sort();
        assert_eq!(ops, ["bins", "boxes", "dist", "p", "scores", "y"]);
    }
}
