//! Identity nodes removed: their readers read the Identity's input.

use crate::onnx::proto::GraphProto;

/// Removes every Identity whose output is not a graph output; returns how many.
pub(super) fn remove_identities(graph: &mut GraphProto) -> usize {
    let outputs: std::collections::HashSet<String> =
        graph.output.iter().filter_map(|o| o.name.clone()).collect();
    let mut removed = 0;
    loop {
        let found = graph.node.iter().position(|n| {
            n.op_type.as_deref() == Some("Identity")
                && n.input.len() == 1
                && n.output.len() == 1
                && !outputs.contains(&n.output[0])
        });
        let Some(position) = found else {
            return removed;
        };
        let identity = graph.node.remove(position);
        let (from, to) = (&identity.output[0], &identity.input[0]);
        for input in graph.node.iter_mut().flat_map(|n| n.input.iter_mut()) {
            if input == from {
                input.clone_from(to);
            }
        }
        removed += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::{node, value};
    use super::*;

    #[test]
    fn readers_of_an_identity_read_its_input_and_graph_outputs_stay() {
        let mut graph = GraphProto {
            node: vec![
                node("Identity", &["x"], &["a"]),
                node("Relu", &["a"], &["b"]),
                node("Identity", &["b"], &["y"]),
            ],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(remove_identities(&mut graph), 1);
        assert_eq!(graph.node[0].input, vec!["x".to_owned()]);
        assert_eq!(graph.node.len(), 2);
    }
}
