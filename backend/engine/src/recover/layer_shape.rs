//! How a Conv or Gemm layer's weight indexes output and input channels, and where a 2-D
//! convolution reads its input: what bias correction and adaptive rounding compute with.

use crate::Result;
use crate::graph::GraphIndex;
use crate::layers::{Layer, discover_layers};
use crate::onnx::proto::NodeProto;
use crate::onnx::{attr_i64, attr_ints, attr_string};

/// The layers of the indexed graph that have a [`LayerShape`], with it.
pub(crate) fn shaped_layers(index: &GraphIndex<'_>) -> Result<Vec<(Layer, LayerShape)>> {
    Ok(discover_layers(index)?
        .into_iter()
        .filter_map(|layer| LayerShape::of(index, &layer).map(|shape| (layer, shape)))
        .collect())
}

/// The weight layout of a Conv or a Gemm layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LayerShape {
    /// A Conv: `[out, in / groups, kernel...]`.
    Conv {
        outputs: usize,
        inputs_per_group: usize,
        groups: usize,
        kernel: usize,
        /// Where each output reads its input, for a 2-D convolution with explicit pads.
        window: Option<Window>,
    },
    /// A Gemm: `[in, out]`, or `[out, in]` when transposed.
    Gemm {
        outputs: usize,
        inputs: usize,
        transposed: bool,
    },
}

/// The input window of a 2-D convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Kernel height and width.
    pub(crate) kernel: [usize; 2],
    /// Vertical and horizontal stride.
    pub(crate) strides: [usize; 2],
    /// Padding before the first row, before the first column, after the last row and
    /// after the last column.
    pub(crate) pads: [usize; 4],
    /// Vertical and horizontal dilation.
    pub(crate) dilations: [usize; 2],
}

impl Window {
    /// The output rows and columns for an input of `height` x `width`.
    pub(crate) fn output_size(&self, height: usize, width: usize) -> [usize; 2] {
        let size = |input: usize, axis: usize| {
            let span = self.dilations[axis] * (self.kernel[axis] - 1) + 1;
            (input + self.pads[axis] + self.pads[axis + 2]).saturating_sub(span)
                / self.strides[axis]
                + 1
        };
        [size(height, 0), size(width, 1)]
    }
}

impl LayerShape {
    /// The shape of `layer` when it is a Conv or a Gemm that does not transpose its input.
    pub(crate) fn of(index: &GraphIndex<'_>, layer: &Layer) -> Option<Self> {
        let node = index.node(layer.node);
        let dims: Vec<usize> = layer
            .weight_shape
            .iter()
            .map(|&d| usize::try_from(d).ok())
            .collect::<Option<_>>()?;
        match layer.op.as_str() {
            "Conv" if dims.len() >= 3 => {
                let groups = usize::try_from(attr_i64(node, "group").ok()?.unwrap_or(1)).ok()?;
                let window = (dims.len() == 4)
                    .then(|| window_2d(node, [dims[2], dims[3]]))
                    .flatten();
                Some(Self::Conv {
                    outputs: dims[0],
                    inputs_per_group: dims[1],
                    groups: groups.max(1),
                    kernel: dims[2..].iter().product(),
                    window,
                })
            }
            "Gemm" if dims.len() == 2 && attr_i64(node, "transA").ok()?.unwrap_or(0) == 0 => {
                Some(Self::Gemm {
                    outputs: dims[layer.channel_axis],
                    inputs: dims[1 - layer.channel_axis],
                    transposed: layer.channel_axis == 0,
                })
            }
            _ => None,
        }
    }

    /// How many output channels the layer has.
    pub(crate) fn outputs(self) -> usize {
        match self {
            Self::Conv { outputs, .. } | Self::Gemm { outputs, .. } => outputs,
        }
    }

    /// How many inputs one output channel reads (one row of the weight).
    pub(crate) fn row_len(self) -> usize {
        match self {
            Self::Conv {
                inputs_per_group,
                kernel,
                ..
            } => inputs_per_group * kernel,
            Self::Gemm { inputs, .. } => inputs,
        }
    }

    /// How many input groups the layer has (each output channel reads one).
    pub(crate) fn groups(self) -> usize {
        match self {
            Self::Conv { groups, .. } => groups,
            Self::Gemm { .. } => 1,
        }
    }

    /// The group output channel `output` reads.
    pub(crate) fn group_of(self, output: usize) -> usize {
        match self {
            Self::Conv {
                outputs, groups, ..
            } => output / (outputs / groups).max(1),
            Self::Gemm { .. } => 0,
        }
    }

    /// The weight's element index of input `k` (in row order) of output channel `output`.
    pub(crate) fn weight_index(self, output: usize, k: usize) -> usize {
        match self {
            Self::Gemm {
                outputs,
                inputs,
                transposed,
            } => {
                if transposed {
                    output * inputs + k
                } else {
                    k * outputs + output
                }
            }
            Self::Conv { .. } => output * self.row_len() + k,
        }
    }
}

/// The window of a 2-D Conv node with `kernel`, when its padding is explicit.
fn window_2d(node: &NodeProto, kernel: [usize; 2]) -> Option<Window> {
    let auto_pad = attr_string(node, "auto_pad").ok()?;
    if auto_pad.is_some_and(|pad| pad != "NOTSET") {
        return None;
    }
    let pair = |name: &str| -> Option<[usize; 2]> {
        match attr_ints(node, name).ok()? {
            None => Some([1, 1]),
            Some(values) if values.len() == 2 => Some([
                usize::try_from(values[0]).ok()?,
                usize::try_from(values[1]).ok()?,
            ]),
            Some(_) => None,
        }
    };
    let pads = match attr_ints(node, "pads").ok()? {
        None => [0; 4],
        Some(values) if values.len() == 4 => [
            usize::try_from(values[0]).ok()?,
            usize::try_from(values[1]).ok()?,
            usize::try_from(values[2]).ok()?,
            usize::try_from(values[3]).ok()?,
        ],
        Some(_) => return None,
    };
    Some(Window {
        kernel,
        strides: pair("strides")?,
        pads,
        dilations: pair("dilations")?,
    })
}
