//! The second moment `E[x xᵀ]` of what each output channel of a layer reads (one matrix per
//! input group), from input windows sampled on calibration images: for a linear layer, the
//! expected squared output error of a weight error `d` is `dᵀ E[x xᵀ] d`.

use ndarray::{Array2, ArrayD, ArrayViewD, Axis};
use rayon::prelude::*;

use super::layer_shape::LayerShape;
use super::sample::positions;
use crate::layers::Layer;
use crate::onnx::proto::ModelProto;
use crate::runtime::ExposedRuns;
use crate::{Error, Result};

/// Input windows (output positions) sampled per image and layer.
pub(crate) const WINDOWS_PER_IMAGE: usize = 1024;

/// The second moments of one layer's input rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InputGram {
    /// The row length (inputs per output channel).
    pub(crate) size: usize,
    /// One `size` x `size` matrix per input group, row-major, averaged over the samples.
    pub(crate) groups: Vec<Vec<f64>>,
}

/// The layer's second moments, for each of `layers` whose shape says where it reads its input
/// (2-D convolutions with explicit pads, and Gemms), measured on `batches` fed to `input` of
/// `model` (cleaned up); `None` for the others.
pub(crate) fn input_grams(
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
    layers: &[(Layer, LayerShape)],
) -> Result<Vec<Option<InputGram>>> {
    let mut names: Vec<String> = layers
        .iter()
        .map(|(layer, _)| layer.input.clone())
        .filter(|name| name != input)
        .collect();
    names.sort();
    names.dedup();
    let mut runs = ExposedRuns::new(model, &names)?;
    let mut sums: Vec<Option<Accumulator>> = layers
        .iter()
        .map(|(_, shape)| Accumulator::for_shape(*shape))
        .collect();
    let mut first_image = 0u64;
    for batch in batches {
        runs.for_each_part(input, batch, |part| {
            sums.par_iter_mut().zip(layers).try_for_each(
                |(sum, (layer, shape))| -> Result<()> {
                    let Some(sum) = sum else {
                        return Ok(());
                    };
                    let tensor = part.tensor(&layer.input)?;
                    sum.add(*shape, tensor.view(), first_image, &layer.name)
                },
            )?;
            first_image += part.images() as u64;
            Ok(())
        })?;
    }
    Ok(sums
        .into_iter()
        .map(|sum| sum.and_then(Accumulator::finish))
        .collect())
}

/// Sums of `x xᵀ` per group, and how many rows went in.
struct Accumulator {
    size: usize,
    groups: Vec<Vec<f64>>,
    rows: u64,
}

impl Accumulator {
    fn for_shape(shape: LayerShape) -> Option<Self> {
        let readable = match shape {
            LayerShape::Conv { window, .. } => window.is_some(),
            LayerShape::Gemm { .. } => true,
        };
        let size = shape.row_len();
        readable.then(|| Self {
            size,
            groups: vec![vec![0.0; size * size]; shape.groups()],
            rows: 0,
        })
    }

    /// Adds the rows the layer reads from `tensor` (a batch whose first image is number
    /// `first_image`), sampled reproducibly for `layer`.
    fn add(
        &mut self,
        shape: LayerShape,
        tensor: ArrayViewD<'_, f32>,
        first_image: u64,
        layer: &str,
    ) -> Result<()> {
        let shape_seen = tensor.shape().to_vec();
        let wrong = || {
            Error::Runtime(format!(
                "the input of layer `{layer}` has shape {shape_seen:?}, which its weight does not read"
            ))
        };
        match shape {
            LayerShape::Gemm { inputs, .. } => {
                if tensor.ndim() != 2 || tensor.shape()[1] != inputs {
                    return Err(wrong());
                }
                let rows = tensor
                    .into_dimensionality::<ndarray::Ix2>()
                    .map_err(|_| wrong())?
                    .to_owned();
                self.add_rows(0, &rows);
                self.rows += rows.nrows() as u64;
            }
            LayerShape::Conv {
                inputs_per_group,
                groups,
                window: Some(window),
                ..
            } => {
                let dims = tensor.shape();
                if dims.len() != 4 || dims[1] != inputs_per_group * groups {
                    return Err(wrong());
                }
                let [height, width] = [dims[2], dims[3]];
                let [rows_out, cols_out] = window.output_size(height, width);
                for (n, image) in tensor.axis_iter(Axis(0)).enumerate() {
                    let count = rows_out * cols_out;
                    let positions: Vec<usize> = if count <= WINDOWS_PER_IMAGE {
                        (0..count).collect()
                    } else {
                        positions(count, WINDOWS_PER_IMAGE, first_image + n as u64, layer).collect()
                    };
                    for group in 0..groups {
                        let mut rows = Array2::<f32>::zeros((positions.len(), self.size));
                        for (row, &position) in positions.iter().enumerate() {
                            let (out_y, out_x) = (position / cols_out, position % cols_out);
                            let mut k = 0;
                            for channel in 0..inputs_per_group {
                                let plane =
                                    image.index_axis(Axis(0), group * inputs_per_group + channel);
                                for ky in 0..window.kernel[0] {
                                    let y = (out_y * window.strides[0] + ky * window.dilations[0])
                                        .checked_sub(window.pads[0])
                                        .filter(|&y| y < height);
                                    for kx in 0..window.kernel[1] {
                                        let x = (out_x * window.strides[1]
                                            + kx * window.dilations[1])
                                            .checked_sub(window.pads[1])
                                            .filter(|&x| x < width);
                                        if let (Some(y), Some(x)) = (y, x) {
                                            rows[[row, k]] = plane[[y, x]];
                                        }
                                        k += 1;
                                    }
                                }
                            }
                        }
                        self.add_rows(group, &rows);
                    }
                    self.rows += positions.len() as u64;
                }
            }
            LayerShape::Conv { window: None, .. } => return Err(wrong()),
        }
        Ok(())
    }

    fn add_rows(&mut self, group: usize, rows: &Array2<f32>) {
        let product = rows.t().dot(rows);
        for (sum, value) in self.groups[group].iter_mut().zip(product.iter()) {
            *sum += f64::from(*value);
        }
    }

    fn finish(self) -> Option<InputGram> {
        (self.rows > 0).then(|| {
            let rows = self.rows as f64;
            InputGram {
                size: self.size,
                groups: self
                    .groups
                    .into_iter()
                    .map(|sum| sum.into_iter().map(|v| v / rows).collect())
                    .collect(),
            }
        })
    }
}
