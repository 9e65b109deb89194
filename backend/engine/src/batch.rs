//! Batch re-targeting: rewrite a model's batch dimension and the literal batch constants
//! inside its graph.

use std::str::FromStr;

use crate::graph::{GraphIndex, Patch, Use};
use crate::onnx::proto::{
    ModelProto, ValueInfoProto,
    tensor_shape_proto::{Dimension, dimension::Value as Dim},
    type_proto,
};
use crate::onnx::{i64_tensor, tensor_i64};
use crate::{Error, Result};

/// The batch size a model is exported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchSize {
    /// A fixed batch size.
    Fixed(i64),
    /// A symbolic `batch` dimension.
    Dynamic,
}

impl FromStr for BatchSize {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "dynamic" {
            return Ok(Self::Dynamic);
        }
        match s.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Self::Fixed(n)),
            _ => Err(Error::InvalidInput(format!(
                "batch size `{s}` is neither a positive integer nor `dynamic`"
            ))),
        }
    }
}

impl std::fmt::Display for BatchSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed(n) => write!(f, "{n}"),
            Self::Dynamic => f.write_str("dynamic"),
        }
    }
}

/// The symbolic name given to a dynamic batch dimension.
pub const DYNAMIC_BATCH: &str = "batch";

/// A copy of `model` that runs at `batch`: graph inputs and outputs get the new leading
/// dimension, intermediate shape annotations are dropped (ONNX Runtime infers them), and
/// constant Reshape shapes and Resize sizes that spell the old batch out get the new one.
pub fn retarget_batch(model: &ModelProto, batch: BatchSize) -> Result<ModelProto> {
    let mut model = model.clone();
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let inputs: std::collections::HashSet<String> = crate::onnx::graph_inputs(graph)
        .into_iter()
        .filter_map(|i| i.name.clone())
        .collect();
    let mut old_batch = None;
    for input in graph
        .input
        .iter_mut()
        .filter(|i| inputs.contains(i.name.as_deref().unwrap_or("")))
    {
        let previous = set_leading_dim(input, batch)?;
        old_batch = old_batch.or(previous);
    }
    for output in graph.output.iter_mut() {
        set_leading_dim(output, batch)?;
    }
    graph.value_info.clear();
    let Some(old_batch) = old_batch else {
        return Ok(model);
    };
    let new_first = match batch {
        BatchSize::Fixed(n) => n,
        BatchSize::Dynamic => 0,
    };
    let index = GraphIndex::new(graph)?;
    let mut patch = Patch::new();
    for &id in index.order() {
        let node = index.node(id);
        let (slot, replacement) = match node.op_type.as_deref() {
            Some("Reshape") => (1, new_first),
            Some("Resize") if node.input.len() > 3 && matches!(batch, BatchSize::Fixed(_)) => {
                (3, new_first)
            }
            _ => continue,
        };
        let Some(shape_name) = node.input.get(slot).filter(|s| !s.is_empty()) else {
            continue;
        };
        let Some(shape) = index.constant(shape_name) else {
            continue;
        };
        let mut values = tensor_i64(shape)?;
        if values.first() != Some(&old_batch) {
            continue;
        }
        values[0] = replacement;
        let name = patch.fresh_name(&index, &format!("{shape_name}_batch_{batch}"));
        patch.add_initializer(i64_tensor(&name, &shape.dims, &values));
        patch.rewire(Use { node: id, slot }, name);
        patch.drop_initializer_if_unused(shape_name.clone());
    }
    drop(index);
    patch.apply(graph)?;
    Ok(model)
}

/// Sets the leading dimension of a tensor value; returns the old one when it was fixed.
fn set_leading_dim(value: &mut ValueInfoProto, batch: BatchSize) -> Result<Option<i64>> {
    let name = value.name.clone().unwrap_or_default();
    let Some(type_proto::Value::TensorType(tensor)) =
        value.r#type.as_mut().and_then(|t| t.value.as_mut())
    else {
        return Ok(None);
    };
    let Some(first) = tensor.shape.as_mut().and_then(|s| s.dim.first_mut()) else {
        return Err(Error::Unsupported(format!(
            "`{name}` has no batch dimension to re-target"
        )));
    };
    let old = match first.value {
        Some(Dim::DimValue(v)) => Some(v),
        _ => None,
    };
    *first = Dimension {
        value: Some(match batch {
            BatchSize::Fixed(n) => Dim::DimValue(n),
            BatchSize::Dynamic => Dim::DimParam(DYNAMIC_BATCH.to_owned()),
        }),
        denotation: first.denotation.take(),
    };
    Ok(old)
}
