//! Constant nodes as initializers, so every rule sees one kind of constant.

use crate::onnx::proto::GraphProto;

/// Turns every `Constant` node holding a tensor (`value`) into an initializer of the same
/// name; returns how many.
pub(super) fn constant_nodes_to_initializers(graph: &mut GraphProto) -> usize {
    let mut moved = 0;
    let nodes = std::mem::take(&mut graph.node);
    for node in nodes {
        let tensor = (node.op_type.as_deref() == Some("Constant") && node.output.len() == 1)
            .then(|| {
                node.attribute
                    .iter()
                    .find(|a| a.name.as_deref() == Some("value"))
                    .and_then(|a| a.t.clone())
            })
            .flatten();
        match tensor {
            Some(mut tensor) => {
                tensor.name = node.output.first().cloned();
                graph.initializer.push(tensor);
                moved += 1;
            }
            None => graph.node.push(node),
        }
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::node;
    use super::*;
    use crate::onnx::f32_tensor;
    use crate::onnx::proto::AttributeProto;

    #[test]
    fn a_constant_node_becomes_an_initializer_of_its_output_name() {
        let mut constant = node("Constant", &[], &["c"]);
        constant.attribute.push(AttributeProto {
            name: Some("value".into()),
            t: Some(f32_tensor("ignored", &[1], &[2.0])),
            ..Default::default()
        });
        let mut graph = GraphProto {
            node: vec![constant, node("Mul", &["x", "c"], &["y"])],
            ..Default::default()
        };
        assert_eq!(constant_nodes_to_initializers(&mut graph), 1);
        assert_eq!(graph.node.len(), 1);
        assert_eq!(graph.initializer[0].name.as_deref(), Some("c"));
    }
}
