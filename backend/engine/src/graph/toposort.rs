//! A stable topological sort of a graph's nodes.

use std::collections::{BTreeSet, HashMap};

use super::NodeId;
use crate::onnx::proto::GraphProto;
use crate::{Error, Result};

/// Node ids in topological order; among ready nodes the one earliest in the file goes first,
/// so an already sorted graph keeps its order. Inputs that nothing produces (graph inputs,
/// initializers, outer-scope values) impose no constraint.
pub fn topological_order(graph: &GraphProto) -> Result<Vec<NodeId>> {
    let mut producer_of: HashMap<&str, usize> = HashMap::new();
    for (n, node) in graph.node.iter().enumerate() {
        for output in node.output.iter().filter(|o| !o.is_empty()) {
            producer_of.insert(output.as_str(), n);
        }
    }
    let mut pending = vec![0usize; graph.node.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    for (n, node) in graph.node.iter().enumerate() {
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            if let Some(&p) = producer_of.get(input.as_str()) {
                pending[n] += 1;
                dependents[p].push(n);
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..graph.node.len()).filter(|&n| pending[n] == 0).collect();
    let mut order = Vec::with_capacity(graph.node.len());
    while let Some(n) = ready.pop_first() {
        order.push(NodeId(n));
        for &d in &dependents[n] {
            pending[d] -= 1;
            if pending[d] == 0 {
                ready.insert(d);
            }
        }
    }
    if order.len() != graph.node.len() {
        return Err(Error::InvalidModel("the graph has a cycle".into()));
    }
    Ok(order)
}
