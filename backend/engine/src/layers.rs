//! Quantizable layers: every Conv, ConvTranspose, Gemm and MatMul with a constant weight.

use serde::Serialize;

use crate::Result;
use crate::graph::{GraphIndex, NodeId};
use crate::onnx::attr_i64;

/// One quantizable layer of a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layer {
    /// Stable name: the node's name, or `<op>_<n>` when the node has none.
    pub name: String,
    /// `Conv`, `ConvTranspose`, `Gemm` or `MatMul`.
    pub op: String,
    /// Position among the model's layers, in topological order.
    pub position: usize,
    /// The node in the graph the layers were discovered in.
    #[serde(skip)]
    pub node: NodeId,
    /// The activation input.
    pub input: String,
    /// The constant weight.
    pub weight: String,
    /// The layer's output.
    pub output: String,
    /// The weight's shape.
    pub weight_shape: Vec<i64>,
    /// The weight axis that indexes output channels (per-channel quantization axis).
    pub channel_axis: usize,
    /// Number of weight parameters.
    pub parameters: u64,
}

const LAYER_OPS: [&str; 4] = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

/// The quantizable layers of a graph in topological order.
pub fn discover_layers(index: &GraphIndex<'_>) -> Result<Vec<Layer>> {
    let mut layers = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    for &id in index.order() {
        let node = index.node(id);
        let op = node.op_type.as_deref().unwrap_or("");
        let domain = node.domain.as_deref().unwrap_or("");
        if !LAYER_OPS.contains(&op) || !(domain.is_empty() || domain == "ai.onnx") {
            continue;
        }
        let (Some(input), Some(weight)) = (node.input.first(), node.input.get(1)) else {
            continue;
        };
        let Some(tensor) = index.constant(weight) else {
            continue;
        };
        if tensor.data_type != Some(crate::onnx::DataType::Float as i32) {
            continue;
        }
        let rank = tensor.dims.len();
        let channel_axis = match op {
            "Conv" => 0,
            "ConvTranspose" => 1,
            "Gemm" if attr_i64(node, "transB")?.unwrap_or(0) != 0 => 0,
            _ => rank.saturating_sub(1),
        };
        if rank <= channel_axis || (op == "Gemm" && rank != 2) {
            continue;
        }
        let base = match node.name.as_deref() {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => format!("{op}_{}", layers.len()),
        };
        let mut name = base.clone();
        let mut n = 1;
        while !used_names.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        layers.push(Layer {
            name,
            op: op.to_owned(),
            position: layers.len(),
            node: id,
            input: input.clone(),
            weight: weight.clone(),
            output: node.output.first().cloned().unwrap_or_default(),
            weight_shape: tensor.dims.clone(),
            channel_axis,
            parameters: tensor.dims.iter().map(|&d| d.max(0) as u64).product(),
        });
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::{
        f32_tensor, int_attr,
        proto::{GraphProto, NodeProto},
    };

    fn node(op: &str, name: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            name: Some(name.into()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    #[test]
    fn finds_layers_with_constant_weights_in_order_with_stable_names() {
        let mut gemm = node("Gemm", "", &["c", "g"], "d");
        gemm.attribute.push(int_attr("transB", 1));
        let graph = GraphProto {
            node: vec![
                node("Conv", "conv0", &["x", "w"], "a"),
                node("MatMul", "dynamic", &["a", "a"], "b"),
                node("ConvTranspose", "up", &["b", "wt"], "c"),
                gemm,
            ],
            initializer: vec![
                f32_tensor("w", &[8, 3, 3, 3], &[0.0; 216]),
                f32_tensor("wt", &[8, 4, 2, 2], &[0.0; 128]),
                f32_tensor("g", &[10, 32], &[0.0; 320]),
            ],
            ..Default::default()
        };
        let index = GraphIndex::new(&graph).unwrap();
        let layers = discover_layers(&index).unwrap();
        let summary: Vec<_> = layers
            .iter()
            .map(|l| (l.name.as_str(), l.op.as_str(), l.channel_axis))
            .collect();
        assert_eq!(
            summary,
            [
                ("conv0", "Conv", 0),
                ("up", "ConvTranspose", 1),
                ("Gemm_2", "Gemm", 0)
            ]
        );
        assert_eq!(layers[0].parameters, 216);
    }
}
