//! Reading the names, types and shapes of a model's inputs and outputs.

use crate::onnx::proto::{
    GraphProto, ValueInfoProto, tensor_shape_proto::dimension::Value as DimValue, type_proto,
};
use crate::{Error, Result};

pub(super) use crate::onnx::graph_inputs;

/// The value called `name`, or the only value when `name` is `None`.
pub(super) fn find_value<'a>(
    values: &[&'a ValueInfoProto],
    name: Option<&str>,
    kind: &str,
) -> Result<&'a ValueInfoProto> {
    let names = || {
        values
            .iter()
            .map(|v| format!("`{}`", v.name.as_deref().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => values
            .iter()
            .copied()
            .find(|v| v.name.as_deref() == Some(name))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "the model has no {kind} `{name}`; its {kind}s are {}",
                    names()
                ))
            }),
        None => match values {
            [only] => Ok(only),
            _ => Err(Error::InvalidInput(format!(
                "the model has {} {kind}s ({}); the profile must name the {kind} to use",
                values.len(),
                names()
            ))),
        },
    }
}

pub(super) fn tensor_type(value: &ValueInfoProto) -> Option<&type_proto::Tensor> {
    match value.r#type.as_ref()?.value.as_ref()? {
        type_proto::Value::TensorType(tensor) => Some(tensor),
        _ => None,
    }
}

/// The dimensions of a value, `None` for each one that is not a positive constant; `None`
/// altogether when the model does not give the shape.
pub(super) fn dims(value: &ValueInfoProto) -> Option<Vec<Option<i64>>> {
    let shape = tensor_type(value)?.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match d.value {
                Some(DimValue::DimValue(size)) if size > 0 => Some(size),
                _ => None,
            })
            .collect(),
    )
}

pub(super) fn format_dims(dims: &[Option<i64>]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| d.map_or_else(|| "?".to_owned(), |s| s.to_string()))
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The input's static `(width, height)` when the model has one input of static NCHW shape.
pub(super) fn static_input_size(graph: &GraphProto) -> Option<(u32, u32)> {
    let input = find_value(&graph_inputs(graph), None, "input").ok()?;
    match dims(input)?.as_slice() {
        [_, _, Some(height), Some(width)] => {
            Some((u32::try_from(*width).ok()?, u32::try_from(*height).ok()?))
        }
        _ => None,
    }
}

pub(super) fn describe_outputs(graph: &GraphProto) -> String {
    graph
        .output
        .iter()
        .map(|o| {
            let shape = dims(o).map_or_else(|| "of unknown shape".to_owned(), |d| format_dims(&d));
            format!("`{}` {shape}", o.name.as_deref().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Hand-built models for the profile tests.
#[cfg(test)]
pub(super) mod fixtures {
    use crate::onnx::DataType;
    use crate::onnx::proto::{
        GraphProto, ModelProto, StringStringEntryProto, TensorShapeProto, TypeProto,
        ValueInfoProto,
        tensor_shape_proto::{Dimension, dimension::Value as DimValue},
        type_proto,
    };

    pub(in crate::profile) fn value(name: &str, shape: &[i64]) -> ValueInfoProto {
        let dim = shape
            .iter()
            .map(|&d| Dimension {
                value: Some(if d < 0 {
                    DimValue::DimParam("batch".into())
                } else {
                    DimValue::DimValue(d)
                }),
                ..Default::default()
            })
            .collect();
        let tensor = type_proto::Tensor {
            elem_type: Some(DataType::Float as i32),
            shape: Some(TensorShapeProto { dim }),
        };
        ValueInfoProto {
            name: Some(name.into()),
            r#type: Some(TypeProto {
                value: Some(type_proto::Value::TensorType(tensor)),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(in crate::profile) fn model(
        input: ValueInfoProto,
        outputs: Vec<ValueInfoProto>,
    ) -> ModelProto {
        ModelProto {
            graph: Some(GraphProto {
                input: vec![input],
                output: outputs,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(in crate::profile) fn nanodet_like() -> ModelProto {
        let outputs = vec![
            value("Identity:0", &[1, 2704, 80]),
            value("Identity_1:0", &[1, 676, 80]),
            value("Identity_2:0", &[1, 169, 80]),
            value("Identity_3:0", &[1, 2704, 44]),
            value("Identity_4:0", &[1, 676, 44]),
            value("Identity_5:0", &[1, 169, 44]),
        ];
        model(value("input_1:0", &[1, 3, 416, 416]), outputs)
    }

    pub(in crate::profile) fn with_metadata(
        mut model: ModelProto,
        entries: &[(&str, &str)],
    ) -> ModelProto {
        model.metadata_props = entries
            .iter()
            .map(|(k, v)| StringStringEntryProto {
                key: Some((*k).to_owned()),
                value: Some((*v).to_owned()),
            })
            .collect();
        model
    }

    /// Shaped like the PicoDet fixture: an 800 x 608 input, four levels, 10 classes, 8 bins,
    /// scores listed before distributions, class names in `character` metadata.
    pub(in crate::profile) fn picodet_like() -> ModelProto {
        let cells = [7600, 1900, 475, 130];
        let scores = cells
            .iter()
            .enumerate()
            .map(|(i, &n)| value(&format!("s{i}"), &[1, n, 10]));
        let distributions = cells
            .iter()
            .enumerate()
            .map(|(i, &n)| value(&format!("d{i}"), &[1, n, 32]));
        with_metadata(
            model(
                value("image", &[1, 3, 800, 608]),
                scores.chain(distributions).collect(),
            ),
            &[("character", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj")],
        )
    }

    pub(in crate::profile) fn single_output(input_side: i64, output_shape: &[i64]) -> ModelProto {
        model(
            value("images", &[-1, 3, input_side, input_side]),
            vec![value("output0", output_shape)],
        )
    }
}
