//! A Softmax over an inner axis as a Softmax over the last axis of a matrix, between two
//! Transposes.
//!
//! ONNX Runtime's CPU Softmax is fast only over the innermost axis: over another one (a DFL
//! head's `Softmax(axis=1)` on `[B, 16, 4, anchors]`) it runs about 7x slower than the same
//! work laid out last, Transposes included (YOLOv8n at batch 32: 65 ms against 20 ms). The
//! Softmax reads a Flatten of the transposed tensor and a Reshape restores its shape: ONNX
//! Runtime's transpose optimizer would otherwise push the Transposes through the Softmax and
//! undo the layout. The Transpose in front usually merges with the one that made the layout.

use super::fresh_name;
use crate::Result;
use crate::onnx::proto::{GraphProto, NodeProto};
use crate::onnx::{attr_i64, attr_ints, int_attr, ints_attr};

/// Rewrites every `Softmax` over an axis other than the last of an input whose rank is known
/// as `Transpose → Flatten → Softmax(axis=-1) → Reshape → Transpose`, the Transposes
/// swapping that axis with the last one; returns how many. Before opset 13 Softmax flattens from its axis on, so `opset` below 13
/// rewrites nothing.
pub(super) fn softmax_over_last_axis(graph: &mut GraphProto, opset: i64) -> Result<usize> {
    if opset < 13 {
        return Ok(0);
    }
    let mut rewritten = 0;
    let mut position = 0;
    while position < graph.node.len() {
        let node = &graph.node[position];
        if node.op_type.as_deref() != Some("Softmax") || node.input.len() != 1 {
            position += 1;
            continue;
        }
        let Some(rank) = known_rank(graph, &node.input[0])? else {
            position += 1;
            continue;
        };
        let axis = attr_i64(node, "axis")?.unwrap_or(-1);
        let axis = if axis < 0 { axis + rank } else { axis };
        if axis < 0 || axis >= rank - 1 {
            position += 1;
            continue;
        }
        let mut perm: Vec<i64> = (0..rank).collect();
        perm.swap(axis as usize, (rank - 1) as usize);
        let base = node.name.clone().unwrap_or_else(|| node.output[0].clone());
        let (input, output) = (node.input[0].clone(), node.output[0].clone());
        let name = |graph: &GraphProto, what: &str| fresh_name(graph, &format!("{base}_{what}"));
        let moved = name(graph, "last_axis_input");
        let matrix = name(graph, "last_axis_rows");
        let soft_rows = name(graph, "last_axis_softmax");
        let moved_shape = name(graph, "last_axis_shape");
        let soft_moved = name(graph, "last_axis_output");
        let node = |op: &str, what: &str, inputs: &[&str], output: &str| NodeProto {
            op_type: Some(op.into()),
            name: Some(format!("{base}_{what}")),
            input: inputs.iter().map(|i| (*i).to_owned()).collect(),
            output: vec![output.to_owned()],
            ..Default::default()
        };
        let mut before = node("Transpose", "to_last_axis", &[&input], &moved);
        before.attribute.push(ints_attr("perm", &perm));
        let mut flatten = node("Flatten", "rows", &[&moved], &matrix);
        flatten.attribute.push(int_attr("axis", rank - 1));
        let shape = node("Shape", "shape", &[&moved], &moved_shape);
        let reshape = node(
            "Reshape",
            "unflatten",
            &[&soft_rows, &moved_shape],
            &soft_moved,
        );
        let mut after = node("Transpose", "from_last_axis", &[&soft_moved], &output);
        after.attribute.push(ints_attr("perm", &perm));
        let softmax = &mut graph.node[position];
        softmax.input[0] = matrix;
        softmax.output[0] = soft_rows;
        softmax
            .attribute
            .retain(|a| a.name.as_deref() != Some("axis"));
        softmax.attribute.push(int_attr("axis", -1));
        let tail = [reshape, after];
        let head = [before, flatten, shape];
        graph.node.splice(position + 1..position + 1, tail);
        graph.node.splice(position..position, head);
        position += 6;
        position += 3;
        rewritten += 1;
    }
    Ok(rewritten)
}

/// The rank of `value` when the graph says it: its recorded shape, or the Transpose or
/// constant-shaped Reshape that makes it.
fn known_rank(graph: &GraphProto, value: &str) -> Result<Option<i64>> {
    let recorded = graph
        .value_info
        .iter()
        .chain(&graph.input)
        .chain(&graph.output)
        .find(|v| v.name.as_deref() == Some(value))
        .and_then(|v| v.r#type.as_ref()?.value.as_ref())
        .and_then(|t| match t {
            crate::onnx::proto::type_proto::Value::TensorType(t) => t.shape.as_ref(),
            _ => None,
        })
        .map(|shape| shape.dim.len() as i64);
    if recorded.is_some() {
        return Ok(recorded);
    }
    let Some(producer) = graph
        .node
        .iter()
        .find(|n| n.output.iter().any(|o| o == value))
    else {
        return Ok(None);
    };
    match producer.op_type.as_deref() {
        Some("Transpose") => Ok(attr_ints(producer, "perm")?.map(|perm| perm.len() as i64)),
        Some("Reshape") => Ok(producer
            .input
            .get(1)
            .and_then(|shape| super::initializer(graph, shape))
            .filter(|shape| shape.dims.len() == 1)
            .map(|shape| shape.dims[0])),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::node;
    use super::*;
    use crate::onnx::i64_tensor;

    fn softmax(axis: i64) -> NodeProto {
        let mut softmax = node("Softmax", &["t"], &["p"]);
        softmax.attribute.push(int_attr("axis", axis));
        softmax
    }

    fn dfl_graph(axis: i64) -> GraphProto {
        let mut transpose = node("Transpose", &["bins"], &["t"]);
        transpose.attribute.push(ints_attr("perm", &[0, 2, 1, 3]));
        GraphProto {
            node: vec![
                node("Reshape", &["x", "shape"], &["bins"]),
                transpose,
                softmax(axis),
                node("Conv", &["p", "w"], &["y"]),
            ],
            initializer: vec![i64_tensor("shape", &[4], &[1, 4, 16, 100])],
            ..Default::default()
        }
    }

    #[test]
    fn an_inner_axis_softmax_runs_over_the_last_axis_between_swapping_transposes() {
        let mut graph = dfl_graph(1);
        assert_eq!(softmax_over_last_axis(&mut graph, 17).unwrap(), 1);
        let ops: Vec<&str> = graph
            .node
            .iter()
            .map(|n| n.op_type.as_deref().unwrap())
            .collect();
        assert_eq!(
            ops,
            [
                "Reshape",
                "Transpose",
                "Transpose",
                "Flatten",
                "Shape",
                "Softmax",
                "Reshape",
                "Transpose",
                "Conv"
            ]
        );
        let [moved, rows, shape, softmax, unflatten, back] =
            [2, 3, 4, 5, 6, 7].map(|i| &graph.node[i]);
        for transpose in [moved, back] {
            assert_eq!(attr_ints(transpose, "perm").unwrap().unwrap(), [0, 3, 2, 1]);
        }
        assert_eq!(moved.input[0], "t");
        assert_eq!(attr_i64(rows, "axis").unwrap(), Some(3));
        assert_eq!(rows.input[0], moved.output[0]);
        assert_eq!(shape.input[0], moved.output[0]);
        assert_eq!(attr_i64(softmax, "axis").unwrap(), Some(-1));
        assert_eq!(softmax.input[0], rows.output[0]);
        assert_eq!(
            unflatten.input,
            [softmax.output[0].as_str(), shape.output[0].as_str()]
        );
        assert_eq!(back.input[0], unflatten.output[0]);
        assert_eq!(back.output[0], "p");
    }

    #[test]
    fn a_last_axis_softmax_an_unknown_rank_and_old_opsets_stay() {
        for (mut graph, opset) in [(dfl_graph(3), 17), (dfl_graph(-1), 17), (dfl_graph(1), 11)] {
            assert_eq!(softmax_over_last_axis(&mut graph, opset).unwrap(), 0);
        }
        let mut unknown = GraphProto {
            node: vec![softmax(1)],
            ..Default::default()
        };
        assert_eq!(softmax_over_last_axis(&mut unknown, 17).unwrap(), 0);
    }
}
