//! The activation quantizers of a quantized model, read from its QuantizeLinear nodes.

use crate::graph::GraphIndex;
use crate::onnx::proto::TensorProto;
use crate::onnx::{DataType, tensor_f32};

/// One activation quantizer: the float tensor it reads and the range it represents.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quantizer {
    /// The float tensor quantized.
    pub(crate) tensor: String,
    /// The smallest value it represents.
    pub(crate) low: f32,
    /// The largest value it represents.
    pub(crate) high: f32,
    /// The distance between two levels.
    pub(crate) step: f32,
}

impl Quantizer {
    /// `value` quantized and dequantized by this quantizer.
    pub(crate) fn fake_quantize(&self, value: f32) -> f32 {
        crate::recover::fake_quantize(value, self.low, self.high)
    }
}

/// Every QuantizeLinear of the graph of `index` that reads an activation (not a constant),
/// one per tensor, in graph order.
pub(crate) fn activation_quantizers(index: &GraphIndex<'_>) -> Vec<Quantizer> {
    let mut seen = std::collections::HashSet::new();
    index
        .order()
        .iter()
        .map(|&id| index.node(id))
        .filter(|node| node.op_type.as_deref() == Some("QuantizeLinear"))
        .filter_map(|node| {
            let tensor = node.input.first()?;
            if index.constant(tensor).is_some() || !seen.insert(tensor.clone()) {
                return None;
            }
            let scale = *tensor_f32(index.constant(node.input.get(1)?)?)
                .ok()?
                .first()?;
            let zero = node.input.get(2).and_then(|z| index.constant(z));
            let (zero, low_level, high_level) = match zero.map(zero_point) {
                Some(Some((zero, signed))) if signed => (zero, -128.0, 127.0),
                Some(Some((zero, _))) => (zero, 0.0, 255.0),
                _ => (0.0, 0.0, 255.0),
            };
            Some(Quantizer {
                tensor: tensor.clone(),
                low: (low_level - zero) * scale,
                high: (high_level - zero) * scale,
                step: scale,
            })
        })
        .collect()
}

/// A zero point's value and whether it is signed (int8) rather than uint8.
fn zero_point(tensor: &TensorProto) -> Option<(f32, bool)> {
    let signed = match DataType::try_from(tensor.data_type?).ok()? {
        DataType::Int8 => true,
        DataType::Uint8 => false,
        _ => return None,
    };
    let value = match (&tensor.raw_data, tensor.int32_data.first()) {
        (Some(raw), _) => {
            let byte = *raw.first()?;
            if signed {
                f32::from(byte as i8)
            } else {
                f32::from(byte)
            }
        }
        (None, Some(&v)) => v as f32,
        (None, None) => 0.0,
    };
    Some((value, signed))
}
