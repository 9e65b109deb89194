//! A Softmax over an inner axis as a Softmax over the last axis of a matrix, between two
//! Transposes.
//!
//! ONNX Runtime's CPU Softmax is fast only over the innermost axis: over another one (a DFL
//! head's `Softmax(axis=1)` on `[B, 16, 4, anchors]`) it runs about 7x slower than the same
//! work laid out last, Transposes included (YOLOv8n at batch 32: 65 ms against 20 ms). The
//! Softmax reads a Flatten of the transposed tensor and a Reshape restores its shape: ONNX
//! Runtime's transpose optimizer would otherwise push the Transposes through the Softmax and
//! undo the layout. The Transpose in front usually merges with the one that made the layout.

use super::{drop_unused_initializers, fresh_name};
use crate::Result;
use crate::onnx::proto::{GraphProto, NodeProto};
use crate::onnx::{
    DataType, attr_i64, attr_ints, attr_string, f32_tensor, i64_tensor, int_attr, ints_attr,
    tensor_f32,
};

/// Rewrites every `Softmax` over an axis other than the last of an input whose rank is known
/// as `Transpose → Flatten → Softmax(axis=-1) → Reshape → Transpose`, the Transposes
/// swapping that axis with the last one; returns how many. A 1×1 convolution reading such a
/// Softmax over channels (a DFL decode) becomes a MatMul on its rows, so the Transpose back
/// moves its few output channels instead of every bin. Before opset 13 Softmax flattens from
/// its axis on, so `opset` below 13 rewrites nothing.
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
        let conv = channel_mixing_conv(graph, &output, axis, rank)?;
        let mut tail = Vec::new();
        // The rows the Reshape restores, the shape it gives them, and what the Transpose back
        // then produces: the Softmax's output, or the convolution's when it became a MatMul.
        let (rows, rows_shape, back_from) = match &conv {
            Some(conv) => {
                let mut mixed = name(graph, "last_axis_mixed");
                tail.push(node("MatMul", "mix", &[&soft_rows, &conv.weights], &mixed));
                if let Some(bias) = &conv.bias {
                    let biased = name(graph, "last_axis_biased");
                    tail.push(node("Add", "bias", &[&mixed, bias], &biased));
                    mixed = biased;
                }
                let [start, end, channels, leading, mixed_shape] = [
                    "last_axis_start",
                    "last_axis_end",
                    "last_axis_channels",
                    "last_axis_leading",
                    "last_axis_mixed_shape",
                ]
                .map(|what| name(graph, what));
                graph.initializer.push(i64_tensor(&start, &[1], &[0]));
                graph.initializer.push(i64_tensor(&end, &[1], &[rank - 1]));
                graph
                    .initializer
                    .push(i64_tensor(&channels, &[1], &[conv.out_channels]));
                tail.push(node(
                    "Slice",
                    "leading",
                    &[&moved_shape, &start, &end],
                    &leading,
                ));
                let mut joined = node(
                    "Concat",
                    "mixed_shape",
                    &[&leading, &channels],
                    &mixed_shape,
                );
                joined.attribute.push(int_attr("axis", 0));
                tail.push(joined);
                (mixed, mixed_shape, conv.output.clone())
            }
            None => (soft_rows.clone(), moved_shape.clone(), output.clone()),
        };
        tail.push(node(
            "Reshape",
            "unflatten",
            &[&rows, &rows_shape],
            &soft_moved,
        ));
        let mut after = node("Transpose", "from_last_axis", &[&soft_moved], &back_from);
        after.attribute.push(ints_attr("perm", &perm));
        tail.push(after);
        if let Some(conv) = &conv {
            graph
                .node
                .retain(|n| n.output.first() != Some(&conv.output));
        }
        let softmax = &mut graph.node[position];
        softmax.input[0] = matrix;
        softmax.output[0] = soft_rows;
        softmax
            .attribute
            .retain(|a| a.name.as_deref() != Some("axis"));
        softmax.attribute.push(int_attr("axis", -1));
        let head = [before, flatten, shape];
        let added = head.len() + tail.len();
        graph.node.splice(position + 1..position + 1, tail);
        graph.node.splice(position..position, head);
        position += added + 1;
        rewritten += 1;
    }
    if rewritten > 0 {
        drop_unused_initializers(graph);
    }
    Ok(rewritten)
}

/// A 1×1 convolution that mixes the channels of a Softmax over them, as the weights of a
/// MatMul on the Softmax's rows.
struct ChannelConv {
    /// The `[channels, out_channels]` initializer the MatMul multiplies by.
    weights: String,
    bias: Option<String>,
    out_channels: i64,
    /// The convolution's output, which the rewrite produces instead.
    output: String,
}

/// The convolution that alone reads `softmax_output`, a Softmax over the channels of a
/// rank-4 tensor, when it only mixes channels: a 1×1 kernel of constant float weights, one
/// group, stride 1, no padding. Its weights are added, transposed, as an initializer.
fn channel_mixing_conv(
    graph: &mut GraphProto,
    softmax_output: &str,
    axis: i64,
    rank: i64,
) -> Result<Option<ChannelConv>> {
    if axis != 1 || rank != 4 || super::readers(graph, softmax_output) != 1 {
        return Ok(None);
    }
    let Some(conv) = graph.node.iter().find(|n| {
        n.op_type.as_deref() == Some("Conv")
            && n.input.first().map(String::as_str) == Some(softmax_output)
    }) else {
        return Ok(None);
    };
    let all = |name: &str, value: i64| -> Result<bool> {
        Ok(attr_ints(conv, name)?.is_none_or(|values| values.iter().all(|v| *v == value)))
    };
    if attr_i64(conv, "group")?.unwrap_or(1) != 1
        || !all("strides", 1)?
        || !all("dilations", 1)?
        || !all("pads", 0)?
        || !all("kernel_shape", 1)?
        || attr_string(conv, "auto_pad")?.is_some_and(|pad| pad != "NOTSET")
    {
        return Ok(None);
    }
    let Some(weights) = conv
        .input
        .get(1)
        .and_then(|w| super::initializer(graph, w))
        .filter(|w| w.data_type == Some(DataType::Float as i32))
    else {
        return Ok(None);
    };
    let [out_channels, channels, 1, 1] = weights.dims[..] else {
        return Ok(None);
    };
    let values = tensor_f32(weights)?;
    let (rows, columns) = (channels as usize, out_channels as usize);
    let transposed: Vec<f32> = (0..rows * columns)
        .map(|at| values[(at % columns) * rows + at / columns])
        .collect();
    let name = fresh_name(graph, &format!("{}_rows", conv.input[1]));
    let bias = conv.input.get(2).filter(|b| !b.is_empty()).cloned();
    let output = conv.output[0].clone();
    graph
        .initializer
        .push(f32_tensor(&name, &[channels, out_channels], &transposed));
    Ok(Some(ChannelConv {
        weights: name,
        bias,
        out_channels,
        output,
    }))
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

    fn op_types(graph: &GraphProto) -> Vec<&str> {
        graph
            .node
            .iter()
            .map(|n| n.op_type.as_deref().unwrap())
            .collect()
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
        let ops = op_types(&graph);
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
    fn a_1x1_conv_over_the_softmax_channels_becomes_a_matmul_on_its_rows() {
        let mut graph = dfl_graph(1);
        let arange: Vec<f32> = (0..32).map(|i| i as f32).collect();
        graph
            .initializer
            .push(crate::onnx::f32_tensor("w", &[2, 16, 1, 1], &arange));
        assert_eq!(softmax_over_last_axis(&mut graph, 17).unwrap(), 1);
        let ops = op_types(&graph);
        assert_eq!(
            ops,
            [
                "Reshape",
                "Transpose",
                "Transpose",
                "Flatten",
                "Shape",
                "Softmax",
                "MatMul",
                "Slice",
                "Concat",
                "Reshape",
                "Transpose"
            ]
        );
        assert_eq!(graph.node[10].output[0], "y");
        let weights = graph
            .initializer
            .iter()
            .find(|t| t.name.as_deref() == Some(graph.node[6].input[1].as_str()))
            .unwrap();
        assert_eq!(weights.dims, [16, 2]);
        let rows = tensor_f32(weights).unwrap();
        assert_eq!((rows[0], rows[1], rows[2], rows[3]), (0.0, 16.0, 1.0, 17.0));
        assert!(
            graph
                .initializer
                .iter()
                .all(|t| t.name.as_deref() != Some("w"))
        );
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
