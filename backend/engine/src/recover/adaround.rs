//! The `adaround` pass: adaptive rounding of INT8 weights (Nagel et al. 2020, "Up or Down?
//! Adaptive Rounding for Post-Training Quantization"). Each weight rounds up or down, not
//! to nearest, where that makes the layer's output error on calibration inputs smaller. Per
//! output channel the error is the quadratic `dᵀ G d` of the weight error `d`, `G` the
//! second moment of the layer's float input rows; the up/down choices are found by local
//! search on that objective, from round-to-nearest, one weight flipped at a time while a flip
//! lowers it.

use ndarray::ArrayD;
use rayon::prelude::*;

use super::gram::input_grams;
use super::layer_shape::shaped_layers;
use super::{RoundingGain, Roundings};
use crate::Result;
use crate::graph::GraphIndex;
use crate::onnx::proto::ModelProto;
use crate::onnx::tensor_f32;
use crate::quantize::{WeightRange, WeightRounding, channel_scales};

/// Sweeps over a row's weights at most; each sweep flips every weight whose flip helps.
const MAX_SWEEPS: usize = 8;

/// The adaptive rounding of every Conv and Gemm layer of `model` (cleaned up) whose input
/// windows can be read, for the weight range `ort-cpu` uses on this machine, with input
/// statistics from `batches` fed to `input`; and what it gained.
pub(crate) fn choose_roundings(
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
) -> Result<(Roundings, RoundingGain)> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| crate::Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let layers = shaped_layers(&index)?;
    let mut roundings = Roundings::new();
    let mut gain = RoundingGain::default();
    if layers.is_empty() || batches.is_empty() {
        return Ok((roundings, gain));
    }
    let grams = input_grams(model, input, batches, &layers)?;
    let range = WeightRange::for_this_cpu();
    for ((layer, shape), gram) in layers.iter().zip(&grams) {
        let Some(gram) = gram else {
            continue;
        };
        let Some(weight) = index.constant(&layer.weight) else {
            continue;
        };
        let weights = tensor_f32(weight)?;
        if weights.len() != shape.outputs() * shape.row_len() {
            continue;
        }
        let scales = channel_scales(&weights, &layer.weight_shape, layer.channel_axis, range);
        let rows: Vec<RowRounding> = (0..shape.outputs())
            .into_par_iter()
            .map(|output| {
                let row: Vec<f32> = (0..shape.row_len())
                    .map(|k| weights[shape.weight_index(output, k)])
                    .collect();
                round_row(
                    &row,
                    scales[output],
                    range.max_level(),
                    &gram.groups[shape.group_of(output)],
                )
            })
            .collect();
        let mut up = vec![false; weights.len()];
        for (output, row) in rows.iter().enumerate() {
            for (k, &level) in row.levels.iter().enumerate() {
                let i = shape.weight_index(output, k);
                up[i] = level > (weights[i] / scales[output]).floor();
            }
            gain.nearest_error += row.nearest_error;
            gain.chosen_error += row.chosen_error;
            gain.flipped += row.flipped;
        }
        gain.layers += 1;
        gain.weights += weights.len();
        debug_assert_eq!(gram.size, shape.row_len());
        roundings.insert(layer.name.clone(), WeightRounding { range, up });
    }
    Ok((roundings, gain))
}

/// One output channel's chosen levels and what they change.
struct RowRounding {
    levels: Vec<f32>,
    nearest_error: f64,
    chosen_error: f64,
    flipped: usize,
}

/// The levels (each the floor or the ceiling of `w / scale`, within `±max_level`) of `row`
/// that the local search finds for the error `dᵀ gram d`, from round-to-nearest.
fn round_row(row: &[f32], scale: f32, max_level: f32, gram: &[f64]) -> RowRounding {
    let size = row.len();
    let nearest: Vec<f32> = row
        .iter()
        .map(|&w| (w / scale).round_ties_even().clamp(-max_level, max_level))
        .collect();
    let mut levels = nearest.clone();
    let error_of = |levels: &[f32]| -> Vec<f64> {
        levels
            .iter()
            .zip(row)
            .map(|(&q, &w)| f64::from(q * scale - w))
            .collect()
    };
    let delta = error_of(&levels);
    // gradient = G d, kept up to date as weights flip.
    let mut gradient: Vec<f64> = (0..size)
        .map(|i| dot(&gram[i * size..(i + 1) * size], &delta))
        .collect();
    let nearest_error = dot(&delta, &gradient);
    let mut flipped = vec![false; size];
    for _ in 0..MAX_SWEEPS {
        let mut changed = false;
        for i in 0..size {
            let exact = row[i] / scale;
            let other = if levels[i] > exact {
                exact.floor()
            } else {
                exact.ceil()
            };
            if other == levels[i] || other.abs() > max_level {
                continue;
            }
            let step = f64::from((other - levels[i]) * scale);
            let change = 2.0 * step * gradient[i] + step * step * gram[i * size + i];
            if change < -1e-12 * nearest_error.abs().max(f64::MIN_POSITIVE) {
                levels[i] = other;
                flipped[i] = !flipped[i];
                for (g, column) in gradient.iter_mut().zip(&gram[i * size..(i + 1) * size]) {
                    *g += step * column;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let chosen_error = dot(&error_of(&levels), &gradient);
    RowRounding {
        levels,
        nearest_error,
        chosen_error,
        flipped: flipped.iter().filter(|&&f| f).count(),
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlated_inputs_round_so_that_errors_cancel() {
        // Two inputs that are always equal: only the sum of the weight errors matters.
        // Nearest rounds 0.4 and 0.4 both down (error -0.8); one up cancels it to 0.2.
        let gram = [1.0, 1.0, 1.0, 1.0];
        let rounding = round_row(&[0.4, 0.4], 1.0, 127.0, &gram);
        assert!((rounding.nearest_error - 0.64).abs() < 1e-6);
        assert!(rounding.chosen_error < 0.05, "{}", rounding.chosen_error);
        assert_eq!(rounding.flipped, 1);
        let mut levels = rounding.levels.clone();
        levels.sort_by(f32::total_cmp);
        assert_eq!(levels, vec![0.0, 1.0]);
    }

    #[test]
    fn independent_inputs_keep_round_to_nearest() {
        let gram = [1.0, 0.0, 0.0, 1.0];
        let rounding = round_row(&[0.4, -1.7], 1.0, 127.0, &gram);
        assert_eq!(rounding.levels, vec![0.0, -2.0]);
        assert_eq!(rounding.flipped, 0);
        assert!((rounding.chosen_error - rounding.nearest_error).abs() < 1e-12);
    }

    #[test]
    fn a_flip_never_leaves_the_weight_range() {
        // Correlated inputs want the clipped weight lower, but it is at the range's edge.
        let gram = [1.0, 1.0, 1.0, 1.0];
        let rounding = round_row(&[1.3, 0.4], 1.0, 1.0, &gram);
        assert!(rounding.levels.iter().all(|l| l.abs() <= 1.0));
    }
}
