//! A read-only index over an ONNX graph (producers, consumers, topological order) and
//! patch-style edits that change the graph in one step.

mod index;
mod patch;
mod toposort;

pub use index::{GraphIndex, NodeId, Producer, Use};
pub use patch::Patch;
pub(crate) use patch::drop_unread_initializers;
pub use toposort::topological_order;
