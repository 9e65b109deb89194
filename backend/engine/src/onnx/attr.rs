//! Typed access to node attributes.

use super::proto::{AttributeProto, NodeProto, attribute_proto::AttributeType};
use crate::{Error, Result};

fn find<'n>(node: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    node.attribute
        .iter()
        .find(|a| a.name.as_deref() == Some(name))
}

fn wrong_type(node: &NodeProto, name: &str, expected: &str) -> Error {
    Error::InvalidModel(format!(
        "attribute `{name}` of node `{}` ({}) is not {expected}",
        node.name.as_deref().unwrap_or(""),
        node.op_type.as_deref().unwrap_or("")
    ))
}

/// The integer attribute `name`, `None` when absent, an error when of another type.
pub fn attr_i64(node: &NodeProto, name: &str) -> Result<Option<i64>> {
    match find(node, name) {
        None => Ok(None),
        Some(a)
            if a.r#type == Some(AttributeType::Int as i32)
                || (a.r#type.is_none() && a.i.is_some()) =>
        {
            Ok(a.i)
        }
        Some(_) => Err(wrong_type(node, name, "an integer")),
    }
}

/// The float attribute `name`, `None` when absent, an error when of another type.
pub fn attr_f32(node: &NodeProto, name: &str) -> Result<Option<f32>> {
    match find(node, name) {
        None => Ok(None),
        Some(a)
            if a.r#type == Some(AttributeType::Float as i32)
                || (a.r#type.is_none() && a.f.is_some()) =>
        {
            Ok(a.f)
        }
        Some(_) => Err(wrong_type(node, name, "a float")),
    }
}

/// The integer-list attribute `name`, `None` when absent, an error when of another type.
pub fn attr_ints(node: &NodeProto, name: &str) -> Result<Option<Vec<i64>>> {
    match find(node, name) {
        None => Ok(None),
        Some(a) if a.r#type == Some(AttributeType::Ints as i32) || a.r#type.is_none() => {
            Ok(Some(a.ints.clone()))
        }
        Some(_) => Err(wrong_type(node, name, "a list of integers")),
    }
}

/// The string attribute `name`, `None` when absent, an error when of another type or not UTF-8.
pub fn attr_string(node: &NodeProto, name: &str) -> Result<Option<String>> {
    match find(node, name) {
        None => Ok(None),
        Some(a)
            if a.r#type == Some(AttributeType::String as i32)
                || (a.r#type.is_none() && a.s.is_some()) =>
        {
            let bytes = a.s.clone().unwrap_or_default();
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| wrong_type(node, name, "a UTF-8 string"))
        }
        Some(_) => Err(wrong_type(node, name, "a string")),
    }
}

/// A new integer attribute.
pub fn int_attr(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_owned()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..Default::default()
    }
}

/// A new integer-list attribute.
pub fn ints_attr(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_owned()),
        r#type: Some(AttributeType::Ints as i32),
        ints: values.to_vec(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_with(attrs: Vec<AttributeProto>) -> NodeProto {
        NodeProto {
            name: Some("n".into()),
            op_type: Some("Conv".into()),
            attribute: attrs,
            ..Default::default()
        }
    }

    #[test]
    fn reads_typed_attributes_and_rejects_wrong_types() {
        let node = node_with(vec![int_attr("group", 2), ints_attr("strides", &[2, 2])]);
        assert_eq!(attr_i64(&node, "group").unwrap(), Some(2));
        assert_eq!(attr_ints(&node, "strides").unwrap(), Some(vec![2, 2]));
        assert_eq!(attr_i64(&node, "axis").unwrap(), None);
        let err = attr_i64(&node, "strides").unwrap_err().to_string();
        assert!(
            err.contains("`strides`") && err.contains("not an integer"),
            "{err}"
        );
        assert!(attr_f32(&node, "group").is_err());
    }
}
