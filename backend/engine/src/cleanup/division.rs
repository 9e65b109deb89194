//! A division by a constant as a multiplication by its reciprocal.

use super::{drop_unused_initializers, fresh_name, initializer};
use crate::Result;
use crate::onnx::proto::GraphProto;
use crate::onnx::{DataType, f32_tensor, tensor_f32};

/// Rewrites every `Div(x, c)` with a constant float `c` of finite, non-zero values as
/// `Mul(x, 1/c)`; returns how many.
pub(super) fn divisions_to_multiplications(graph: &mut GraphProto) -> Result<usize> {
    let mut rewritten = 0;
    for position in 0..graph.node.len() {
        let node = &graph.node[position];
        if node.op_type.as_deref() != Some("Div") || node.input.len() != 2 {
            continue;
        }
        let Some(divisor) = initializer(graph, &node.input[1])
            .filter(|t| t.data_type == Some(DataType::Float as i32))
        else {
            continue;
        };
        let values = tensor_f32(divisor)?;
        if values.iter().any(|v| *v == 0.0 || !v.is_finite()) {
            continue;
        }
        let reciprocal: Vec<f32> = values.iter().map(|v| 1.0 / v).collect();
        let dims = divisor.dims.clone();
        let name = fresh_name(graph, &format!("{}_reciprocal", node.input[1]));
        graph
            .initializer
            .push(f32_tensor(&name, &dims, &reciprocal));
        let node = &mut graph.node[position];
        node.op_type = Some("Mul".into());
        node.input[1] = name;
        rewritten += 1;
    }
    if rewritten > 0 {
        drop_unused_initializers(graph);
    }
    Ok(rewritten)
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::node;
    use super::*;

    #[test]
    fn dividing_by_six_becomes_multiplying_by_a_sixth() {
        let mut graph = GraphProto {
            node: vec![node("Div", &["x", "six"], &["y"])],
            initializer: vec![f32_tensor("six", &[], &[6.0])],
            ..Default::default()
        };
        assert_eq!(divisions_to_multiplications(&mut graph).unwrap(), 1);
        assert_eq!(graph.node[0].op_type.as_deref(), Some("Mul"));
        let reciprocal = tensor_f32(&graph.initializer[0]).unwrap();
        assert_eq!(reciprocal, vec![1.0 / 6.0]);
    }

    #[test]
    fn dividing_by_a_tensor_or_by_zero_stays() {
        let mut graph = GraphProto {
            node: vec![
                node("Div", &["x", "z"], &["y"]),
                node("Div", &["x", "zero"], &["w"]),
            ],
            initializer: vec![f32_tensor("zero", &[1], &[0.0])],
            ..Default::default()
        };
        assert_eq!(divisions_to_multiplications(&mut graph).unwrap(), 0);
    }
}
