//! Where activation quantizers go for TensorRT, and which tensors share one scale.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Target;
use super::groups::{DecodeTail, discover_groups};
use super::ort_cpu::ort_cpu_tensors;
use crate::calibrate::{Calibration, TensorRange};
use crate::graph::{GraphIndex, Producer, Use};
use crate::layers::Layer;
use crate::{Error, Result};

/// The range a quantizer covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bounds {
    /// `[-amax, amax]`, int8 with zero point 0.
    Symmetric {
        /// The clipping magnitude.
        amax: f32,
    },
    /// `[low, high]` holding 0, uint8 with a zero point.
    Asymmetric {
        /// The lowest value represented.
        low: f32,
        /// The highest value represented.
        high: f32,
    },
}

/// One activation quantizer: a Q/DQ pair on `tensor`, read by `uses` instead of the tensor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActivationQuantizer {
    pub(crate) tensor: String,
    pub(crate) bounds: Bounds,
    pub(crate) uses: Vec<Use>,
}

/// The tensors a calibration must cover so that any group set and any target can be
/// quantized, decode tail included: the plan for every group under every target.
pub fn calibration_tensors(index: &GraphIndex<'_>, layers: &[Layer]) -> Vec<String> {
    let mut tensors: HashSet<String> = HashSet::new();
    let all: Vec<&Layer> = layers.iter().collect();
    tensors.extend(quantized_uses(index, &all).into_keys());
    let groups = discover_groups(index, layers, Target::OrtCpu, DecodeTail::Quantize);
    let all_groups: Vec<_> = groups.iter().collect();
    tensors.extend(ort_cpu_tensors(index, &all_groups));
    let mut tensors: Vec<String> = tensors.into_iter().collect();
    tensors.sort();
    tensors
}

/// The calibrated range of `tensor`, or an error saying to calibrate again.
pub(crate) fn range_of(ranges: &Calibration, tensor: &str) -> Result<TensorRange> {
    ranges.range(tensor).copied().ok_or_else(|| {
        Error::InvalidInput(format!(
            "the calibration table has no range for tensor `{tensor}`: calibrate this model again"
        ))
    })
}

/// The activation quantizers for quantizing `layers` for TensorRT, with their ranges taken
/// from `ranges` (max amax over each group of tensors that must share a scale).
pub(crate) fn plan_tensorrt(
    index: &GraphIndex<'_>,
    layers: &[&Layer],
    ranges: &Calibration,
) -> Result<Vec<ActivationQuantizer>> {
    let uses = quantized_uses(index, layers);
    let mut groups = ScaleGroups::default();
    for tensor in uses.keys() {
        groups.insert(tensor);
    }
    for tensor in uses.keys() {
        if let Some(node) = index.producer_node(tensor)
            && shares_scale_with_inputs(node.op_type.as_deref())
        {
            for input in data_inputs(node) {
                if uses.contains_key(input) {
                    groups.union(tensor, input);
                }
            }
        }
    }
    let mut group_amax: HashMap<usize, f32> = HashMap::new();
    for tensor in uses.keys() {
        let range = range_of(ranges, tensor)?.amax;
        let entry = group_amax.entry(groups.find(tensor)).or_insert(0.0);
        *entry = entry.max(range);
    }
    Ok(uses
        .into_iter()
        .map(|(tensor, uses)| ActivationQuantizer {
            bounds: Bounds::Symmetric {
                amax: group_amax[&groups.find(&tensor)],
            },
            tensor,
            uses,
        })
        .collect())
}

/// Tensor -> the uses that read it through a quantizer, for quantizing `layers` for TensorRT.
fn quantized_uses(index: &GraphIndex<'_>, layers: &[&Layer]) -> BTreeMap<String, Vec<Use>> {
    let quantized_outputs: HashSet<&str> = layers.iter().map(|l| l.output.as_str()).collect();
    let mut uses: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for layer in layers {
        add_use(
            &mut uses,
            index,
            &layer.input,
            Use {
                node: layer.node,
                slot: 0,
            },
        );
    }
    // A residual Add fuses into the convolution feeding it when its other input is quantized.
    for &id in index.order() {
        let node = index.node(id);
        if node.op_type.as_deref() != Some("Add") || node.input.len() != 2 {
            continue;
        }
        let from_layer = |slot: usize| quantized_outputs.contains(node.input[slot].as_str());
        let skip_slot = match (from_layer(0), from_layer(1)) {
            (true, _) => Some(1),
            (false, true) => Some(0),
            (false, false) => None,
        };
        if let Some(slot) = skip_slot {
            add_use(&mut uses, index, &node.input[slot], Use { node: id, slot });
        }
    }
    // Concat and MaxPool run in INT8 only when their inputs are quantized with the output's scale.
    let mut pending: Vec<String> = uses.keys().cloned().collect();
    while let Some(tensor) = pending.pop() {
        let Some(Producer::Node { node: id, .. }) = index.producer(&tensor) else {
            continue;
        };
        let node = index.node(id);
        if !shares_scale_with_inputs(node.op_type.as_deref()) {
            continue;
        }
        for (slot, input) in node.input.iter().enumerate().take(data_input_count(node)) {
            if index.constant(input).is_some() {
                continue;
            }
            if add_use(&mut uses, index, input, Use { node: id, slot }) {
                pending.push(input.clone());
            }
        }
    }
    uses
}

/// Records that `use_` reads `tensor` through a quantizer (constants are never quantized
/// here); true when `tensor` was not quantized before.
fn add_use(
    uses: &mut BTreeMap<String, Vec<Use>>,
    index: &GraphIndex<'_>,
    tensor: &str,
    use_: Use,
) -> bool {
    if index.constant(tensor).is_some() {
        return false;
    }
    let is_new = !uses.contains_key(tensor);
    let list = uses.entry(tensor.to_owned()).or_default();
    if !list.contains(&use_) {
        list.push(use_);
    }
    is_new
}

fn shares_scale_with_inputs(op: Option<&str>) -> bool {
    matches!(op, Some("Concat" | "MaxPool"))
}

fn data_input_count(node: &crate::onnx::proto::NodeProto) -> usize {
    match node.op_type.as_deref() {
        Some("MaxPool") => 1,
        _ => node.input.len(),
    }
}

fn data_inputs(node: &crate::onnx::proto::NodeProto) -> impl Iterator<Item = &String> {
    node.input.iter().take(data_input_count(node))
}

/// Union-find over tensor names.
#[derive(Default)]
pub(crate) struct ScaleGroups {
    ids: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl ScaleGroups {
    pub(crate) fn insert(&mut self, tensor: &str) {
        if !self.ids.contains_key(tensor) {
            self.ids.insert(tensor.to_owned(), self.parent.len());
            self.parent.push(self.parent.len());
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub(crate) fn find(&mut self, tensor: &str) -> usize {
        let i = self.ids[tensor];
        self.root(i)
    }

    pub(crate) fn union(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.parent[ra] = rb;
    }
}
