//! Which values are float activations: data computed from the graph's float inputs, as
//! opposed to constants, shapes, indices and masks.

use std::collections::HashSet;

use crate::graph::{GraphIndex, Producer};
use crate::onnx::{DataType, attr_i64, graph_inputs};

/// Ops whose outputs are never float data, whatever their inputs.
const NON_FLOAT_OUTPUT_OPS: [&str; 18] = [
    "Shape",
    "Size",
    "NonZero",
    "ArgMax",
    "ArgMin",
    "Equal",
    "Greater",
    "Less",
    "GreaterOrEqual",
    "LessOrEqual",
    "Not",
    "And",
    "Or",
    "Xor",
    "IsNaN",
    "IsInf",
    "NonMaxSuppression",
    "ConstantOfShape",
];

/// The float activation values of the indexed graph.
pub(crate) fn float_activations(index: &GraphIndex<'_>) -> HashSet<String> {
    let graph = index.graph();
    let mut activations: HashSet<String> = graph_inputs(graph)
        .into_iter()
        .filter(|input| {
            let elem_type = input
                .r#type
                .as_ref()
                .and_then(|t| t.value.as_ref())
                .and_then(|value| match value {
                    crate::onnx::proto::type_proto::Value::TensorType(t) => t.elem_type,
                    _ => None,
                });
            elem_type.is_none_or(|e| e == DataType::Float as i32)
        })
        .filter_map(|input| input.name.clone())
        .collect();
    for &id in index.order() {
        let node = index.node(id);
        let op = node.op_type.as_deref().unwrap_or("");
        if NON_FLOAT_OUTPUT_OPS.contains(&op) || !node.input.iter().any(|i| activations.contains(i))
        {
            continue;
        }
        if op == "Cast" && attr_i64(node, "to").ok().flatten() != Some(DataType::Float as i64) {
            continue;
        }
        let float_outputs = if op == "TopK" { 1 } else { node.output.len() };
        activations.extend(
            node.output
                .iter()
                .take(float_outputs)
                .filter(|o| !o.is_empty())
                .cloned(),
        );
    }
    activations.retain(|value| !matches!(index.producer(value), Some(Producer::Initializer(_))));
    activations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::test_graphs::{node, value};
    use crate::onnx::proto::GraphProto;

    #[test]
    fn shapes_and_indices_are_not_activations() {
        let graph = GraphProto {
            node: vec![
                node("Relu", &["x"], &["a"]),
                node("Shape", &["a"], &["s"]),
                node("Reshape", &["a", "s"], &["r"]),
                node("ArgMax", &["r"], &["i"]),
            ],
            input: vec![value("x")],
            ..Default::default()
        };
        let index = GraphIndex::new(&graph).unwrap();
        let mut found: Vec<String> = float_activations(&index).into_iter().collect();
        found.sort();
        assert_eq!(found, ["a", "r", "x"]);
    }
}
