//! Q/DQ placement for ONNX Runtime's CPU provider: uint8 asymmetric activations around every
//! op of the quantized groups, shaped the way its QDQ selectors fuse them into QLinear
//! kernels (a quantized output for every quantized op, shared scales through ops that only
//! move data, Relu and Clip folded into the quantizer after them).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::groups::{QuantGroup, is_clamp, quantized_input_slots, shares_input_scale};
use super::placement::{ActivationQuantizer, Bounds, ScaleGroups};
use crate::Result;
use crate::calibrate::{Calibration, TensorRange};
use crate::graph::{GraphIndex, NodeId, Producer, Use};

/// The Q/DQ plan for quantizing `groups` for ONNX Runtime's CPU provider.
pub(crate) struct OrtCpuPlan {
    /// Quantizers on activations.
    pub(crate) activations: Vec<ActivationQuantizer>,
    /// Constant inputs of quantized Add/Mul nodes, read through a DequantizeLinear.
    pub(crate) constants: BTreeMap<String, Vec<Use>>,
}

/// Where the quantizers of `groups` go: tensors read through a quantizer by quantized ops,
/// tensors quantized as quantized ops' outputs, constants read through a DequantizeLinear.
struct Sites {
    quantized: HashSet<NodeId>,
    reads: BTreeMap<String, Vec<Use>>,
    tensors: BTreeSet<String>,
    constants: BTreeMap<String, Vec<Use>>,
}

fn sites(index: &GraphIndex<'_>, groups: &[&QuantGroup]) -> Sites {
    let quantized: HashSet<NodeId> = groups
        .iter()
        .flat_map(|g| g.nodes.iter().copied())
        .collect();
    let in_s = |value: &str| produced_by(index, &quantized, value);
    let mut reads: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    let mut constants: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    for &id in &quantized {
        let node = index.node(id);
        let op = node.op_type.as_deref().unwrap_or("");
        for slot in quantized_input_slots(op, node.input.len()) {
            let input = &node.input[slot];
            if input.is_empty() {
                continue;
            }
            let use_ = Use { node: id, slot };
            if index.constant(input).is_some() {
                if matches!(op, "Add" | "Mul") {
                    constants.entry(input.clone()).or_default().push(use_);
                }
            } else {
                reads.entry(input.clone()).or_default().push(use_);
            }
        }
        outputs.extend(node.output.iter().filter(|o| !o.is_empty()).cloned());
    }
    // A Relu or Clip that alone reads a quantized op's output is implemented by the
    // saturation of its own output quantizer: no quantizer between the two.
    for &id in &quantized {
        let node = index.node(id);
        let Some(input) = node.input.first() else {
            continue;
        };
        if is_clamp(node.op_type.as_deref().unwrap_or(""))
            && in_s(input)
            && index.consumers(input).len() == 1
            && !index.is_graph_output(input)
        {
            reads.remove(input);
            outputs.remove(input);
        }
    }
    let tensors = reads.keys().cloned().chain(outputs).collect();
    Sites {
        quantized,
        reads,
        tensors,
        constants,
    }
}

fn produced_by(index: &GraphIndex<'_>, nodes: &HashSet<NodeId>, value: &str) -> bool {
    matches!(index.producer(value), Some(Producer::Node { node, .. }) if nodes.contains(&node))
}

/// The activations a calibration must cover to quantize `groups` for `ort-cpu`.
pub(crate) fn ort_cpu_tensors(index: &GraphIndex<'_>, groups: &[&QuantGroup]) -> BTreeSet<String> {
    sites(index, groups).tensors
}

/// Plans the activation and constant quantizers of `groups`, ranges from `ranges`; the
/// `float` groups read float values.
pub(crate) fn plan_ort_cpu(
    index: &GraphIndex<'_>,
    groups: &[&QuantGroup],
    float: &[&QuantGroup],
    ranges: &Calibration,
) -> Result<OrtCpuPlan> {
    let reverted: HashSet<NodeId> = float.iter().flat_map(|g| g.nodes.iter().copied()).collect();
    let Sites {
        quantized,
        mut reads,
        tensors,
        constants,
    } = sites(index, groups);
    let mut shared = ScaleGroups::default();
    for tensor in &tensors {
        shared.insert(tensor);
    }
    for &id in &quantized {
        let node = index.node(id);
        if !shares_input_scale(node.op_type.as_deref().unwrap_or("")) {
            continue;
        }
        let Some(input) = node.input.first().filter(|i| tensors.contains(*i)) else {
            continue;
        };
        for output in node.output.iter().filter(|o| tensors.contains(*o)) {
            shared.union(input, output);
        }
    }
    let mut union: BTreeMap<usize, TensorRange> = BTreeMap::new();
    for tensor in &tensors {
        let range = super::placement::range_of(ranges, tensor)?;
        let root = shared.find(tensor);
        let merged = union.get(&root).map_or(range, |r| r.union(&range));
        union.insert(root, merged);
    }
    let activations = tensors
        .into_iter()
        .map(|tensor| {
            let (low, high) = union[&shared.find(&tensor)].clipped_bounds();
            // A quantized op's output reaches the decode tail dequantized, so the op still
            // fuses; a group kept float reads the float value itself.
            let uses = if produced_by(index, &quantized, &tensor) {
                index
                    .consumers(&tensor)
                    .iter()
                    .filter(|u| !reverted.contains(&u.node))
                    .copied()
                    .collect()
            } else {
                reads.remove(&tensor).unwrap_or_default()
            };
            ActivationQuantizer {
                tensor,
                bounds: Bounds::Asymmetric { low, high },
                uses,
            }
        })
        .collect();
    Ok(OrtCpuPlan {
        activations,
        constants,
    })
}
