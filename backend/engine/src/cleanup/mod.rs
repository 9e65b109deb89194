//! Pre-quantization cleanup: the float graph rewritten, without changing what it computes, so
//! that quantizers land where runtimes fuse them. Constant nodes become initializers,
//! Identity nodes go, BatchNormalization folds into the convolution before it, and a division
//! by a constant becomes a multiplication (which ONNX Runtime runs as QLinearMul), and a
//! Softmax over an inner axis runs over the last one between Transposes.
//!
//! Deterministic and idempotent: calibration and quantization both run it, so the tensor
//! names a calibration table holds are the ones the quantizer sees.

mod batch_norm;
mod constants;
mod division;
mod equalize;
mod identity;
mod softmax_axis;

use crate::onnx::proto::{GraphProto, ModelProto};
use crate::{Error, Result};

/// What [`prepare_for_quantization`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CleanupReport {
    /// Constant nodes turned into initializers.
    pub constants: usize,
    /// Identity nodes removed.
    pub identities: usize,
    /// BatchNormalization nodes folded into the convolution before them.
    pub folded_batch_norms: usize,
    /// Divisions by a constant turned into multiplications.
    pub divisions: usize,
    /// Softmaxes over an inner axis moved to the last axis between Transposes.
    pub last_axis_softmaxes: usize,
}

/// The model after cleanup, and what changed.
pub fn prepare_for_quantization(model: &ModelProto) -> Result<(ModelProto, CleanupReport)> {
    let mut model = model.clone();
    let opset = crate::onnx::default_opset(&model).unwrap_or(1);
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let report = CleanupReport {
        constants: constants::constant_nodes_to_initializers(graph),
        identities: identity::remove_identities(graph),
        folded_batch_norms: batch_norm::fold_batch_norms(graph)?,
        divisions: division::divisions_to_multiplications(graph)?,
        last_axis_softmaxes: softmax_axis::softmax_over_last_axis(graph, opset)?,
    };
    Ok((model, report))
}

/// Cross-layer equalization of a cleaned-up model (see [`prepare_for_quantization`]): every
/// Conv pair, directly or through a ReLU or LeakyReLU, scaled so that both weights span the
/// same range per channel; the model computes the same outputs. Returns how many pairs.
pub fn equalize_cross_layer(model: &mut ModelProto) -> Result<usize> {
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    equalize::equalize_cross_layer(graph)
}

/// The initializer called `name`, if there is one.
fn initializer<'g>(
    graph: &'g GraphProto,
    name: &str,
) -> Option<&'g crate::onnx::proto::TensorProto> {
    graph
        .initializer
        .iter()
        .find(|t| t.name.as_deref() == Some(name))
}

/// How many node inputs and graph outputs read `value`.
fn readers(graph: &GraphProto, value: &str) -> usize {
    graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .filter(|input| *input == value)
        .count()
        + graph
            .output
            .iter()
            .filter(|o| o.name.as_deref() == Some(value))
            .count()
}

/// A name no initializer, node output or input of `graph` uses, derived from `base`.
fn fresh_name(graph: &GraphProto, base: &str) -> String {
    let taken = |name: &str| {
        graph
            .initializer
            .iter()
            .any(|t| t.name.as_deref() == Some(name))
            || graph
                .node
                .iter()
                .any(|n| n.output.iter().any(|o| o == name) || n.input.iter().any(|i| i == name))
            || graph.input.iter().any(|i| i.name.as_deref() == Some(name))
    };
    if !taken(base) {
        return base.to_owned();
    }
    (1..)
        .map(|i| format!("{base}_{i}"))
        .find(|name| !taken(name))
        .unwrap_or_else(|| base.to_owned())
}

/// Drops initializers that nothing reads any more (and their graph-input entries).
fn drop_unused_initializers(graph: &mut GraphProto) {
    crate::graph::drop_unread_initializers(graph, |_| true);
}

#[cfg(test)]
pub(crate) mod test_graphs {
    use crate::onnx::proto::{NodeProto, ValueInfoProto};

    pub(crate) fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            name: Some(format!("{op}_{}", outputs[0])),
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: outputs.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    pub(crate) fn value(name: &str) -> ValueInfoProto {
        ValueInfoProto {
            name: Some(name.to_owned()),
            ..Default::default()
        }
    }
}
