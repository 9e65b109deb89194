//! The conversion itself: decide each value's precision, then patch the graph.

use std::collections::HashSet;

use super::Fp16Options;
use super::elem_types::{ElemTypes, declared_elem_type, infer_elem_types, set_elem_type};
use super::half_tensor::to_half_tensor;
use crate::graph::{GraphIndex, NodeId, Patch, Producer, Use};
use crate::onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, attribute_proto::AttributeType,
    tensor_proto::DataType,
};
use crate::onnx::{attr_i64, int_attr};
use crate::{Error, Result};

const FLOAT: i32 = DataType::Float as i32;

/// Node inputs ONNX only allows as float32, whatever the node's data type.
const FLOAT32_INPUTS: &[(&str, usize)] = &[("Resize", 1), ("Resize", 2), ("Upsample", 1)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Half,
    Single,
}

impl Precision {
    fn data_type(self) -> DataType {
        match self {
            Self::Half => DataType::Float16,
            Self::Single => DataType::Float,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::Half => "fp16",
            Self::Single => "fp32",
        }
    }
}

/// What to change besides the patch: tensors and types turned to float16.
#[derive(Default)]
struct Changes {
    patch: Patch,
    half_initializers: HashSet<String>,
    half_constant_nodes: Vec<NodeId>,
    half_values: HashSet<String>,
    half_graph_inputs: HashSet<String>,
    half_graph_outputs: HashSet<String>,
    casts_to_half: Vec<NodeId>,
    half_fill_values: Vec<NodeId>,
}

/// `model` with float16 weights and compute; see the module documentation for what stays
/// float32. Models with subgraphs (If, Loop, Scan) are refused.
pub fn convert_to_fp16(model: &ModelProto, options: &Fp16Options) -> Result<ModelProto> {
    let mut model = model.clone();
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    if let Some(node) = graph.node.iter().find(|n| {
        n.attribute
            .iter()
            .any(|a| a.g.is_some() || !a.graphs.is_empty())
    }) {
        return Err(Error::Unsupported(format!(
            "node `{}` ({}) has a subgraph; FP16 conversion handles flat graphs only",
            node.name.as_deref().unwrap_or(""),
            node.op_type.as_deref().unwrap_or("")
        )));
    }
    let changes = {
        let index = GraphIndex::new(graph)?;
        let types = infer_elem_types(graph, &index)?;
        Planner {
            index: &index,
            types: &types,
            options,
        }
        .plan()?
    };
    apply(graph, changes)?;
    Ok(model)
}

struct Planner<'a, 'g> {
    index: &'a GraphIndex<'g>,
    types: &'a ElemTypes,
    options: &'a Fp16Options,
}

impl Planner<'_, '_> {
    fn blocked(&self, node: &NodeProto) -> bool {
        let op = node.op_type.as_deref().unwrap_or("");
        let foreign = !matches!(node.domain.as_deref(), None | Some("" | "ai.onnx"));
        foreign
            || self.options.keep_float_ops.iter().any(|o| o == op)
            || node
                .name
                .as_deref()
                .is_some_and(|n| self.options.keep_float_nodes.iter().any(|k| k == n))
    }

    fn wanted(&self, use_: Use) -> Precision {
        let node = self.index.node(use_.node);
        let op = node.op_type.as_deref().unwrap_or("");
        if self.blocked(node) || FLOAT32_INPUTS.contains(&(op, use_.slot)) {
            Precision::Single
        } else {
            Precision::Half
        }
    }

    fn plan(&self) -> Result<Changes> {
        let mut changes = Changes::default();
        let graph = self.index.graph();
        let values = graph
            .input
            .iter()
            .filter_map(|i| i.name.as_deref())
            .chain(graph.initializer.iter().filter_map(|t| t.name.as_deref()))
            .chain(
                self.index
                    .order()
                    .iter()
                    .flat_map(|&id| self.index.node(id).output.iter().map(String::as_str)),
            );
        let mut seen = HashSet::new();
        for value in values {
            if !value.is_empty()
                && self.types.get(value) == Some(&FLOAT)
                && seen.insert(value.to_owned())
            {
                self.plan_value(value, &mut changes)?;
            }
        }
        for &id in self.index.order() {
            let node = self.index.node(id);
            if self.blocked(node) {
                continue;
            }
            match node.op_type.as_deref() {
                Some("Cast") if attr_i64(node, "to")? == Some(i64::from(FLOAT)) => {
                    changes.casts_to_half.push(id);
                }
                Some("ConstantOfShape")
                    if node.output.first().and_then(|o| self.types.get(o)) == Some(&FLOAT) =>
                {
                    changes.half_fill_values.push(id);
                }
                _ => {}
            }
        }
        Ok(changes)
    }

    /// The precision a float32 value lives in.
    fn home(&self, value: &str, producer: Producer) -> Precision {
        let keep_io = self.options.keep_io_types;
        let is_output = self.index.is_graph_output(value);
        let any_use_wants_half = || {
            self.index
                .consumers(value)
                .iter()
                .any(|&u| self.wanted(u) == Precision::Half)
                || (is_output && !keep_io)
        };
        let precision = match producer {
            Producer::GraphInput => !keep_io,
            Producer::Initializer(_) => !(is_output && keep_io) && any_use_wants_half(),
            Producer::Node { node, .. } => {
                let node = self.index.node(node);
                if self.blocked(node) {
                    false
                } else if node.op_type.as_deref() == Some("Constant") {
                    has_value_tensor(node) && any_use_wants_half()
                } else {
                    true
                }
            }
        };
        if precision {
            Precision::Half
        } else {
            Precision::Single
        }
    }

    fn plan_value(&self, value: &str, changes: &mut Changes) -> Result<()> {
        let Some(producer) = self.index.producer(value) else {
            return Ok(());
        };
        let home = self.home(value, producer);
        let mut home_name = value.to_owned();
        let mut other_name = None;
        if self.index.is_graph_output(value) {
            match (producer, home, self.options.keep_io_types) {
                (Producer::Node { node, slot }, Precision::Half, true) => {
                    home_name = changes
                        .patch
                        .fresh_name(self.index, &format!("{value}_fp16"));
                    changes.patch.rename_output(node, slot, home_name.clone());
                    changes
                        .patch
                        .add_node(cast(&home_name, value, Precision::Single));
                    other_name = Some(value.to_owned());
                }
                (_, Precision::Half, false) => {
                    changes.half_graph_outputs.insert(value.to_owned());
                }
                _ => {}
            }
        }
        if home == Precision::Half {
            changes.half_values.insert(home_name.clone());
            match producer {
                Producer::GraphInput => {
                    changes.half_graph_inputs.insert(value.to_owned());
                }
                Producer::Initializer(_) => {
                    changes.half_initializers.insert(value.to_owned());
                }
                Producer::Node { node, .. }
                    if self.index.node(node).op_type.as_deref() == Some("Constant") =>
                {
                    changes.half_constant_nodes.push(node);
                }
                Producer::Node { .. } => {}
            }
        }
        for &use_ in self.index.consumers(value) {
            if self.wanted(use_) == home {
                if home_name != value {
                    changes.patch.rewire(use_, home_name.clone());
                }
                continue;
            }
            let other = match &other_name {
                Some(name) => name.clone(),
                None => {
                    let name = self.convert_copy(value, &home_name, producer, home, changes)?;
                    other_name = Some(name.clone());
                    name
                }
            };
            changes.patch.rewire(use_, other);
        }
        Ok(())
    }

    /// A copy of `value` in the other precision: a converted initializer, else a Cast.
    fn convert_copy(
        &self,
        value: &str,
        home_name: &str,
        producer: Producer,
        home: Precision,
        changes: &mut Changes,
    ) -> Result<String> {
        let other = match home {
            Precision::Half => Precision::Single,
            Precision::Single => Precision::Half,
        };
        let name = changes
            .patch
            .fresh_name(self.index, &format!("{value}_{}", other.suffix()));
        if let Producer::Initializer(i) = producer
            && let Some(tensor) = self.index.graph().initializer.get(i)
        {
            let mut copy = match other {
                Precision::Single => tensor.clone(),
                Precision::Half => to_half_tensor(tensor)?,
            };
            copy.name = Some(name.clone());
            changes.patch.add_initializer(copy);
        } else {
            changes.patch.add_node(cast(home_name, &name, other));
        }
        Ok(name)
    }
}

fn has_value_tensor(node: &NodeProto) -> bool {
    node.attribute
        .iter()
        .any(|a| a.name.as_deref() == Some("value") && a.t.is_some())
}

fn cast(input: &str, output: &str, to: Precision) -> NodeProto {
    NodeProto {
        op_type: Some("Cast".into()),
        name: Some(format!("{output}_cast")),
        input: vec![input.to_owned()],
        output: vec![output.to_owned()],
        attribute: vec![int_attr("to", to.data_type() as i64)],
        ..Default::default()
    }
}

fn apply(graph: &mut GraphProto, changes: Changes) -> Result<()> {
    for init in &mut graph.initializer {
        if changes
            .half_initializers
            .contains(init.name.as_deref().unwrap_or(""))
        {
            *init = to_half_tensor(init)?;
        }
    }
    for id in &changes.half_constant_nodes {
        if let Some(node) = graph.node.get_mut(id.0) {
            for attr in node
                .attribute
                .iter_mut()
                .filter(|a| a.name.as_deref() == Some("value"))
            {
                if let Some(t) = attr.t.as_mut() {
                    *t = to_half_tensor(t)?;
                }
            }
        }
    }
    for id in &changes.casts_to_half {
        if let Some(node) = graph.node.get_mut(id.0) {
            node.attribute.retain(|a| a.name.as_deref() != Some("to"));
            node.attribute
                .push(int_attr("to", DataType::Float16 as i64));
        }
    }
    for id in &changes.half_fill_values {
        if let Some(node) = graph.node.get_mut(id.0) {
            half_fill_value(node)?;
        }
    }
    let half_io = |name: &str, set: &HashSet<String>| set.contains(name);
    for info in &mut graph.input {
        let name = info.name.clone().unwrap_or_default();
        if half_io(&name, &changes.half_graph_inputs) || half_io(&name, &changes.half_initializers)
        {
            set_elem_type(info, DataType::Float16);
        }
    }
    for info in &mut graph.output {
        if half_io(
            info.name.as_deref().unwrap_or(""),
            &changes.half_graph_outputs,
        ) {
            set_elem_type(info, DataType::Float16);
        }
    }
    for info in &mut graph.value_info {
        if declared_elem_type(info) == Some(FLOAT)
            && changes
                .half_values
                .contains(info.name.as_deref().unwrap_or(""))
        {
            set_elem_type(info, DataType::Float16);
        }
    }
    changes.patch.apply(graph)
}

/// Gives a ConstantOfShape a float16 fill value (float32 zero when it had none).
fn half_fill_value(node: &mut NodeProto) -> Result<()> {
    match node
        .attribute
        .iter_mut()
        .find(|a| a.name.as_deref() == Some("value"))
        .and_then(|a| a.t.as_mut())
    {
        Some(t) => *t = to_half_tensor(t)?,
        None => node.attribute.push(AttributeProto {
            name: Some("value".into()),
            r#type: Some(AttributeType::Tensor as i32),
            t: Some(to_half_tensor(&crate::onnx::f32_tensor(
                "value",
                &[1],
                &[0.0],
            ))?),
            ..Default::default()
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::f32_tensor;
    use crate::onnx::proto::{
        OperatorSetIdProto, TensorShapeProto, TypeProto, ValueInfoProto, tensor_shape_proto,
        type_proto,
    };

    fn value(name: &str, dims: &[i64]) -> ValueInfoProto {
        let dim = dims
            .iter()
            .map(|&d| tensor_shape_proto::Dimension {
                value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
                ..Default::default()
            })
            .collect();
        ValueInfoProto {
            name: Some(name.into()),
            r#type: Some(TypeProto {
                value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                    elem_type: Some(FLOAT),
                    shape: Some(TensorShapeProto { dim }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn node(op: &str, name: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            name: Some(name.into()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    /// x -> Conv(w) -> a -> Resize(scales) -> y, and a second output z = Mul(a, w_scalar).
    fn tiny_model() -> ModelProto {
        ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(13),
            }],
            graph: Some(GraphProto {
                node: vec![
                    node("Conv", "conv", &["x", "w"], "a"),
                    node("Resize", "resize", &["a", "", "scales"], "y"),
                    node("Mul", "mul", &["a", "k"], "z"),
                ],
                initializer: vec![
                    f32_tensor("w", &[1, 1, 1, 1], &[0.5]),
                    f32_tensor("scales", &[4], &[1.0, 1.0, 2.0, 2.0]),
                    f32_tensor("k", &[1], &[3.0]),
                ],
                input: vec![value("x", &[1, 1, 2, 2])],
                output: vec![value("y", &[1, 1, 4, 4]), value("z", &[1, 1, 2, 2])],
                value_info: vec![value("a", &[1, 1, 2, 2])],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn elem_type_of(graph: &GraphProto, name: &str) -> Option<i32> {
        graph
            .initializer
            .iter()
            .find(|t| t.name.as_deref() == Some(name))
            .and_then(|t| t.data_type)
    }

    fn ops(graph: &GraphProto) -> Vec<&str> {
        graph
            .node
            .iter()
            .map(|n| n.op_type.as_deref().unwrap_or(""))
            .collect()
    }

    #[test]
    fn weights_turn_half_resize_scales_stay_float_and_io_is_cast() {
        let model = convert_to_fp16(&tiny_model(), &Fp16Options::default()).unwrap();
        let graph = model.graph.unwrap();
        let half = DataType::Float16 as i32;
        assert_eq!(elem_type_of(&graph, "w"), Some(half));
        assert_eq!(elem_type_of(&graph, "k"), Some(half));
        assert_eq!(elem_type_of(&graph, "scales"), Some(FLOAT));
        assert_eq!(ops(&graph).iter().filter(|o| **o == "Cast").count(), 3);
        let conv = graph
            .node
            .iter()
            .find(|n| n.name.as_deref() == Some("conv"));
        assert_ne!(
            conv.unwrap().input[0],
            "x",
            "the Conv reads a float16 copy of x"
        );
        for output in ["y", "z"] {
            let producer = graph.node.iter().find(|n| n.output[0] == output).unwrap();
            assert_eq!(producer.op_type.as_deref(), Some("Cast"));
            assert_eq!(attr_i64(producer, "to").unwrap(), Some(i64::from(FLOAT)));
        }
        assert_eq!(declared_elem_type(&graph.value_info[0]), Some(half));
    }

    #[test]
    fn a_kept_node_stays_float32_with_casts_around_it() {
        let options = Fp16Options {
            keep_float_nodes: vec!["mul".into()],
            ..Fp16Options::default()
        };
        let model = convert_to_fp16(&tiny_model(), &options).unwrap();
        let graph = model.graph.unwrap();
        assert_eq!(elem_type_of(&graph, "k"), Some(FLOAT));
        let mul = graph
            .node
            .iter()
            .find(|n| n.name.as_deref() == Some("mul"))
            .unwrap();
        assert_eq!(mul.output[0], "z", "a float32 output needs no cast");
        let cast_in = graph
            .node
            .iter()
            .find(|n| n.output[0] == mul.input[0])
            .unwrap();
        assert_eq!(cast_in.op_type.as_deref(), Some("Cast"));
    }

    #[test]
    fn a_weight_read_by_half_and_float_nodes_gets_a_float_copy() {
        let mut model = tiny_model();
        let graph = model.graph.as_mut().unwrap();
        graph.node[2].input[1] = "w".into();
        let options = Fp16Options {
            keep_float_nodes: vec!["mul".into()],
            ..Fp16Options::default()
        };
        let graph = convert_to_fp16(&model, &options).unwrap().graph.unwrap();
        assert_eq!(elem_type_of(&graph, "w"), Some(DataType::Float16 as i32));
        assert_eq!(elem_type_of(&graph, "w_fp32"), Some(FLOAT));
        let mul = graph.node.iter().find(|n| n.name.as_deref() == Some("mul"));
        assert_eq!(mul.unwrap().input[1], "w_fp32");
    }

    #[test]
    fn the_converted_tiny_model_runs_in_onnx_runtime() {
        use crate::runtime::{SessionConfig, run_f32, session_from_bytes};
        let model = convert_to_fp16(&tiny_model(), &Fp16Options::default()).unwrap();
        let bytes = crate::onnx::encode_model(&model);
        let mut session = session_from_bytes(&bytes, &SessionConfig::default()).unwrap();
        let x = ndarray::ArrayD::from_shape_vec(vec![1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]);
        let out = run_f32(&mut session, "x", x.unwrap().view(), &[]).unwrap();
        assert_eq!(
            out["z"].iter().copied().collect::<Vec<_>>(),
            [1.5, 3.0, 4.5, 6.0]
        );
        assert_eq!(out["y"].shape(), [1, 1, 4, 4]);
    }
}
