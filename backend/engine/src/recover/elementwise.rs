//! What a tensor's consumers compute of it elementwise: the chain of pointwise ops (an
//! activation function, decomposed or not) that reads only the tensor and scalars, as a
//! function the `ranges` pass can evaluate on sampled values.

use std::collections::HashMap;

use crate::graph::GraphIndex;
use crate::onnx::proto::NodeProto;
use crate::onnx::{attr_f32, tensor_f32};

/// The most ops one function follows: activation functions take a handful.
const MAX_STEPS: usize = 8;

/// An operand: an earlier value of the function (slot 0 is the tensor) or a scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    Slot(usize),
    Scalar(f32),
}

/// One pointwise op.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Add(Operand, Operand),
    Sub(Operand, Operand),
    Mul(Operand, Operand),
    Div(Operand, Operand),
    Clip(Operand, f32, f32),
    LeakyRelu(Operand, f32),
    Sigmoid(Operand),
    HardSigmoid(Operand, f32, f32),
    HardSwish(Operand),
    Tanh(Operand),
}

/// The function a tensor feeds: pointwise steps, and which values leave it (read by an op
/// outside it, or a graph output); slot 0, the tensor itself, leaves when any op outside
/// the function reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Elementwise {
    steps: Vec<Step>,
    outputs: Vec<usize>,
}

impl Elementwise {
    /// The function of `tensor` in the graph of `index`.
    pub(crate) fn of(index: &GraphIndex<'_>, tensor: &str) -> Self {
        let mut slots: HashMap<&str, usize> = HashMap::from([(tensor, 0)]);
        let mut steps = Vec::new();
        let mut members = Vec::new();
        for &id in index.order() {
            if steps.len() == MAX_STEPS {
                break;
            }
            let node = index.node(id);
            let reads_known = node.input.iter().any(|i| slots.contains_key(i.as_str()));
            let Some(output) = node.output.first().filter(|_| reads_known) else {
                continue;
            };
            if let Some(step) = step(index, node, &slots) {
                steps.push(step);
                members.push(id);
                slots.insert(output.as_str(), steps.len());
            }
        }
        let outputs = slots
            .iter()
            .filter(|(value, _)| {
                index.is_graph_output(value)
                    || index
                        .consumers(value)
                        .iter()
                        .any(|u| !members.contains(&u.node))
            })
            .map(|(_, &slot)| slot)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Self { steps, outputs }
    }

    /// The identity: a tensor read by no pointwise op.
    #[cfg(test)]
    pub(crate) fn identity() -> Self {
        Self {
            steps: Vec::new(),
            outputs: vec![0],
        }
    }

    /// A LeakyRelu of slope `alpha`.
    #[cfg(test)]
    pub(crate) fn leaky_relu(alpha: f32) -> Self {
        Self {
            steps: vec![Step::LeakyRelu(Operand::Slot(0), alpha)],
            outputs: vec![1],
        }
    }

    /// A Clip to `[low, high]`.
    #[cfg(test)]
    pub(crate) fn clip(low: f32, high: f32) -> Self {
        Self {
            steps: vec![Step::Clip(Operand::Slot(0), low, high)],
            outputs: vec![1],
        }
    }

    /// The values that leave the function, for each of `values`, one vector per output.
    pub(crate) fn outputs(&self, values: &[f32]) -> Vec<Vec<f32>> {
        let mut slots: Vec<Vec<f32>> = vec![values.to_vec()];
        for step in &self.steps {
            let value = |operand: Operand, i: usize| match operand {
                Operand::Slot(s) => slots[s][i],
                Operand::Scalar(v) => v,
            };
            let computed = (0..values.len())
                .map(|i| match *step {
                    Step::Add(a, b) => value(a, i) + value(b, i),
                    Step::Sub(a, b) => value(a, i) - value(b, i),
                    Step::Mul(a, b) => value(a, i) * value(b, i),
                    Step::Div(a, b) => value(a, i) / value(b, i),
                    Step::Clip(a, low, high) => value(a, i).clamp(low, high),
                    Step::LeakyRelu(a, alpha) => {
                        let x = value(a, i);
                        if x < 0.0 { x * alpha } else { x }
                    }
                    Step::Sigmoid(a) => 1.0 / (1.0 + (-value(a, i)).exp()),
                    Step::HardSigmoid(a, alpha, beta) => {
                        (alpha * value(a, i) + beta).clamp(0.0, 1.0)
                    }
                    Step::HardSwish(a) => {
                        let x = value(a, i);
                        x * (x / 6.0 + 0.5).clamp(0.0, 1.0)
                    }
                    Step::Tanh(a) => value(a, i).tanh(),
                })
                .collect();
            slots.push(computed);
        }
        self.outputs.iter().map(|&s| slots[s].clone()).collect()
    }
}

/// `node` as a pointwise step over known slots and scalars, if it is one.
fn step(index: &GraphIndex<'_>, node: &NodeProto, slots: &HashMap<&str, usize>) -> Option<Step> {
    if node.output.len() != 1 || !node.domain.as_deref().unwrap_or("").is_empty() {
        return None;
    }
    let operand = |slot: usize| -> Option<Operand> {
        let name = node.input.get(slot)?;
        if let Some(&s) = slots.get(name.as_str()) {
            return Some(Operand::Slot(s));
        }
        let values = tensor_f32(index.constant(name)?).ok()?;
        (values.len() == 1).then(|| Operand::Scalar(values[0]))
    };
    let scalar = |slot: usize| match operand(slot) {
        Some(Operand::Scalar(v)) => Some(v),
        _ => None,
    };
    let attr = |name: &str, default: f32| attr_f32(node, name).ok().flatten().unwrap_or(default);
    let first = operand(0)?;
    Some(match node.op_type.as_deref()? {
        "Add" => Step::Add(first, operand(1)?),
        "Sub" => Step::Sub(first, operand(1)?),
        "Mul" => Step::Mul(first, operand(1)?),
        "Div" => Step::Div(first, operand(1)?),
        "Relu" => Step::Clip(first, 0.0, f32::INFINITY),
        "Clip" => {
            let present = |slot: usize| node.input.get(slot).is_some_and(|n| !n.is_empty());
            let low = if present(1) {
                scalar(1)?
            } else {
                attr("min", f32::NEG_INFINITY)
            };
            let high = if present(2) {
                scalar(2)?
            } else {
                attr("max", f32::INFINITY)
            };
            Step::Clip(first, low, high)
        }
        "LeakyRelu" => Step::LeakyRelu(first, attr("alpha", 0.01)),
        "Sigmoid" => Step::Sigmoid(first),
        "HardSigmoid" => Step::HardSigmoid(first, attr("alpha", 0.2), attr("beta", 0.5)),
        "HardSwish" => Step::HardSwish(first),
        "Tanh" => Step::Tanh(first),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::test_graphs::{node, value};
    use crate::onnx::f32_tensor;
    use crate::onnx::proto::GraphProto;

    /// `x -> Conv`, and `x -> HardSwish` decomposed as `x * Clip(x + 3, 0, 6) * (1/6) -> Conv`.
    fn decomposed_hard_swish() -> GraphProto {
        GraphProto {
            node: vec![
                node("Add", &["x", "three"], &["shifted"]),
                node("Clip", &["shifted", "zero", "six"], &["clipped"]),
                node("Mul", &["x", "clipped"], &["scaled"]),
                node("Mul", &["scaled", "sixth"], &["y"]),
                node("Conv", &["y", "w"], &["z"]),
                node("Conv", &["x", "w"], &["u"]),
            ],
            initializer: vec![
                f32_tensor("three", &[], &[3.0]),
                f32_tensor("zero", &[], &[0.0]),
                f32_tensor("six", &[], &[6.0]),
                f32_tensor("sixth", &[], &[1.0 / 6.0]),
                f32_tensor("w", &[1, 1, 1, 1], &[1.0]),
            ],
            input: vec![value("x")],
            output: vec![value("z"), value("u")],
            ..Default::default()
        }
    }

    #[test]
    fn a_decomposed_hard_swish_is_followed_to_what_leaves_it() {
        let graph = decomposed_hard_swish();
        let index = GraphIndex::new(&graph).unwrap();
        let function = Elementwise::of(&index, "x");
        let outputs = function.outputs(&[-5.0, -1.0, 0.0, 2.0, 4.0]);
        // The tensor itself (a Conv reads it) and the HardSwish (a Conv reads it).
        assert_eq!(outputs.len(), 2);
        assert_eq!(outputs[0], vec![-5.0, -1.0, 0.0, 2.0, 4.0]);
        let expected = [0.0, -1.0 / 3.0, 0.0, 5.0 / 3.0, 4.0];
        for (got, want) in outputs[1].iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn a_tensor_read_only_by_a_layer_is_its_own_function() {
        let graph = decomposed_hard_swish();
        let index = GraphIndex::new(&graph).unwrap();
        let function = Elementwise::of(&index, "y");
        assert_eq!(function, Elementwise::identity());
    }
}
