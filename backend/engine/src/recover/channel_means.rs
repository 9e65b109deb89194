//! The per-channel means of chosen tensors of a model over a set of input batches.

use std::collections::HashMap;

use ndarray::{ArrayD, Axis};

use crate::onnx::proto::ModelProto;
use crate::runtime::ExposedRuns;
use crate::{Error, Result};

/// A tensor whose channels are averaged: its name, and the axis that indexes its channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelTensor {
    /// The tensor's name.
    pub(crate) name: String,
    /// The axis of its channels (1 for NCHW convolution outputs).
    pub(crate) axis: usize,
}

/// Runs `model` (batch-dynamic) over `batches` fed to `input` with each of `tensors` exposed,
/// and returns each tensor's mean over every element of each channel, by name.
pub(crate) fn channel_means(
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
    tensors: &[ChannelTensor],
) -> Result<HashMap<String, Vec<f64>>> {
    let names: Vec<String> = tensors.iter().map(|t| t.name.clone()).collect();
    let mut runs = ExposedRuns::new(model, &names)?;
    let mut sums: HashMap<String, (Vec<f64>, u64)> = HashMap::new();
    for batch in batches {
        runs.for_each_part(input, batch, |part| {
            for tensor in tensors {
                let array = part.tensor(&tensor.name)?;
                if tensor.axis >= array.ndim() {
                    return Err(Error::Runtime(format!(
                        "tensor `{}` has rank {}, no channel axis {}",
                        tensor.name,
                        array.ndim(),
                        tensor.axis
                    )));
                }
                let channels = array.len_of(Axis(tensor.axis));
                let (sum, count) = sums
                    .entry(tensor.name.clone())
                    .or_insert_with(|| (vec![0.0; channels], 0));
                if sum.len() != channels {
                    return Err(Error::Runtime(format!(
                        "tensor `{}` changed its channel count between batches",
                        tensor.name
                    )));
                }
                for (channel, lane) in array.axis_iter(Axis(tensor.axis)).enumerate() {
                    sum[channel] += lane.iter().map(|&v| f64::from(v)).sum::<f64>();
                }
                *count += (array.len() / channels.max(1)) as u64;
            }
            Ok(())
        })?;
    }
    Ok(sums
        .into_iter()
        .map(|(name, (sum, count))| {
            let count = count.max(1) as f64;
            (name, sum.into_iter().map(|s| s / count).collect())
        })
        .collect())
}
