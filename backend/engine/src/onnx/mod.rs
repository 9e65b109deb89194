//! ONNX protobuf types and the helpers to read, build and write them.

mod attr;
mod io;
#[allow(missing_docs, clippy::all, unreachable_pub)]
#[rustfmt::skip]
pub mod proto;
mod tensor;

pub use attr::{attr_f32, attr_i64, attr_ints, attr_string, int_attr, ints_attr};
pub use io::{SaveOptions, decode_model, encode_model, load_model, save_model};
pub use tensor::{
    DataType, f32_tensor, i8_tensor, i32_tensor, i64_tensor, tensor_f32, tensor_i64, u8_tensor,
};

/// Name of the default ONNX operator domain, as stored in `opset_import`.
pub const DEFAULT_DOMAIN: &str = "";

/// The shape of a graph input or output: a number per fixed dimension, the name of a
/// symbolic one, `?` for an unknown one; empty when the model does not say.
pub fn tensor_shape(value: &proto::ValueInfoProto) -> Vec<String> {
    use proto::tensor_shape_proto::dimension::Value as Dim;
    match value.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(proto::type_proto::Value::TensorType(t)) => t
            .shape
            .as_ref()
            .map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(Dim::DimValue(v)) => v.to_string(),
                        Some(Dim::DimParam(p)) => p.clone(),
                        None => "?".into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A float tensor's value info of fixed shape `dims`.
pub fn float_value_info(name: &str, dims: &[i64]) -> proto::ValueInfoProto {
    use proto::tensor_shape_proto::{Dimension, dimension::Value as Dim};
    proto::ValueInfoProto {
        name: Some(name.to_owned()),
        r#type: Some(proto::TypeProto {
            value: Some(proto::type_proto::Value::TensorType(
                proto::type_proto::Tensor {
                    elem_type: Some(DataType::Float as i32),
                    shape: Some(proto::TensorShapeProto {
                        dim: dims
                            .iter()
                            .map(|&d| Dimension {
                                value: Some(Dim::DimValue(d)),
                                ..Default::default()
                            })
                            .collect(),
                    }),
                },
            )),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The graph's real inputs: its `input` entries that are not initializers.
pub fn graph_inputs(graph: &proto::GraphProto) -> Vec<&proto::ValueInfoProto> {
    let initializers: std::collections::HashSet<&str> = graph
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    graph
        .input
        .iter()
        .filter(|i| !initializers.contains(i.name.as_deref().unwrap_or_default()))
        .collect()
}

/// The opset version the model imports for the default domain, if any.
pub fn default_opset(model: &proto::ModelProto) -> Option<i64> {
    model
        .opset_import
        .iter()
        .find(|o| {
            o.domain.as_deref().unwrap_or(DEFAULT_DOMAIN) == DEFAULT_DOMAIN
                || o.domain.as_deref() == Some("ai.onnx")
        })
        .and_then(|o| o.version)
}
