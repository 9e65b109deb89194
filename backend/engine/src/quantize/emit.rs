//! Writing Q/DQ nodes and quantized initializers into a patch.

use std::collections::HashMap;

use super::WeightRange;
use super::placement::{ActivationQuantizer, Bounds};
use super::weights::{fit_scales_to_bias, int8_scale, quantize_bias, quantize_per_channel};
use crate::graph::{GraphIndex, Patch, Use};
use crate::layers::Layer;
use crate::onnx::proto::{NodeProto, TensorProto};
use crate::onnx::{f32_tensor, i8_tensor, i32_tensor, int_attr, tensor_f32, u8_tensor};
use crate::recover::Recovery;
use crate::{Error, Result};

fn node(op: &str, name: String, inputs: [&str; 3], output: &str, axis: Option<i64>) -> NodeProto {
    NodeProto {
        op_type: Some(op.to_owned()),
        name: Some(name),
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.to_owned()],
        attribute: axis.map(|a| int_attr("axis", a)).into_iter().collect(),
        ..Default::default()
    }
}

/// How one quantizer maps floats to integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct QuantParams {
    pub(crate) scale: f32,
    zero_point: ZeroPoint,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ZeroPoint {
    Int8,
    Uint8(u8),
}

impl QuantParams {
    /// Scale and zero point for `bounds`: int8 with zero point 0 for a symmetric range,
    /// uint8 with the zero point that puts 0 exactly on a level for an asymmetric one.
    pub(crate) fn from_bounds(bounds: Bounds) -> Self {
        match bounds {
            Bounds::Symmetric { amax } => Self {
                scale: int8_scale(amax),
                zero_point: ZeroPoint::Int8,
            },
            Bounds::Asymmetric { low, high } => {
                let span = high - low;
                if !(span > 0.0 && span.is_finite()) {
                    return Self {
                        scale: 1.0,
                        zero_point: ZeroPoint::Uint8(0),
                    };
                }
                let scale = span / UINT8_LEVELS;
                let zero = (-low / scale).round().clamp(0.0, UINT8_LEVELS) as u8;
                Self {
                    scale,
                    zero_point: ZeroPoint::Uint8(zero),
                }
            }
        }
    }

    fn zero_point_tensor(&self, name: &str) -> TensorProto {
        match self.zero_point {
            ZeroPoint::Int8 => i8_tensor(name, &[], &[0]),
            ZeroPoint::Uint8(zero) => u8_tensor(name, &[], &[zero]),
        }
    }
}

/// The number of steps of a uint8 quantizer.
const UINT8_LEVELS: f32 = 255.0;

/// Inserts QuantizeLinear/DequantizeLinear pairs and re-points each quantizer's uses at the
/// dequantized value: one pair per tensor, its DequantizeLinear shared by all uses, as ONNX
/// Runtime's own quantizer writes them. Returns tensor -> scale.
pub(crate) fn activation_qdq(
    index: &GraphIndex<'_>,
    patch: &mut Patch,
    quantizers: &[ActivationQuantizer],
) -> HashMap<String, f32> {
    let mut scales = HashMap::new();
    for q in quantizers.iter().filter(|q| !q.uses.is_empty()) {
        let params = QuantParams::from_bounds(q.bounds);
        let dequantized = qdq_pair(index, patch, &q.tensor, params);
        for &use_ in &q.uses {
            patch.rewire(use_, dequantized.clone());
        }
        scales.insert(q.tensor.clone(), params.scale);
    }
    scales
}

/// Adds `tensor -> QuantizeLinear -> DequantizeLinear` with `params`; returns the
/// dequantized value.
fn qdq_pair(
    index: &GraphIndex<'_>,
    patch: &mut Patch,
    tensor: &str,
    params: QuantParams,
) -> String {
    let scale_name = patch.fresh_name(index, &format!("{tensor}_scale"));
    let zero_name = patch.fresh_name(index, &format!("{tensor}_zero_point"));
    let quantized = patch.fresh_name(index, &format!("{tensor}_quantized"));
    let dequantized = patch.fresh_name(index, &format!("{tensor}_dequantized"));
    patch.add_initializer(f32_tensor(&scale_name, &[], &[params.scale]));
    patch.add_initializer(params.zero_point_tensor(&zero_name));
    let q_name = patch.fresh_name(index, &format!("{tensor}_QuantizeLinear"));
    let dq_name = patch.fresh_name(index, &format!("{tensor}_DequantizeLinear"));
    patch.add_node(node(
        "QuantizeLinear",
        q_name,
        [tensor, &scale_name, &zero_name],
        &quantized,
        None,
    ));
    patch.add_node(node(
        "DequantizeLinear",
        dq_name,
        [&quantized, &scale_name, &zero_name],
        &dequantized,
        None,
    ));
    dequantized
}

/// Replaces each constant read by `uses` with a uint8 initializer and a DequantizeLinear
/// over the constant's own range, so that the ops reading it fuse (QLinearAdd, QLinearMul).
pub(crate) fn constant_dq(
    index: &GraphIndex<'_>,
    patch: &mut Patch,
    constants: &std::collections::BTreeMap<String, Vec<Use>>,
) -> Result<()> {
    for (name, uses) in constants {
        let Some(tensor) = index.constant(name) else {
            continue;
        };
        let values = tensor_f32(tensor)?;
        let low = values.iter().copied().fold(0.0f32, f32::min);
        let high = values.iter().copied().fold(0.0f32, f32::max);
        let params = QuantParams::from_bounds(Bounds::Asymmetric { low, high });
        let ZeroPoint::Uint8(zero) = params.zero_point else {
            continue;
        };
        let levels: Vec<u8> = values
            .iter()
            .map(|v| {
                (v / params.scale + f32::from(zero))
                    .round_ties_even()
                    .clamp(0.0, UINT8_LEVELS) as u8
            })
            .collect();
        let values_name = patch.fresh_name(index, &format!("{name}_quantized"));
        let scale_name = patch.fresh_name(index, &format!("{name}_scale"));
        let zero_name = patch.fresh_name(index, &format!("{name}_zero_point"));
        let dequantized = patch.fresh_name(index, &format!("{name}_dequantized"));
        patch.add_initializer(u8_tensor(&values_name, &tensor.dims, &levels));
        patch.add_initializer(f32_tensor(&scale_name, &[], &[params.scale]));
        patch.add_initializer(params.zero_point_tensor(&zero_name));
        let dq_name = patch.fresh_name(index, &format!("{name}_DequantizeLinear"));
        patch.add_node(node(
            "DequantizeLinear",
            dq_name,
            [&values_name, &scale_name, &zero_name],
            &dequantized,
            None,
        ));
        for &use_ in uses {
            patch.rewire(use_, dequantized.clone());
        }
        patch.drop_initializer_if_unused(name.clone());
    }
    Ok(())
}

/// Replaces a layer's float weight by INT8 values + per-channel DequantizeLinear; with an
/// `input_scale`, also its bias by INT32 values + DequantizeLinear. The weights round as
/// `recovery`'s adaptive rounding chose where it did, and its bias shift (one value per
/// output channel, from bias correction) is added to the bias first.
pub(crate) fn weight_dq(
    index: &GraphIndex<'_>,
    patch: &mut Patch,
    layer: &Layer,
    input_scale: Option<f32>,
    recovery: &Recovery,
    range: WeightRange,
) -> Result<()> {
    let tensor = index.constant(&layer.weight).ok_or_else(|| {
        Error::InvalidModel(format!(
            "weight `{}` of layer `{}` is not constant",
            layer.weight, layer.name
        ))
    })?;
    let weights = tensor_f32(tensor)?;
    let mut q = quantize_per_channel(
        &weights,
        &layer.weight_shape,
        layer.channel_axis,
        range,
        recovery.rounding(&layer.name),
    );
    let bias = layer_bias(index, layer, recovery, q.scales.len())?;
    if let (Some(input_scale), Some(bias)) = (input_scale, &bias) {
        fit_scales_to_bias(
            &mut q,
            &weights,
            &layer.weight_shape,
            layer.channel_axis,
            range,
            &bias.values,
            input_scale,
        );
    }
    let axis = layer.channel_axis as i64;
    let channels = q.scales.len() as i64;
    let values = patch.fresh_name(index, &format!("{}_quantized", layer.weight));
    let scales = patch.fresh_name(index, &format!("{}_scale", layer.weight));
    let zeros = patch.fresh_name(index, &format!("{}_zero_point", layer.weight));
    let dequantized = patch.fresh_name(index, &format!("{}_dequantized", layer.weight));
    patch.add_initializer(i8_tensor(&values, &layer.weight_shape, &q.values));
    patch.add_initializer(f32_tensor(&scales, &[channels], &q.scales));
    patch.add_initializer(i8_tensor(&zeros, &[channels], &vec![0; q.scales.len()]));
    let dq_name = patch.fresh_name(index, &format!("{}_DequantizeLinear", layer.weight));
    patch.add_node(node(
        "DequantizeLinear",
        dq_name,
        [&values, &scales, &zeros],
        &dequantized,
        Some(axis),
    ));
    patch.rewire(
        Use {
            node: layer.node,
            slot: 1,
        },
        dequantized,
    );
    patch.drop_initializer_if_unused(layer.weight.clone());

    let Some(LayerBias {
        name: bias_name,
        values: bias_values,
        shifted,
    }) = bias
    else {
        return Ok(());
    };
    let bias_use = Use {
        node: layer.node,
        slot: 2,
    };
    let Some(input_scale) = input_scale else {
        if shifted {
            let corrected = patch.fresh_name(index, &format!("{bias_name}_corrected"));
            patch.add_initializer(f32_tensor(&corrected, &[channels], &bias_values));
            patch.rewire(bias_use, corrected);
            patch.drop_initializer_if_unused(bias_name.clone());
        }
        return Ok(());
    };
    let (values, bias_scales) = quantize_bias(&bias_values, input_scale, &q.scales);
    let q_values = patch.fresh_name(index, &format!("{bias_name}_quantized"));
    let q_scales = patch.fresh_name(index, &format!("{bias_name}_scale"));
    let q_zeros = patch.fresh_name(index, &format!("{bias_name}_zero_point"));
    let dequantized = patch.fresh_name(index, &format!("{bias_name}_dequantized"));
    patch.add_initializer(i32_tensor(&q_values, &[channels], &values));
    patch.add_initializer(f32_tensor(&q_scales, &[channels], &bias_scales));
    patch.add_initializer(i32_tensor(&q_zeros, &[channels], &vec![0; values.len()]));
    let dq_name = patch.fresh_name(index, &format!("{bias_name}_DequantizeLinear"));
    patch.add_node(node(
        "DequantizeLinear",
        dq_name,
        [&q_values, &q_scales, &q_zeros],
        &dequantized,
        Some(0),
    ));
    patch.rewire(bias_use, dequantized);
    patch.drop_initializer_if_unused(bias_name.clone());
    Ok(())
}

/// A layer's constant bias, one value per output channel, with bias correction's shift added.
struct LayerBias {
    name: String,
    values: Vec<f32>,
    /// Whether bias correction shifted it.
    shifted: bool,
}

/// The bias of `layer` when it is a constant of `channels` values.
fn layer_bias(
    index: &GraphIndex<'_>,
    layer: &Layer,
    recovery: &Recovery,
    channels: usize,
) -> Result<Option<LayerBias>> {
    let Some(name) = index
        .node(layer.node)
        .input
        .get(2)
        .filter(|b| !b.is_empty())
    else {
        return Ok(None);
    };
    let Some(bias) = index.constant(name) else {
        return Ok(None);
    };
    let mut values = tensor_f32(bias)?;
    if bias.dims.len() != 1 || values.len() != channels {
        return Ok(None);
    }
    let shift = recovery
        .bias_shift(&layer.name)
        .filter(|shift| shift.len() == values.len());
    for (value, shift) in values.iter_mut().zip(shift.unwrap_or_default()) {
        *value += shift;
    }
    Ok(Some(LayerBias {
        name: name.clone(),
        values,
        shifted: shift.is_some(),
    }))
}
