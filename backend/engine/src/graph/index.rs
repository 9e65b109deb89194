//! Who produces and who consumes each value of a graph.

use std::collections::{HashMap, HashSet};

use crate::onnx::proto::{GraphProto, NodeProto, TensorProto};
use crate::{Error, Result};

/// Position of a node in `GraphProto::node` at the time the index was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub usize);

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Producer {
    /// A graph input that is not an initializer.
    GraphInput,
    /// An initializer, by position in `GraphProto::initializer`.
    Initializer(usize),
    /// Output `slot` of a node.
    Node {
        /// The producing node.
        node: NodeId,
        /// Which of its outputs.
        slot: usize,
    },
}

/// One consumption of a value: input `slot` of `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Use {
    /// The consuming node.
    pub node: NodeId,
    /// Which of its inputs.
    pub slot: usize,
}

/// An index over a graph; rebuild it after every [`super::Patch`].
#[derive(Debug)]
pub struct GraphIndex<'g> {
    graph: &'g GraphProto,
    producers: HashMap<&'g str, Producer>,
    consumers: HashMap<&'g str, Vec<Use>>,
    graph_outputs: HashSet<&'g str>,
    order: Vec<NodeId>,
}

impl<'g> GraphIndex<'g> {
    /// Indexes `graph`; fails when a value has two producers or the graph has a cycle.
    pub fn new(graph: &'g GraphProto) -> Result<Self> {
        let mut producers = HashMap::new();
        for input in &graph.input {
            producers.insert(input.name.as_deref().unwrap_or(""), Producer::GraphInput);
        }
        for (i, init) in graph.initializer.iter().enumerate() {
            producers.insert(init.name.as_deref().unwrap_or(""), Producer::Initializer(i));
        }
        let mut consumers: HashMap<&str, Vec<Use>> = HashMap::new();
        for (n, node) in graph.node.iter().enumerate() {
            for (slot, output) in node.output.iter().enumerate() {
                if output.is_empty() {
                    continue;
                }
                let previous = producers.insert(
                    output.as_str(),
                    Producer::Node {
                        node: NodeId(n),
                        slot,
                    },
                );
                if previous.is_some() {
                    return Err(Error::InvalidModel(format!(
                        "value `{output}` is produced twice"
                    )));
                }
            }
            for (slot, input) in node.input.iter().enumerate() {
                if !input.is_empty() {
                    consumers.entry(input.as_str()).or_default().push(Use {
                        node: NodeId(n),
                        slot,
                    });
                }
            }
        }
        let graph_outputs = graph
            .output
            .iter()
            .filter_map(|o| o.name.as_deref())
            .collect();
        let order = super::topological_order(graph)?;
        Ok(Self {
            graph,
            producers,
            consumers,
            graph_outputs,
            order,
        })
    }

    /// The indexed graph.
    pub fn graph(&self) -> &'g GraphProto {
        self.graph
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &'g NodeProto {
        &self.graph.node[id.0]
    }

    /// Node ids in a topological order (stable: ties keep the file's order).
    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// Where `value` comes from, `None` when nothing produces it.
    pub fn producer(&self, value: &str) -> Option<Producer> {
        self.producers.get(value).copied()
    }

    /// The node producing `value`, if a node does.
    pub fn producer_node(&self, value: &str) -> Option<&'g NodeProto> {
        match self.producer(value)? {
            Producer::Node { node, .. } => Some(self.node(node)),
            _ => None,
        }
    }

    /// Every use of `value` as a node input.
    pub fn consumers(&self, value: &str) -> &[Use] {
        self.consumers.get(value).map_or(&[], Vec::as_slice)
    }

    /// Whether `value` is one of the graph's outputs.
    pub fn is_graph_output(&self, value: &str) -> bool {
        self.graph_outputs.contains(value)
    }

    /// The initializer named `value`, or the tensor of the `Constant` node producing it.
    pub fn constant(&self, value: &str) -> Option<&'g TensorProto> {
        match self.producer(value)? {
            Producer::Initializer(i) => self.graph.initializer.get(i),
            Producer::Node { node, .. } => {
                let node = self.node(node);
                (node.op_type.as_deref() == Some("Constant"))
                    .then(|| {
                        node.attribute
                            .iter()
                            .find(|a| a.name.as_deref() == Some("value"))
                    })
                    .flatten()
                    .and_then(|a| a.t.as_ref())
            }
            Producer::GraphInput => None,
        }
    }

    /// A name no value, node or initializer of the graph uses yet, derived from `base`.
    pub fn fresh_name(&self, base: &str, taken: &HashSet<String>) -> String {
        let free = |name: &str| {
            !self.producers.contains_key(name)
                && !self.consumers.contains_key(name)
                && !taken.contains(name)
                && !self
                    .graph
                    .node
                    .iter()
                    .any(|n| n.name.as_deref() == Some(name))
        };
        if free(base) {
            return base.to_owned();
        }
        (1..)
            .map(|i| format!("{base}_{i}"))
            .find(|name| free(name))
            .unwrap_or_else(|| base.to_owned())
    }
}
