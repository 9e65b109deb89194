//! Batch re-targeting: rewrite a model's batch dimension and the literal batch constants
//! inside its graph.

use std::collections::HashSet;
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
    let shape_values = shape_values(&index);
    let mut patch = Patch::new();
    for &id in index.order() {
        let node = index.node(id);
        let (slot, replacement) = match node.op_type.as_deref() {
            Some("Reshape") if !shape_values.contains(node.input[0].as_str()) => (1, new_first),
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

/// The values computed from tensor shapes (`Shape`, `Size`) and constants only: a Reshape of
/// one of them (`[1, -1]` of a shape) has no batch dimension, whatever its leading number.
fn shape_values<'g>(index: &GraphIndex<'g>) -> HashSet<&'g str> {
    let mut values: HashSet<&'g str> = HashSet::new();
    for &id in index.order() {
        let node = index.node(id);
        let from_shapes = matches!(node.op_type.as_deref(), Some("Shape" | "Size"))
            || (node.input.iter().any(|i| values.contains(i.as_str()))
                && node.input.iter().all(|i| {
                    i.is_empty() || values.contains(i.as_str()) || index.constant(i).is_some()
                }));
        if from_shapes {
            values.extend(node.output.iter().map(String::as_str));
        }
    }
    values
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::test_graphs::node;
    use crate::onnx::proto::{GraphProto, TensorShapeProto, TypeProto};

    fn input(name: &str, dims: &[i64]) -> ValueInfoProto {
        ValueInfoProto {
            name: Some(name.to_owned()),
            r#type: Some(TypeProto {
                value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                    elem_type: Some(1),
                    shape: Some(TensorShapeProto {
                        dim: dims
                            .iter()
                            .map(|&d| Dimension {
                                value: Some(Dim::DimValue(d)),
                                denotation: None,
                            })
                            .collect(),
                    }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_batch_reshape_follows_the_batch_but_a_reshaped_shape_does_not() {
        let model = ModelProto {
            graph: Some(GraphProto {
                node: vec![
                    node("Reshape", &["x", "flat"], &["rows"]),
                    node("Shape", &["rows"], &["dims"]),
                    node("Reshape", &["dims", "flat"], &["dims_row"]),
                ],
                initializer: vec![i64_tensor("flat", &[2], &[1, -1])],
                input: vec![input("x", &[1, 3, 4, 4])],
                output: vec![input("rows", &[1, 48])],
                ..Default::default()
            }),
            ..Default::default()
        };
        let retargeted = retarget_batch(&model, BatchSize::Fixed(32)).unwrap();
        let graph = retargeted.graph.unwrap();
        let shape_of = |slot: usize| {
            let name = &graph.node[slot].input[1];
            let tensor = graph
                .initializer
                .iter()
                .find(|t| t.name.as_deref() == Some(name.as_str()))
                .unwrap();
            tensor_i64(tensor).unwrap()
        };
        assert_eq!(shape_of(0), [32, -1]);
        assert_eq!(shape_of(2), [1, -1]);
    }
}
