//! Explicit INT8 quantization: Q/DQ insertion for a chosen set of layers.

mod emit;
mod opset;
mod placement;
mod weights;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use serde::Serialize;

pub use placement::calibration_tensors;

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

/// What [`quantize_model`] did.
#[derive(Debug, Clone, Serialize)]
pub struct QuantizeReport {
    /// Layers now in INT8, in model order.
    pub quantized_layers: Vec<String>,
    /// Layers left in float, in model order.
    pub float_layers: Vec<String>,
    /// Number of activation Q/DQ pairs inserted.
    pub activation_quantizers: usize,
    /// The default-domain opset before it was raised to 13, if it was.
    pub raised_from_opset: Option<i64>,
}

/// Quantizes `model`: the layers named in `layer_set` (every layer when `None`) get INT8
/// weights per output channel and INT8 activations per tensor, with ranges from `amax`
/// (tensor name -> calibrated |max|), placed for `target`.
pub fn quantize_model(
    model: &ModelProto,
    layer_set: Option<&HashSet<String>>,
    amax: &HashMap<String, f32>,
    target: Target,
) -> Result<(ModelProto, QuantizeReport)> {
    let mut model = model.clone();
    let raised_from_opset = opset::raise_to_qdq_opset(&mut model)?;
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let layers = discover_layers(&index)?;
    if let Some(set) = layer_set {
        let known: HashSet<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        if let Some(unknown) = set.iter().find(|name| !known.contains(name.as_str())) {
            return Err(Error::InvalidInput(format!(
                "the model has no quantizable layer named `{unknown}`"
            )));
        }
    }
    let (quantized, float): (Vec<&Layer>, Vec<&Layer>) = layers
        .iter()
        .partition(|l| layer_set.is_none_or(|set| set.contains(&l.name)));
    let quantizers = placement::plan_activation_quantizers(&index, &quantized, target, amax)?;
    let mut patch = Patch::new();
    let activation_scales =
        emit::activation_qdq(&index, &mut patch, &quantizers, target == Target::OrtCpu);
    for layer in &quantized {
        let input_scale = (target == Target::OrtCpu)
            .then(|| activation_scales.get(&layer.input).copied())
            .flatten();
        emit::weight_dq(&index, &mut patch, layer, input_scale)?;
    }
    let report = QuantizeReport {
        quantized_layers: quantized.iter().map(|l| l.name.clone()).collect(),
        float_layers: float.iter().map(|l| l.name.clone()).collect(),
        activation_quantizers: quantizers.len(),
        raised_from_opset,
    };
    drop(index);
    patch.apply(graph)?;
    Ok((model, report))
}

/// The quantizable layers of a model.
pub fn model_layers(model: &ModelProto) -> Result<Vec<Layer>> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    discover_layers(&GraphIndex::new(graph)?)
}
