//! Edits collected against a [`GraphIndex`] and applied to the graph in one step.

use std::collections::HashSet;

use super::{GraphIndex, NodeId, Use};
use crate::Result;
use crate::onnx::proto::{GraphProto, NodeProto, TensorProto};

/// A set of edits: new nodes and initializers, inputs re-pointed at other values, outputs
/// renamed, initializers dropped once unused. Ids refer to the graph the index was built on.
#[derive(Debug, Default)]
pub struct Patch {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    rewires: Vec<(Use, String)>,
    renamed_outputs: Vec<(NodeId, usize, String)>,
    drop_if_unused: Vec<String>,
    reserved: HashSet<String>,
}

impl Patch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves and returns a name unused by the graph and by this patch.
    pub fn fresh_name(&mut self, index: &GraphIndex<'_>, base: &str) -> String {
        let name = index.fresh_name(base, &self.reserved);
        self.reserved.insert(name.clone());
        name
    }

    /// Adds a node; its position is fixed by the topological sort in [`Patch::apply`].
    pub fn add_node(&mut self, node: NodeProto) {
        self.nodes.push(node);
    }

    /// Adds an initializer.
    pub fn add_initializer(&mut self, tensor: TensorProto) {
        self.initializers.push(tensor);
    }

    /// Makes input `use_.slot` of `use_.node` read `value` instead.
    pub fn rewire(&mut self, use_: Use, value: impl Into<String>) {
        self.rewires.push((use_, value.into()));
    }

    /// Renames output `slot` of `node`; its consumers are not changed.
    pub fn rename_output(&mut self, node: NodeId, slot: usize, value: impl Into<String>) {
        self.renamed_outputs.push((node, slot, value.into()));
    }

    /// Removes the initializer `name` if, after the patch, nothing reads it.
    pub fn drop_initializer_if_unused(&mut self, name: impl Into<String>) {
        self.drop_if_unused.push(name.into());
    }

    /// Applies every edit, then puts the nodes back in topological order.
    pub fn apply(self, graph: &mut GraphProto) -> Result<()> {
        for (use_, value) in self.rewires {
            if let Some(input) = graph
                .node
                .get_mut(use_.node.0)
                .and_then(|n| n.input.get_mut(use_.slot))
            {
                *input = value;
            }
        }
        for (node, slot, value) in self.renamed_outputs {
            if let Some(output) = graph
                .node
                .get_mut(node.0)
                .and_then(|n| n.output.get_mut(slot))
            {
                *output = value;
            }
        }
        graph.node.extend(self.nodes);
        graph.initializer.extend(self.initializers);
        if !self.drop_if_unused.is_empty() {
            let candidates: HashSet<String> = self.drop_if_unused.into_iter().collect();
            drop_unread_initializers(graph, |name| candidates.contains(name));
        }
        let order = super::topological_order(graph)?;
        if order.iter().enumerate().any(|(i, id)| id.0 != i) {
            let mut nodes: Vec<Option<NodeProto>> = std::mem::take(&mut graph.node)
                .into_iter()
                .map(Some)
                .collect();
            graph.node = order.iter().filter_map(|id| nodes[id.0].take()).collect();
        }
        Ok(())
    }
}

/// Removes the initializers that nothing reads (no node input, no graph output) and that
/// `droppable` accepts, with their graph-input entries.
pub(crate) fn drop_unread_initializers(graph: &mut GraphProto, droppable: impl Fn(&str) -> bool) {
    let read: HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .chain(graph.output.iter().filter_map(|o| o.name.as_deref()))
        .collect();
    let dropped: HashSet<String> = graph
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .filter(|name| !read.contains(name) && droppable(name))
        .map(str::to_owned)
        .collect();
    graph
        .initializer
        .retain(|t| !dropped.contains(t.name.as_deref().unwrap_or("")));
    graph
        .input
        .retain(|i| !dropped.contains(i.name.as_deref().unwrap_or("")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::{f32_tensor, proto::ValueInfoProto};

    fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            name: Some(outputs[0].to_uppercase()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn value(name: &str) -> ValueInfoProto {
        ValueInfoProto {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    /// x -> Relu -> a -> Conv(w) -> y
    fn tiny_graph() -> GraphProto {
        GraphProto {
            node: vec![
                node("Relu", &["x"], &["a"]),
                node("Conv", &["a", "w"], &["y"]),
            ],
            initializer: vec![f32_tensor("w", &[1, 1, 1, 1], &[2.0])],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        }
    }

    #[test]
    fn index_knows_producers_consumers_and_constants() {
        let graph = tiny_graph();
        let index = GraphIndex::new(&graph).unwrap();
        assert_eq!(
            index.producer("x"),
            Some(super::super::Producer::GraphInput)
        );
        assert_eq!(
            index.consumers("a"),
            &[Use {
                node: NodeId(1),
                slot: 0
            }]
        );
        assert!(index.constant("w").is_some());
        assert!(index.constant("a").is_none());
        assert!(index.is_graph_output("y"));
        assert_eq!(index.fresh_name("a", &HashSet::new()), "a_1");
    }

    #[test]
    fn inserted_nodes_land_in_topological_order() {
        let mut graph = tiny_graph();
        let index = GraphIndex::new(&graph).unwrap();
        let mut patch = Patch::new();
        let id = patch.fresh_name(&index, "a_id");
        patch.add_node(node("Identity", &["a"], &[&id]));
        patch.rewire(
            Use {
                node: NodeId(1),
                slot: 0,
            },
            id.clone(),
        );
        patch.apply(&mut graph).unwrap();
        let ops: Vec<_> = graph
            .node
            .iter()
            .map(|n| n.op_type.clone().unwrap())
            .collect();
        assert_eq!(ops, ["Relu", "Identity", "Conv"]);
        assert_eq!(graph.node[2].input[0], id);
    }

    #[test]
    fn unused_initializers_are_dropped_and_used_ones_kept() {
        let mut graph = tiny_graph();
        let mut patch = Patch::new();
        patch.drop_initializer_if_unused("w");
        patch.apply(&mut graph).unwrap();
        assert_eq!(graph.initializer.len(), 1, "w is still read by the Conv");
        let index = GraphIndex::new(&graph).unwrap();
        let mut patch = Patch::new();
        patch.add_initializer(f32_tensor("w2", &[1, 1, 1, 1], &[3.0]));
        patch.rewire(
            Use {
                node: NodeId(1),
                slot: 1,
            },
            "w2",
        );
        patch.drop_initializer_if_unused("w");
        drop(index);
        patch.apply(&mut graph).unwrap();
        let names: Vec<_> = graph
            .initializer
            .iter()
            .map(|t| t.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["w2"]);
    }

    #[test]
    fn a_cycle_is_an_error() {
        let mut graph = tiny_graph();
        graph.node[0].input[0] = "y".into();
        assert!(
            GraphIndex::new(&graph)
                .unwrap_err()
                .to_string()
                .contains("cycle")
        );
    }
}
