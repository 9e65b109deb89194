//! BatchNormalization folded into the convolution that feeds it.

use super::{drop_unused_initializers, fresh_name, initializer, readers};
use crate::Result;
use crate::onnx::proto::{GraphProto, NodeProto};
use crate::onnx::{attr_f32, f32_tensor, tensor_f32};

/// Folds every inference-mode BatchNormalization whose input is a Conv's output read by
/// nothing else, with constant float parameters, into that Conv: `w' = w·s`, `b' = (b -
/// mean)·s + beta` with `s = gamma / sqrt(var + eps)` per output channel. The Conv then
/// produces the BatchNormalization's output. Returns how many were folded.
pub(super) fn fold_batch_norms(graph: &mut GraphProto) -> Result<usize> {
    let mut folded = 0;
    let mut position = 0;
    while position < graph.node.len() {
        if graph.node[position].op_type.as_deref() == Some("BatchNormalization")
            && fold_one(graph, position)?
        {
            graph.node.remove(position);
            folded += 1;
        } else {
            position += 1;
        }
    }
    if folded > 0 {
        drop_unused_initializers(graph);
    }
    Ok(folded)
}

/// Folds the BatchNormalization at `position` into its Conv when it can; the caller removes it.
fn fold_one(graph: &mut GraphProto, position: usize) -> Result<bool> {
    let bn = &graph.node[position];
    if bn.input.len() != 5 || bn.output.len() != 1 {
        return Ok(false);
    }
    let Some(conv_position) = graph
        .node
        .iter()
        .position(|n| n.op_type.as_deref() == Some("Conv") && n.output.first() == bn.input.first())
    else {
        return Ok(false);
    };
    let conv = &graph.node[conv_position];
    if readers(graph, &bn.input[0]) != 1 || conv.input.len() < 2 {
        return Ok(false);
    }
    let constant = |name: &str| -> Result<Option<Vec<f32>>> {
        match initializer(graph, name) {
            Some(t) if t.data_type == Some(crate::onnx::DataType::Float as i32) => {
                tensor_f32(t).map(Some)
            }
            _ => Ok(None),
        }
    };
    let (Some(gamma), Some(beta), Some(mean), Some(var), Some(weight)) = (
        constant(&bn.input[1])?,
        constant(&bn.input[2])?,
        constant(&bn.input[3])?,
        constant(&bn.input[4])?,
        constant(&conv.input[1])?,
    ) else {
        return Ok(false);
    };
    let channels = gamma.len();
    if [beta.len(), mean.len(), var.len()]
        .iter()
        .any(|&n| n != channels)
        || channels == 0
        || weight.len() % channels != 0
    {
        return Ok(false);
    }
    let bias = match conv.input.get(2).filter(|b| !b.is_empty()) {
        Some(name) => match constant(name)? {
            Some(b) if b.len() == channels => b,
            _ => return Ok(false),
        },
        None => vec![0.0; channels],
    };
    let epsilon = attr_f32(bn, "epsilon")?.unwrap_or(1e-5);
    let factor: Vec<f32> = gamma
        .iter()
        .zip(&var)
        .map(|(g, v)| g / (v + epsilon).sqrt())
        .collect();
    let per_channel = weight.len() / channels;
    let new_weight: Vec<f32> = weight
        .iter()
        .enumerate()
        .map(|(i, w)| w * factor[i / per_channel])
        .collect();
    let new_bias: Vec<f32> = (0..channels)
        .map(|c| (bias[c] - mean[c]) * factor[c] + beta[c])
        .collect();
    let weight_dims = initializer(graph, &conv.input[1])
        .map(|t| t.dims.clone())
        .unwrap_or_default();
    let weight_name = fresh_name(graph, &format!("{}_bn_folded", conv.input[1]));
    let bias_name = fresh_name(graph, &format!("{}_bn_folded_bias", bn.output[0]));
    let output = bn.output[0].clone();
    graph
        .initializer
        .push(f32_tensor(&weight_name, &weight_dims, &new_weight));
    graph
        .initializer
        .push(f32_tensor(&bias_name, &[channels as i64], &new_bias));
    let conv: &mut NodeProto = &mut graph.node[conv_position];
    conv.input.truncate(2);
    conv.input[1] = weight_name;
    conv.input.push(bias_name);
    conv.output[0] = output;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::{node, value};
    use super::*;
    use crate::onnx::proto::AttributeProto;

    #[test]
    fn a_conv_followed_by_batch_norm_becomes_one_conv_with_scaled_weights_and_bias() {
        let mut bn = node("BatchNormalization", &["c", "g", "b", "m", "v"], &["y"]);
        bn.attribute.push(AttributeProto {
            name: Some("epsilon".into()),
            f: Some(0.0),
            r#type: Some(1),
            ..Default::default()
        });
        let mut graph = GraphProto {
            node: vec![node("Conv", &["x", "w"], &["c"]), bn],
            initializer: vec![
                f32_tensor("w", &[2, 1, 1, 1], &[1.0, 2.0]),
                f32_tensor("g", &[2], &[2.0, 1.0]),
                f32_tensor("b", &[2], &[0.5, 0.0]),
                f32_tensor("m", &[2], &[1.0, 0.0]),
                f32_tensor("v", &[2], &[4.0, 1.0]),
            ],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(fold_batch_norms(&mut graph).unwrap(), 1);
        assert_eq!(graph.node.len(), 1);
        let conv = &graph.node[0];
        assert_eq!(conv.output, vec!["y".to_owned()]);
        let weight = tensor_f32(initializer(&graph, &conv.input[1]).unwrap()).unwrap();
        let bias = tensor_f32(initializer(&graph, &conv.input[2]).unwrap()).unwrap();
        // s = [2/2, 1/1] = [1, 1]; bias = (0 - m)·s + beta.
        assert_eq!(weight, vec![1.0, 2.0]);
        assert_eq!(bias, vec![-0.5, 0.0]);
        assert_eq!(graph.initializer.len(), 2);
    }

    #[test]
    fn a_conv_output_read_twice_is_not_folded() {
        let mut graph = GraphProto {
            node: vec![
                node("Conv", &["x", "w"], &["c"]),
                node("BatchNormalization", &["c", "g", "b", "m", "v"], &["y"]),
                node("Relu", &["c"], &["z"]),
            ],
            initializer: vec![
                f32_tensor("w", &[1, 1, 1, 1], &[1.0]),
                f32_tensor("g", &[1], &[2.0]),
                f32_tensor("b", &[1], &[0.5]),
                f32_tensor("m", &[1], &[1.0]),
                f32_tensor("v", &[1], &[4.0]),
            ],
            ..Default::default()
        };
        assert_eq!(fold_batch_norms(&mut graph).unwrap(), 0);
    }
}
