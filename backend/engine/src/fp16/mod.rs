//! FP16 conversion: a float32 model whose weights and compute are float16, the reference
//! the INT8 models are measured against on a GPU.
//!
//! Float32 initializers and `Constant` tensors become float16 and float32 activations
//! float16. Nodes that must stay float32 (a block list of op types and node names, ops of
//! other domains, and inputs such as Resize's `roi` and `scales` that ONNX only allows as
//! float32) keep float32 with `Cast` nodes around them, and with
//! [`Fp16Options::keep_io_types`] the graph's inputs and outputs stay float32 through
//! `Cast` nodes at the boundary. Declared `value_info` types follow their values.

mod convert;
mod elem_types;
mod half_tensor;

pub use convert::convert_to_fp16;

/// Op types that stay float32 by default: ops ONNX allows only with float32 operands (Q/DQ
/// with opset-13 scales, NonMaxSuppression, Range in float) or whose float output type an
/// attribute fixes (the random ops, EyeLike).
pub const DEFAULT_KEEP_FLOAT_OPS: &[&str] = &[
    "QuantizeLinear",
    "DequantizeLinear",
    "DynamicQuantizeLinear",
    "NonMaxSuppression",
    "Range",
    "RoiAlign",
    "RandomNormal",
    "RandomUniform",
    "RandomNormalLike",
    "RandomUniformLike",
    "Multinomial",
    "Bernoulli",
    "EyeLike",
];

/// How to convert.
#[derive(Debug, Clone)]
pub struct Fp16Options {
    /// Keep the graph's float32 inputs and outputs float32, casting at the boundary, so
    /// callers feed and read the model as before. Off, they become float16.
    pub keep_io_types: bool,
    /// Op types computed in float32 (see [`DEFAULT_KEEP_FLOAT_OPS`]).
    pub keep_float_ops: Vec<String>,
    /// Node names computed in float32, e.g. layers found too sensitive for float16.
    pub keep_float_nodes: Vec<String>,
}

impl Default for Fp16Options {
    fn default() -> Self {
        Self {
            keep_io_types: true,
            keep_float_ops: DEFAULT_KEEP_FLOAT_OPS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            keep_float_nodes: Vec::new(),
        }
    }
}
