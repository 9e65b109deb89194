//! Explicit INT8 quantization: Q/DQ insertion for a chosen set of layers.

mod activations;
mod decode_tail;
mod emit;
mod groups;
mod opset;
mod ort_cpu;
mod placement;
mod rounding;
mod weight_range;
mod weights;

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use serde::Serialize;

pub use groups::{DecodeTail, QuantGroup};
pub use placement::calibration_tensors;
pub use rounding::WeightRounding;
pub use weight_range::WeightRange;
pub(crate) use weights::channel_scales;
pub use weights::dequantized_weights;

use crate::calibrate::Calibration;
use crate::cleanup::{CleanupReport, equalize_cross_layer, prepare_for_quantization};
use crate::graph::{GraphIndex, Patch};
use crate::layers::{Layer, discover_layers};
use crate::onnx::proto::ModelProto;
use crate::{Error, Result};

/// Which runtime the Q/DQ placement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// TensorRT's explicit quantization: Q/DQ on the inputs of quantized layers (and residual
    /// skips, and around Concat/MaxPool with a shared scale); outputs stay float.
    TensorRt,
    /// ONNX Runtime's CPU provider: also Q/DQ on layer outputs and INT32 biases, so layers
    /// fuse into QLinearConv and run in INT8.
    OrtCpu,
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "tensorrt" | "trt" => Ok(Self::TensorRt),
            "ort-cpu" | "cpu" => Ok(Self::OrtCpu),
            other => Err(Error::InvalidInput(format!(
                "unknown target `{other}`: use `tensorrt` or `ort-cpu`"
            ))),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TensorRt => "tensorrt",
            Self::OrtCpu => "ort-cpu",
        })
    }
}

/// How to quantize: the runtime the placement is for, and whether the decode tail joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantConfig {
    /// The runtime the Q/DQ placement is written for.
    pub target: Target,
    /// Whether the decode tail stays float.
    pub decode_tail: DecodeTail,
    /// The range of the INT8 weights.
    pub weight_range: WeightRange,
}

impl From<Target> for QuantConfig {
    /// The decode tail float; for `ort-cpu`, the weight range this machine's CPU runs
    /// exactly ([`WeightRange::for_this_cpu`]), for TensorRT the full one.
    fn from(target: Target) -> Self {
        Self {
            target,
            decode_tail: DecodeTail::Float,
            weight_range: match target {
                Target::OrtCpu => WeightRange::for_this_cpu(),
                Target::TensorRt => WeightRange::Full,
            },
        }
    }
}

/// Which quantizer groups to quantize.
#[derive(Debug, Clone, Copy)]
pub enum GroupSelection<'a> {
    /// Every group (full INT8).
    All,
    /// Only these groups.
    Only(&'a HashSet<String>),
    /// Every group but these, which stay float.
    AllExcept(&'a HashSet<String>),
    /// No group: the float model, cleaned up.
    Nothing,
}

/// What [`quantize_model`] did.
#[derive(Debug, Clone, Serialize)]
pub struct QuantizeReport {
    /// Groups now in INT8, in model order.
    pub quantized_groups: Vec<String>,
    /// Groups left in float, in model order.
    pub float_groups: Vec<String>,
    /// Layers now in INT8, in model order.
    pub quantized_layers: Vec<String>,
    /// Layers left in float, in model order.
    pub float_layers: Vec<String>,
    /// Number of activation Q/DQ pairs inserted.
    pub activation_quantizers: usize,
    /// The default-domain opset before it was raised to 13, if it was.
    pub raised_from_opset: Option<i64>,
    /// What the pre-quantization cleanup changed.
    pub cleanup: CleanupReport,
    /// The accuracy-recovery passes whose results the calibration brought, in run order.
    pub recovery: Vec<crate::recover::RecoveryPass>,
    /// The range of the INT8 weights.
    pub weight_range: WeightRange,
}

/// Quantizes `model`: the groups `selection` names get INT8 weights per output channel and
/// INT8 activations per tensor, with ranges from `ranges` (calibrated on the same model),
/// placed for `config`'s target. The model is cleaned up first
/// ([`prepare_for_quantization`]).
pub fn quantize_model(
    model: &ModelProto,
    selection: GroupSelection<'_>,
    ranges: &Calibration,
    config: impl Into<QuantConfig>,
) -> Result<(ModelProto, QuantizeReport)> {
    let config = config.into();
    let (mut model, cleanup) = prepare_for_quantization(model)?;
    if ranges.recovery.equalizes() {
        equalize_cross_layer(&mut model)?;
    }
    let raised_from_opset = opset::raise_to_qdq_opset(&mut model)?;
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let layers = discover_layers(&index)?;
    let groups = groups::discover_groups(&index, &layers, config.target, config.decode_tail);
    let known: HashSet<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    if let GroupSelection::Only(set) | GroupSelection::AllExcept(set) = selection
        && let Some(unknown) = set.iter().find(|name| !known.contains(name.as_str()))
    {
        return Err(Error::InvalidInput(format!(
            "the model has no quantizer group named `{unknown}` for target `{}`",
            config.target
        )));
    }
    let (quantized, float): (Vec<&QuantGroup>, Vec<&QuantGroup>) =
        groups.iter().partition(|g| match selection {
            GroupSelection::All => true,
            GroupSelection::Only(set) => set.contains(&g.name),
            GroupSelection::AllExcept(set) => !set.contains(&g.name),
            GroupSelection::Nothing => false,
        });
    let quantized_layer_names: HashSet<&str> = quantized
        .iter()
        .filter_map(|g| g.layer.as_deref())
        .collect();
    let (quantized_layers, float_layers): (Vec<&Layer>, Vec<&Layer>) = layers
        .iter()
        .partition(|l| quantized_layer_names.contains(l.name.as_str()));
    let mut patch = Patch::new();
    let (activation_scales, activation_quantizers) = match config.target {
        Target::TensorRt => {
            let quantizers = placement::plan_tensorrt(&index, &quantized_layers, ranges)?;
            emit::activation_qdq(&index, &mut patch, &quantizers);
            (None, quantizers.len())
        }
        Target::OrtCpu => {
            let plan = ort_cpu::plan_ort_cpu(&index, &quantized, &float, ranges)?;
            let scales = emit::activation_qdq(&index, &mut patch, &plan.activations);
            emit::constant_dq(&index, &mut patch, &plan.constants)?;
            (Some(scales), plan.activations.len())
        }
    };
    for layer in &quantized_layers {
        let input_scale = activation_scales
            .as_ref()
            .and_then(|scales| scales.get(&layer.input).copied());
        emit::weight_dq(
            &index,
            &mut patch,
            layer,
            input_scale,
            &ranges.recovery,
            config.weight_range,
        )?;
    }
    let report = QuantizeReport {
        quantized_groups: quantized.iter().map(|g| g.name.clone()).collect(),
        float_groups: float.iter().map(|g| g.name.clone()).collect(),
        quantized_layers: quantized_layers.iter().map(|l| l.name.clone()).collect(),
        float_layers: float_layers.iter().map(|l| l.name.clone()).collect(),
        activation_quantizers,
        raised_from_opset,
        cleanup,
        recovery: ranges.recovery.passes.clone(),
        weight_range: config.weight_range,
    };
    drop(index);
    patch.apply(graph)?;
    Ok((model, report))
}

/// The quantizable layers of a model, after cleanup.
pub fn model_layers(model: &ModelProto) -> Result<Vec<Layer>> {
    with_cleaned_graph(model, |_, layers| Ok(layers))
}

/// The quantizer groups of a model for `config`, after cleanup, in topological order.
pub fn model_groups(model: &ModelProto, config: impl Into<QuantConfig>) -> Result<Vec<QuantGroup>> {
    let config = config.into();
    with_cleaned_graph(model, |index, layers| {
        Ok(groups::discover_groups(
            index,
            &layers,
            config.target,
            config.decode_tail,
        ))
    })
}

/// The group of each node of the model after cleanup, for `config`: keyed both by the
/// node's name and by each of its outputs' names (profilers and optimizers name derived
/// nodes after either).
pub fn model_group_members(
    model: &ModelProto,
    config: impl Into<QuantConfig>,
) -> Result<BTreeMap<String, String>> {
    let config = config.into();
    with_cleaned_graph(model, |index, layers| {
        let groups = groups::discover_groups(index, &layers, config.target, config.decode_tail);
        let mut members = BTreeMap::new();
        for group in &groups {
            for &id in &group.nodes {
                let node = index.node(id);
                let names = node.name.iter().chain(node.output.iter());
                for name in names.filter(|n| !n.is_empty()) {
                    members.insert(name.clone(), group.name.clone());
                }
            }
        }
        Ok(members)
    })
}

/// The op types of the decode tail of a model (after cleanup), in topological order.
pub fn decode_tail_ops(model: &ModelProto) -> Result<Vec<String>> {
    with_cleaned_graph(model, |index, layers| {
        let tail = decode_tail::decode_tail(index, &layers);
        Ok(index
            .order()
            .iter()
            .filter(|id| tail.contains(id))
            .map(|&id| index.node(id).op_type.clone().unwrap_or_default())
            .collect())
    })
}

/// Runs `read` on the index and the layers of the model after cleanup.
fn with_cleaned_graph<T>(
    model: &ModelProto,
    read: impl FnOnce(&GraphIndex<'_>, Vec<Layer>) -> Result<T>,
) -> Result<T> {
    let (model, _) = prepare_for_quantization(model)?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let layers = discover_layers(&index)?;
    read(&index, layers)
}
