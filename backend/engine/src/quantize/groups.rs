//! Quantizer groups: the sets of Q/DQ sites that go to float together, the unit of
//! sensitivity, boundary and search. A layer with the elementwise activation that only it
//! feeds (LeakyRelu, SiLU's Sigmoid·Mul, HardSwish's Add·Clip·Mul) is one group; for the
//! `ort-cpu` target every other op that ONNX Runtime runs in INT8 (Add, Concat, MaxPool,
//! Resize, …) is a group of its own. The decode tail is not grouped unless asked for.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::Target;
use super::activations::float_activations;
use super::decode_tail::decode_tail;
use crate::graph::{GraphIndex, NodeId};
use crate::layers::Layer;

/// One quantizer group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantGroup {
    /// Stable name: the layer's name for a layer group, else the node's name (or `<op>_<n>`).
    pub name: String,
    /// The op types it covers, its leading op first.
    pub ops: Vec<String>,
    /// The layer it holds, if it is a layer group.
    pub layer: Option<String>,
    /// Position among the model's groups, in topological order of their leading nodes.
    pub position: usize,
    /// Its nodes in the graph the groups were found in.
    #[serde(skip)]
    pub nodes: Vec<NodeId>,
}

/// Ops ONNX Runtime's CPU provider runs on uint8 data when Q/DQ surround them, by how they
/// read their inputs.
const UNARY_OPS: [&str; 16] = [
    "Sigmoid",
    "LeakyRelu",
    "Relu",
    "Clip",
    "AveragePool",
    "GlobalAveragePool",
    "MaxPool",
    "Resize",
    "Reshape",
    "Transpose",
    "Squeeze",
    "Unsqueeze",
    "Flatten",
    "Slice",
    "Gather",
    "Split",
];
const BINARY_OPS: [&str; 2] = ["Add", "Mul"];
const VARIADIC_OPS: [&str; 1] = ["Concat"];
/// Elementwise ops that join the layer group of the layer feeding them.
const ACTIVATION_OPS: [&str; 6] = ["Sigmoid", "Mul", "Add", "Clip", "Relu", "LeakyRelu"];

/// Whether the decode tail takes part in quantization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecodeTail {
    /// The decode tail stays float (the default).
    #[default]
    Float,
    /// The decode tail is quantized like the rest.
    Quantize,
}

/// The quantizer groups of the indexed graph for `target`, in topological order.
pub(crate) fn discover_groups(
    index: &GraphIndex<'_>,
    layers: &[Layer],
    target: Target,
    tail: DecodeTail,
) -> Vec<QuantGroup> {
    let tail_nodes = match tail {
        DecodeTail::Float => decode_tail(index, layers),
        DecodeTail::Quantize => HashSet::new(),
    };
    let body_layers: Vec<&Layer> = layers
        .iter()
        .filter(|l| !tail_nodes.contains(&l.node))
        .collect();
    let mut groups: Vec<QuantGroup> = Vec::new();
    if target == Target::TensorRt {
        for layer in body_layers {
            groups.push(layer_group(layer, vec![layer.node], index));
        }
        return number(groups);
    }
    let activations = float_activations(index);
    let mut candidates: HashSet<NodeId> = HashSet::new();
    for &id in index.order() {
        if runs_quantized(index, id, &activations)
            && (!tail_nodes.contains(&id) || moves_quantized_data(index, id, &candidates))
        {
            candidates.insert(id);
        }
    }
    let mut grouped: HashSet<NodeId> = HashSet::new();
    let mut leaders: HashMap<NodeId, QuantGroup> = HashMap::new();
    for layer in &body_layers {
        if !activations.contains(&layer.input) {
            continue;
        }
        let nodes = layer_with_activation(index, layer, &candidates, &grouped);
        grouped.extend(nodes.iter().copied());
        leaders.insert(layer.node, layer_group(layer, nodes, index));
    }
    let mut taken: HashSet<String> = leaders.values().map(|g| g.name.clone()).collect();
    for &id in index.order() {
        if let Some(group) = leaders.remove(&id) {
            groups.push(group);
        } else if candidates.contains(&id) && !grouped.contains(&id) {
            let node = index.node(id);
            let op = node.op_type.clone().unwrap_or_default();
            let base = match node.name.as_deref() {
                Some(name) if !name.is_empty() => name.to_owned(),
                _ => format!("{op}_{}", id.0),
            };
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            groups.push(QuantGroup {
                name,
                ops: vec![op],
                layer: None,
                position: 0,
                nodes: vec![id],
            });
        }
    }
    number(groups)
}

fn number(mut groups: Vec<QuantGroup>) -> Vec<QuantGroup> {
    for (position, group) in groups.iter_mut().enumerate() {
        group.position = position;
    }
    groups
}

fn layer_group(layer: &Layer, nodes: Vec<NodeId>, index: &GraphIndex<'_>) -> QuantGroup {
    QuantGroup {
        name: layer.name.clone(),
        ops: nodes
            .iter()
            .map(|&id| index.node(id).op_type.clone().unwrap_or_default())
            .collect(),
        layer: Some(layer.name.clone()),
        position: 0,
        nodes,
    }
}

/// The layer's node and every elementwise candidate fed only by it (and constants).
fn layer_with_activation(
    index: &GraphIndex<'_>,
    layer: &Layer,
    candidates: &HashSet<NodeId>,
    grouped: &HashSet<NodeId>,
) -> Vec<NodeId> {
    let mut nodes = vec![layer.node];
    let mut produced: HashSet<&str> = HashSet::from([layer.output.as_str()]);
    loop {
        let next = produced
            .iter()
            .flat_map(|value| index.consumers(value))
            .map(|use_| use_.node)
            .find(|&id| {
                let node = index.node(id);
                !nodes.contains(&id)
                    && candidates.contains(&id)
                    && !grouped.contains(&id)
                    && ACTIVATION_OPS.contains(&node.op_type.as_deref().unwrap_or(""))
                    && node
                        .input
                        .iter()
                        .all(|i| produced.contains(i.as_str()) || index.constant(i).is_some())
            });
        let Some(id) = next else {
            return nodes;
        };
        nodes.push(id);
        produced.extend(index.node(id).output.iter().map(String::as_str));
    }
}

/// Whether a decode-tail node only moves the quantized outputs of quantized ops: a Reshape,
/// Transpose, Split… of one (it runs on that op's integers with its scale, which loses
/// nothing), or a Concat of several (the raw head outputs of a level, before any decoding
/// arithmetic, requantized to one scale). Not when it produces a graph output: that stays
/// float as the model wrote it.
fn moves_quantized_data(index: &GraphIndex<'_>, id: NodeId, quantized: &HashSet<NodeId>) -> bool {
    let node = index.node(id);
    let op = node.op_type.as_deref().unwrap_or("");
    let from_quantized = |input: &String| {
        matches!(
            index.producer(input),
            Some(crate::graph::Producer::Node { node, .. }) if quantized.contains(&node)
        )
    };
    let moves = if VARIADIC_OPS.contains(&op) {
        !node.input.is_empty() && node.input.iter().all(from_quantized)
    } else {
        shares_input_scale(op) && node.input.first().is_some_and(from_quantized)
    };
    moves && node.output.iter().all(|o| !index.is_graph_output(o))
}

/// Whether ONNX Runtime's CPU provider can run this node on quantized data.
fn runs_quantized(index: &GraphIndex<'_>, id: NodeId, activations: &HashSet<String>) -> bool {
    let node = index.node(id);
    if !matches!(node.domain.as_deref(), None | Some("") | Some("ai.onnx")) {
        return false;
    }
    let op = node.op_type.as_deref().unwrap_or("");
    let float_data = |value: &String| {
        activations.contains(value)
            || index
                .constant(value)
                .is_some_and(|t| t.data_type == Some(crate::onnx::DataType::Float as i32))
    };
    let first_is_activation = node.input.first().is_some_and(|i| activations.contains(i));
    match op {
        "Conv" | "Gemm" | "MatMul" => first_is_activation,
        "MaxPool" => first_is_activation && node.output.len() == 1,
        _ if UNARY_OPS.contains(&op) => first_is_activation,
        _ if BINARY_OPS.contains(&op) => {
            node.input.len() == 2
                && node.input.iter().all(float_data)
                && node.input.iter().any(|i| activations.contains(i))
        }
        _ if VARIADIC_OPS.contains(&op) => {
            !node.input.is_empty() && node.input.iter().all(|i| activations.contains(i))
        }
        _ => false,
    }
}

/// The input slots of `node` that read data through a quantizer when it is quantized for
/// `ort-cpu` (weights and biases of layers are quantized apart).
pub(crate) fn quantized_input_slots(op: &str, inputs: usize) -> std::ops::Range<usize> {
    match op {
        _ if BINARY_OPS.contains(&op) || VARIADIC_OPS.contains(&op) => 0..inputs,
        _ => 0..inputs.min(1),
    }
}

/// Ops whose output must share its input's quantizer for ONNX Runtime to drop their Q/DQ.
pub(crate) fn shares_input_scale(op: &str) -> bool {
    matches!(
        op,
        "MaxPool"
            | "Resize"
            | "Reshape"
            | "Transpose"
            | "Squeeze"
            | "Unsqueeze"
            | "Flatten"
            | "Slice"
            | "Gather"
            | "Split"
    )
}

/// Activations that a zero-point quantizer on their output replaces exactly (ONNX Runtime
/// removes them when a QuantizeLinear follows).
pub(crate) fn is_clamp(op: &str) -> bool {
    matches!(op, "Relu" | "Clip")
}
