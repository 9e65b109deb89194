//! The element type of every value of a graph, from the declared types and simple rules
//! for the ops whose output type is not their first input's.

use std::collections::HashMap;

use crate::Result;
use crate::graph::GraphIndex;
use crate::onnx::proto::{
    GraphProto, NodeProto, ValueInfoProto, tensor_proto::DataType, type_proto,
};
use crate::onnx::{attr_i64, proto::attribute_proto::AttributeType};

/// Value name to ONNX element type (`DataType as i32`); values whose type cannot be told
/// are absent.
pub(super) type ElemTypes = HashMap<String, i32>;

/// The declared element type of a value, if it has one.
pub(super) fn declared_elem_type(info: &ValueInfoProto) -> Option<i32> {
    match info.r#type.as_ref()?.value.as_ref()? {
        type_proto::Value::TensorType(t) => t.elem_type.filter(|&e| e != 0),
        _ => None,
    }
}

/// Sets the declared element type of a tensor value.
pub(super) fn set_elem_type(info: &mut ValueInfoProto, elem: DataType) {
    if let Some(type_proto::Value::TensorType(t)) =
        info.r#type.as_mut().and_then(|t| t.value.as_mut())
    {
        t.elem_type = Some(elem as i32);
    }
}

/// Every value's element type: declared ones first, then node outputs in topological order.
pub(super) fn infer_elem_types(graph: &GraphProto, index: &GraphIndex<'_>) -> Result<ElemTypes> {
    let mut types = ElemTypes::new();
    for info in graph
        .input
        .iter()
        .chain(&graph.value_info)
        .chain(&graph.output)
    {
        if let (Some(name), Some(elem)) = (info.name.as_deref(), declared_elem_type(info)) {
            types.insert(name.to_owned(), elem);
        }
    }
    for init in &graph.initializer {
        if let (Some(name), Some(elem)) = (init.name.as_deref(), init.data_type) {
            types.insert(name.to_owned(), elem);
        }
    }
    for &id in index.order() {
        let node = index.node(id);
        for (slot, output) in node.output.iter().enumerate() {
            if output.is_empty() || types.contains_key(output) {
                continue;
            }
            if let Some(elem) = output_elem_type(node, slot, &types)? {
                types.insert(output.clone(), elem);
            }
        }
    }
    Ok(types)
}

fn input_type(node: &NodeProto, slot: usize, types: &ElemTypes) -> Option<i32> {
    node.input
        .get(slot)
        .filter(|n| !n.is_empty())
        .and_then(|n| types.get(n))
        .copied()
}

/// The element type of output `slot` of `node`, given its inputs' types.
fn output_elem_type(node: &NodeProto, slot: usize, types: &ElemTypes) -> Result<Option<i32>> {
    const INT64: i32 = DataType::Int64 as i32;
    const BOOL: i32 = DataType::Bool as i32;
    const FLOAT: i32 = DataType::Float as i32;
    let first_known = || node.input.iter().find_map(|n| types.get(n).copied());
    let op = node.op_type.as_deref().unwrap_or("");
    Ok(match (op, slot) {
        ("Cast", _) => attr_i64(node, "to")?.and_then(|t| i32::try_from(t).ok()),
        ("Constant", _) => constant_elem_type(node),
        ("ConstantOfShape", _) => Some(
            tensor_attr(node, "value")
                .and_then(|t| t.data_type)
                .unwrap_or(FLOAT),
        ),
        ("Shape" | "Size" | "NonZero" | "ArgMax" | "ArgMin" | "NonMaxSuppression", _)
        | ("TopK" | "MaxPool", 1)
        | ("Unique", 1..) => Some(INT64),
        (
            "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "Not" | "And" | "Or"
            | "Xor" | "IsNaN" | "IsInf",
            _,
        ) => Some(BOOL),
        ("QuantizeLinear", _) => match attr_i64(node, "output_dtype")? {
            Some(t) if t != 0 => i32::try_from(t).ok(),
            _ => Some(input_type(node, 2, types).unwrap_or(DataType::Uint8 as i32)),
        },
        ("DequantizeLinear", _) => input_type(node, 1, types),
        ("Where", _) => input_type(node, 1, types),
        ("CastLike", _) => input_type(node, 1, types),
        ("RandomNormal" | "RandomUniform", _) => Some(
            attr_i64(node, "dtype")?
                .and_then(|t| i32::try_from(t).ok())
                .unwrap_or(FLOAT),
        ),
        ("RandomNormalLike" | "RandomUniformLike" | "EyeLike", _) => {
            match attr_i64(node, "dtype")? {
                Some(t) => i32::try_from(t).ok(),
                None => first_known(),
            }
        }
        _ => first_known(),
    })
}

fn tensor_attr<'n>(node: &'n NodeProto, name: &str) -> Option<&'n crate::onnx::proto::TensorProto> {
    node.attribute
        .iter()
        .find(|a| a.name.as_deref() == Some(name))
        .and_then(|a| a.t.as_ref())
}

fn constant_elem_type(node: &NodeProto) -> Option<i32> {
    let attr = node.attribute.first()?;
    let kind = attr.r#type.and_then(|t| AttributeType::try_from(t).ok());
    match (attr.name.as_deref()?, kind) {
        ("value", _) => attr.t.as_ref()?.data_type,
        ("value_float" | "value_floats", _) => Some(DataType::Float as i32),
        ("value_int" | "value_ints", _) => Some(DataType::Int64 as i32),
        ("value_string" | "value_strings", _) => Some(DataType::String as i32),
        _ => None,
    }
}
