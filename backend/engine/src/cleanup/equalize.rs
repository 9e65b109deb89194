//! Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization", §4.1): in a Conv
//! that feeds another Conv directly or through a ReLU or LeakyReLU (which commute with a
//! positive scale), output channel `c` is divided by `s_c` and the next Conv's weights that
//! read channel `c` are multiplied by it, with `s_c = sqrt(r1_c / r2_c)`, `r1_c` and `r2_c`
//! the two weights' largest magnitudes on channel `c`: both then span `sqrt(r1_c · r2_c)`. The
//! float model computes the same outputs.

use super::{initializer, readers};
use crate::Result;
use crate::onnx::proto::GraphProto;
use crate::onnx::{attr_i64, f32_tensor, tensor_f32};

/// Rounds over every pair at most (a chain's pairs share layers, so each round moves the
/// others' ranges).
const MAX_ROUNDS: usize = 32;
/// A round whose scales all lie within this of 1 ends the equalization.
const CONVERGED: f32 = 1e-4;

/// Two Convs that equalize: the first's output channels are the second's input channels.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pair {
    first: usize,
    second: usize,
}

/// Equalizes every Conv pair of `graph` (cleaned up: batch norms folded) whose weights and
/// biases are float initializers read by nothing else; returns how many pairs it scaled.
pub(crate) fn equalize_cross_layer(graph: &mut GraphProto) -> Result<usize> {
    let pairs = find_pairs(graph)?;
    for _ in 0..MAX_ROUNDS {
        let mut largest_change = 0f32;
        for pair in &pairs {
            largest_change = largest_change.max(equalize_pair(graph, pair)?);
        }
        if largest_change < CONVERGED {
            break;
        }
    }
    Ok(pairs.len())
}

/// The pairs: a Conv whose only reader is another Conv, or a Relu/LeakyRelu whose only
/// reader is one.
fn find_pairs(graph: &GraphProto) -> Result<Vec<Pair>> {
    let only_reader = |value: &str| -> Option<usize> {
        if readers(graph, value) != 1 {
            return None;
        }
        graph
            .node
            .iter()
            .position(|n| n.input.iter().any(|i| i == value))
    };
    let op = |i: usize| graph.node[i].op_type.as_deref().unwrap_or("");
    let mut pairs = Vec::new();
    for first in 0..graph.node.len() {
        if op(first) != "Conv" || !owns_parameters(graph, first) {
            continue;
        }
        let Some(mut value) = graph.node[first].output.first() else {
            continue;
        };
        let Some(mut next) = only_reader(value) else {
            continue;
        };
        if matches!(op(next), "Relu" | "LeakyRelu") {
            let Some(output) = graph.node[next].output.first() else {
                continue;
            };
            let Some(after) = only_reader(output) else {
                continue;
            };
            (value, next) = (output, after);
        }
        if op(next) == "Conv"
            && graph.node[next].input.first() == Some(value)
            && owns_parameters(graph, next)
            && weight_dims(graph, first).first() == second_input_channels(graph, next)?.as_ref()
        {
            pairs.push(Pair {
                first,
                second: next,
            });
        }
    }
    Ok(pairs)
}

/// Whether Conv `node`'s weight (and bias, if any) are float initializers only it reads.
fn owns_parameters(graph: &GraphProto, node: usize) -> bool {
    graph.node[node].input.iter().skip(1).all(|name| {
        name.is_empty()
            || initializer(graph, name).is_some_and(|t| t.data_type == Some(1))
                && readers(graph, name) == 1
    })
}

fn weight_dims(graph: &GraphProto, node: usize) -> Vec<i64> {
    graph.node[node]
        .input
        .get(1)
        .and_then(|w| initializer(graph, w))
        .map(|t| t.dims.clone())
        .unwrap_or_default()
}

/// How many input channels Conv `node` reads: its weight's second dimension times its groups.
fn second_input_channels(graph: &GraphProto, node: usize) -> Result<Option<i64>> {
    let groups = attr_i64(&graph.node[node], "group")?.unwrap_or(1);
    Ok(weight_dims(graph, node).get(1).map(|d| d * groups))
}

/// Scales one pair toward equal ranges; returns the largest `|s_c - 1|`.
fn equalize_pair(graph: &mut GraphProto, pair: &Pair) -> Result<f32> {
    let groups = attr_i64(&graph.node[pair.second], "group")?
        .unwrap_or(1)
        .max(1) as usize;
    let first_dims = weight_dims(graph, pair.first);
    let second_dims = weight_dims(graph, pair.second);
    let (Some(&channels), Some(&outputs), Some(&per_group)) =
        (first_dims.first(), second_dims.first(), second_dims.get(1))
    else {
        return Ok(0.0);
    };
    let (channels, outputs, per_group) = (channels as usize, outputs as usize, per_group as usize);
    let mut first = read(graph, pair.first, 1)?;
    let mut second = read(graph, pair.second, 1)?;
    let first_row = first.len() / channels.max(1);
    let kernel = second.len() / (outputs * per_group).max(1);
    let outputs_per_group = outputs / groups;
    // The weights of the second Conv that read input channel `c`: output rows of c's
    // group, column `c % per_group`.
    let reading = |c: usize| {
        let group = c / per_group;
        (group * outputs_per_group..(group + 1) * outputs_per_group).flat_map(move |o| {
            let start = (o * per_group + c % per_group) * kernel;
            start..start + kernel
        })
    };
    let mut largest_change = 0f32;
    let mut scales = vec![1f32; channels];
    for (c, scale) in scales.iter_mut().enumerate() {
        let r1 = first[c * first_row..(c + 1) * first_row]
            .iter()
            .fold(0f32, |m, w| m.max(w.abs()));
        let r2 = reading(c).fold(0f32, |m, i| m.max(second[i].abs()));
        if r1 > 0.0 && r2 > 0.0 && (r1 / r2).is_finite() {
            *scale = (r1 / r2).sqrt();
            largest_change = largest_change.max((*scale - 1.0).abs());
        }
    }
    for (c, &scale) in scales.iter().enumerate() {
        for w in &mut first[c * first_row..(c + 1) * first_row] {
            *w /= scale;
        }
        for i in reading(c) {
            second[i] *= scale;
        }
    }
    write(graph, pair.first, 1, &first)?;
    write(graph, pair.second, 1, &second)?;
    if graph.node[pair.first]
        .input
        .get(2)
        .is_some_and(|b| !b.is_empty())
    {
        let mut bias = read(graph, pair.first, 2)?;
        if bias.len() == channels {
            for (b, &scale) in bias.iter_mut().zip(&scales) {
                *b /= scale;
            }
            write(graph, pair.first, 2, &bias)?;
        }
    }
    Ok(largest_change)
}

fn read(graph: &GraphProto, node: usize, slot: usize) -> Result<Vec<f32>> {
    let name = &graph.node[node].input[slot];
    let tensor = initializer(graph, name)
        .ok_or_else(|| crate::Error::InvalidModel(format!("`{name}` is not an initializer")))?;
    tensor_f32(tensor)
}

fn write(graph: &mut GraphProto, node: usize, slot: usize, values: &[f32]) -> Result<()> {
    let name = graph.node[node].input[slot].clone();
    let tensor = graph
        .initializer
        .iter_mut()
        .find(|t| t.name.as_deref() == Some(name.as_str()))
        .ok_or_else(|| crate::Error::InvalidModel(format!("`{name}` is not an initializer")))?;
    *tensor = f32_tensor(&name, &tensor.dims.clone(), values);
    Ok(())
}
