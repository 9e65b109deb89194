//! Bias correction: the per-channel mean shift that INT8 weights cause at each layer's
//! output, `(W_int8 - W) · E[x]` with `E[x]` the float model's per-channel input means on
//! calibration images, folded back into the layer's bias (Nagel et al. 2019, "Data-Free
//! Quantization", §4.2, with empirical input means). Each layer is corrected from float
//! statistics alone, so corrections do not feed back into each other.

use std::collections::BTreeMap;

use ndarray::ArrayD;

use super::Roundings;
use super::channel_means::{ChannelTensor, channel_means};
use super::layer_shape::{LayerShape, shaped_layers};
use crate::Result;
use crate::graph::GraphIndex;
use crate::layers::Layer;
use crate::onnx::proto::ModelProto;
use crate::onnx::tensor_f32;
use crate::quantize::{WeightRange, dequantized_weights};

/// Per layer (by name), what each output channel's bias gains.
pub type BiasShifts = BTreeMap<String, Vec<f32>>;

/// The bias shifts that cancel the mean error of INT8 weights (in the range `ort-cpu` uses
/// on this machine, rounded as `roundings` chose where it did) in every biased Conv and Gemm
/// layer of `model` (cleaned up, as calibration sees it), with input means measured over
/// `batches` fed to `input`.
pub(crate) fn measure_bias_shifts(
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
    roundings: &Roundings,
) -> Result<BiasShifts> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| crate::Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let layers: Vec<(Layer, LayerShape)> = shaped_layers(&index)?
        .into_iter()
        .filter(|(layer, shape)| has_channel_bias(&index, layer, shape.outputs()))
        .collect();
    if layers.is_empty() || batches.is_empty() {
        return Ok(BiasShifts::new());
    }
    let mut tensors: Vec<ChannelTensor> = layers
        .iter()
        .map(|(layer, _)| ChannelTensor {
            name: layer.input.clone(),
            axis: 1,
        })
        .collect();
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    tensors.dedup();
    let means = channel_means(model, input, batches, &tensors)?;
    let mut shifts = BiasShifts::new();
    for (layer, shape) in &layers {
        let Some(mean) = means.get(&layer.input) else {
            continue;
        };
        let Some(weight) = index.constant(&layer.weight) else {
            continue;
        };
        let float = tensor_f32(weight)?;
        let int8 = dequantized_weights(
            &float,
            &layer.weight_shape,
            layer.channel_axis,
            WeightRange::for_this_cpu(),
            roundings.get(&layer.name),
        );
        if let Some(shift) = shape.mean_error(&float, &int8, mean) {
            shifts.insert(layer.name.clone(), shift);
        }
    }
    Ok(shifts)
}

/// Whether `layer`'s node has a constant bias of one value per output channel.
fn has_channel_bias(index: &GraphIndex<'_>, layer: &Layer, outputs: usize) -> bool {
    index
        .node(layer.node)
        .input
        .get(2)
        .and_then(|name| index.constant(name))
        .is_some_and(|bias| bias.dims == [outputs as i64])
}

impl LayerShape {
    /// `-(W_int8 - W) · mean` per output channel, `mean` one value per input channel;
    /// none when `mean` does not fit the weight.
    fn mean_error(self, float: &[f32], int8: &[f32], mean: &[f64]) -> Option<Vec<f32>> {
        let error = |i: usize| f64::from(int8[i] - float[i]);
        match self {
            Self::Conv {
                outputs,
                inputs_per_group,
                groups,
                kernel,
                ..
            } => {
                if mean.len() != inputs_per_group * groups || outputs % groups != 0 {
                    return None;
                }
                let per_group = outputs / groups;
                Some(
                    (0..outputs)
                        .map(|o| {
                            let first_input = (o / per_group) * inputs_per_group;
                            let shift: f64 = (0..inputs_per_group)
                                .map(|j| {
                                    let base = (o * inputs_per_group + j) * kernel;
                                    let sum: f64 = (base..base + kernel).map(error).sum();
                                    sum * mean[first_input + j]
                                })
                                .sum();
                            -shift as f32
                        })
                        .collect(),
                )
            }
            Self::Gemm {
                outputs, inputs, ..
            } => {
                if mean.len() != inputs {
                    return None;
                }
                Some(
                    (0..outputs)
                        .map(|o| {
                            -(0..inputs)
                                .map(|k| error(self.weight_index(o, k)) * mean[k])
                                .sum::<f64>() as f32
                        })
                        .collect(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_depthwise_conv_shift_reads_only_its_own_input_channel() {
        // Two groups of one input and one output channel each, 1x1 kernels.
        let shape = LayerShape::Conv {
            outputs: 2,
            inputs_per_group: 1,
            groups: 2,
            kernel: 1,
            window: None,
        };
        let shift = shape
            .mean_error(&[1.0, 2.0], &[1.5, 1.0], &[10.0, 100.0])
            .unwrap();
        assert_eq!(shift, vec![-5.0, 100.0]);
    }

    #[test]
    fn a_gemm_shift_follows_its_weight_layout() {
        // W as [in = 2, out = 1]: y = 0.5 x0 + 1 x1; INT8 has 0.6 and 1.
        let plain = LayerShape::Gemm {
            outputs: 1,
            inputs: 2,
            transposed: false,
        };
        let shift = plain
            .mean_error(&[0.5, 1.0], &[0.6, 1.0], &[2.0, 3.0])
            .unwrap();
        assert!((shift[0] + 0.2).abs() < 1e-6);
        assert!(plain.mean_error(&[0.5, 1.0], &[0.6, 1.0], &[2.0]).is_none());
    }
}
