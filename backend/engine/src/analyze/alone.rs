//! The error each activation quantizer causes at the model's outputs on its own: the
//! quantized model with every activation quantizer bypassed but that one (the weights stay
//! quantized), against the same model with all of them bypassed. A tensor whose local error is
//! large may not matter downstream, and one with a modest local error may move the boxes:
//! this measures what the detector sees.
//!
//! One session serves every quantizer: each dequantized value `d` of tensor `x` becomes
//! `x + gate * (d - x)`, the gates a graph input, so a run opens exactly one quantizer.

use ndarray::{Array1, ArrayViewD};
use ort::session::Session;
use ort::value::TensorRef;

use super::quantizers::Quantizer;
use crate::batch::{BatchSize, retarget_batch};
use crate::graph::{GraphIndex, Patch};
use crate::onnx::proto::{ModelProto, NodeProto};
use crate::onnx::{encode_model, float_value_info, i64_tensor};
use crate::runtime::{SessionConfig, session_from_bytes};
use crate::{Error, Result};

/// The gated model's session and what it needs to open one quantizer at a time.
pub(crate) struct AloneErrors {
    session: Session,
    input: String,
    gates: String,
    signal: f64,
    noise: Vec<f64>,
}

impl AloneErrors {
    /// A session of `quantized` with each of `quantizers` behind a gate of its own.
    pub(crate) fn new(
        quantized: &ModelProto,
        quantizers: &[Quantizer],
        input: &str,
    ) -> Result<Self> {
        let (model, gates) = gated_model(quantized, quantizers)?;
        Ok(Self {
            session: session_from_bytes(&encode_model(&model), &SessionConfig::default())?,
            input: input.to_owned(),
            gates,
            signal: 0.0,
            noise: vec![0.0; quantizers.len()],
        })
    }

    /// Runs one image with every gate closed, then once per quantizer with its gate open,
    /// and adds the outputs' energy and each quantizer's output error.
    pub(crate) fn add(&mut self, image: ArrayViewD<'_, f32>) -> Result<()> {
        let mut gates = Array1::<f32>::zeros(self.noise.len());
        let reference = self.outputs(image.view(), &gates)?;
        self.signal += reference
            .iter()
            .flatten()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>();
        for i in 0..self.noise.len() {
            gates[i] = 1.0;
            let opened = self.outputs(image.view(), &gates)?;
            gates[i] = 0.0;
            self.noise[i] += reference
                .iter()
                .flatten()
                .zip(opened.iter().flatten())
                .map(|(&a, &b)| f64::from(a - b) * f64::from(a - b))
                .sum::<f64>();
        }
        Ok(())
    }

    /// Each quantizer's output SQNR, dB, in the order they were given.
    pub(crate) fn finish(self) -> Vec<f64> {
        self.noise
            .iter()
            .map(|&noise| super::stats::sqnr_db(self.signal, noise))
            .collect()
    }

    /// The model's float outputs for `image` with `gates`, flattened, in output order.
    fn outputs(
        &mut self,
        image: ArrayViewD<'_, f32>,
        gates: &Array1<f32>,
    ) -> Result<Vec<Vec<f32>>> {
        let image = TensorRef::from_array_view(image)?;
        let gates = TensorRef::from_array_view(gates.view())?;
        let results = self.session.run(ort::inputs![
            self.input.as_str() => image,
            self.gates.as_str() => gates,
        ])?;
        Ok(results
            .iter()
            .filter_map(|(_, value)| {
                value
                    .try_extract_array::<f32>()
                    .ok()
                    .map(|array| array.iter().copied().collect())
            })
            .collect())
    }
}

/// `quantized` with each dequantized activation of `quantizers[i]` blended back with its float
/// value by `gates[i]`, and the name of the gates input (float, one per quantizer).
fn gated_model(quantized: &ModelProto, quantizers: &[Quantizer]) -> Result<(ModelProto, String)> {
    let mut model = retarget_batch(quantized, BatchSize::Dynamic)?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let mut patch = Patch::new();
    let gates = patch.fresh_name(&index, "qbound_gates");
    for (i, quantizer) in quantizers.iter().enumerate() {
        let x = quantizer.tensor.as_str();
        let dequantized: Vec<&str> = index
            .consumers(x)
            .iter()
            .map(|use_| index.node(use_.node))
            .filter(|node| node.op_type.as_deref() == Some("QuantizeLinear"))
            .filter_map(|q| q.output.first())
            .flat_map(|q| index.consumers(q))
            .map(|use_| index.node(use_.node))
            .filter(|node| node.op_type.as_deref() == Some("DequantizeLinear"))
            .filter_map(|dq| dq.output.first().map(String::as_str))
            .collect();
        if dequantized.is_empty() {
            continue;
        }
        let position = patch.fresh_name(&index, &format!("{x}_gate_index"));
        patch.add_initializer(i64_tensor(&position, &[], &[i as i64]));
        let gate = patch.fresh_name(&index, &format!("{x}_gate"));
        patch.add_node(node("Gather", &[&gates, &position], &gate));
        for d in dequantized {
            let error = patch.fresh_name(&index, &format!("{d}_error"));
            let scaled = patch.fresh_name(&index, &format!("{d}_gated_error"));
            let gated = patch.fresh_name(&index, &format!("{d}_gated"));
            patch.add_node(node("Sub", &[d, x], &error));
            patch.add_node(node("Mul", &[&error, &gate], &scaled));
            patch.add_node(node("Add", &[x, &scaled], &gated));
            for &use_ in index.consumers(d) {
                patch.rewire(use_, gated.clone());
            }
        }
    }
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    patch.apply(graph)?;
    graph
        .input
        .push(float_value_info(&gates, &[quantizers.len() as i64]));
    Ok((model, gates))
}

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        name: Some(format!("{op}_{output}")),
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.to_owned()],
        ..Default::default()
    }
}
