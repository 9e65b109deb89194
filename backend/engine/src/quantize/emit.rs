//! Writing Q/DQ nodes and quantized initializers into a patch.

use std::collections::HashMap;

use super::placement::ActivationQuantizer;
use super::weights::{int8_scale, quantize_bias, quantize_per_channel};
use crate::graph::{GraphIndex, Patch, Use};
use crate::layers::Layer;
use crate::onnx::proto::NodeProto;
use crate::onnx::{f32_tensor, i8_tensor, i32_tensor, int_attr, tensor_f32};
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

/// Inserts QuantizeLinear/DequantizeLinear pairs and re-points each quantizer's uses at a
/// dequantized value: one pair shared by all uses, or with `pair_per_use` one pair per use,
/// each with its own scale initializers. ONNX Runtime fuses a QDQ node group only when its
/// QuantizeLinear feeds a single DequantizeLinear, and merges identical pairs, hence the
/// separate initializers. Returns tensor -> scale.
pub(crate) fn activation_qdq(
    index: &GraphIndex<'_>,
    patch: &mut Patch,
    quantizers: &[ActivationQuantizer],
    pair_per_use: bool,
) -> HashMap<String, f32> {
    let mut scales = HashMap::new();
    for q in quantizers {
        let scale = int8_scale(q.amax);
        let groups: Vec<&[Use]> = if pair_per_use {
            q.uses.chunks(1).collect()
        } else {
            vec![q.uses.as_slice()]
        };
        for uses in groups {
            let dequantized = qdq_pair(index, patch, &q.tensor, scale);
            for &use_ in uses {
                patch.rewire(use_, dequantized.clone());
            }
        }
        scales.insert(q.tensor.clone(), scale);
    }
    scales
}

/// Adds `tensor -> QuantizeLinear -> DequantizeLinear` with a symmetric INT8 `scale`;
/// returns the dequantized value.
fn qdq_pair(index: &GraphIndex<'_>, patch: &mut Patch, tensor: &str, scale: f32) -> String {
    let scale_name = patch.fresh_name(index, &format!("{tensor}_scale"));
    let zero_name = patch.fresh_name(index, &format!("{tensor}_zero_point"));
    let quantized = patch.fresh_name(index, &format!("{tensor}_quantized"));
    let dequantized = patch.fresh_name(index, &format!("{tensor}_dequantized"));
    patch.add_initializer(f32_tensor(&scale_name, &[], &[scale]));
    patch.add_initializer(i8_tensor(&zero_name, &[], &[0]));
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

/// Replaces a layer's float weight by INT8 values + per-channel DequantizeLinear; with an
/// `input_scale`, also its bias by INT32 values + DequantizeLinear.
pub(crate) fn weight_dq(
    index: &GraphIndex<'_>,
    patch: &mut Patch,
    layer: &Layer,
    input_scale: Option<f32>,
) -> Result<()> {
    let tensor = index.constant(&layer.weight).ok_or_else(|| {
        Error::InvalidModel(format!(
            "weight `{}` of layer `{}` is not constant",
            layer.weight, layer.name
        ))
    })?;
    let q = quantize_per_channel(
        &tensor_f32(tensor)?,
        &layer.weight_shape,
        layer.channel_axis,
    );
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

    let bias_name = index
        .node(layer.node)
        .input
        .get(2)
        .filter(|b| !b.is_empty());
    if let (Some(input_scale), Some(bias_name)) = (input_scale, bias_name) {
        let Some(bias) = index.constant(bias_name) else {
            return Ok(());
        };
        let bias_values = tensor_f32(bias)?;
        if bias.dims.len() != 1 || bias_values.len() != q.scales.len() {
            return Ok(());
        }
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
        patch.rewire(
            Use {
                node: layer.node,
                slot: 2,
            },
            dequantized,
        );
        patch.drop_initializer_if_unused(bias_name.clone());
    }
    Ok(())
}
