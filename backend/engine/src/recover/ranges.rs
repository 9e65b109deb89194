//! The `ranges` pass: each activation's uint8 bounds chosen on its own, where the squared
//! error of what the tensor feeds is smallest (AdaQuant/PPQ-style range choice by effect),
//! instead of one symmetric clip by one method for the whole model.

use std::collections::HashMap;

use ndarray::ArrayD;
use rayon::prelude::*;

use super::elementwise::Elementwise;
use super::sample::sample;
use crate::Result;
use crate::calibrate::{CalibrationTable, TensorRange};
use crate::graph::GraphIndex;
use crate::onnx::proto::ModelProto;
use crate::runtime::{exposed_session, run_f32};

/// The fractions of the seen extreme each side's candidates clip at.
const CANDIDATE_FRACTIONS: [f32; 14] = [
    1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0,
];
/// Rounds of choosing the low bound with the high one fixed, then the high one.
const ROUNDS: usize = 2;
/// A new choice must beat the method's bounds by this share of their error, so that sample
/// noise does not move a range.
const MIN_GAIN: f64 = 0.02;
/// Levels of a uint8 quantizer.
const LEVELS: f32 = 255.0;

/// Chooses new uint8 bounds for every tensor of `table` (calibrated on `model`, cleaned up)
/// whose error, measured on values sampled over `batches` fed to `input`, they make
/// clearly smaller; sets each one's [`TensorRange::clip`]. Returns how many changed.
pub(crate) fn choose_ranges(
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
    table: &mut CalibrationTable,
) -> Result<usize> {
    let samples = sample_values(model, input, batches, table)?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| crate::Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let functions: HashMap<&String, Elementwise> = table
        .tensors
        .keys()
        .map(|name| (name, Elementwise::of(&index, name)))
        .collect();
    let chosen: Vec<(String, [f32; 2])> = table
        .tensors
        .par_iter()
        .filter_map(|(name, range)| {
            let values = samples.get(name)?;
            best_bounds(range, values, &functions[name]).map(|b| (name.clone(), b))
        })
        .collect();
    for (name, bounds) in &chosen {
        if let Some(range) = table.tensors.get_mut(name) {
            range.clip = Some(*bounds);
        }
    }
    Ok(chosen.len())
}

/// Bounds for `range` clearly better than its method's on `values` through `function`.
///
/// A bound moves in only where what the tensor feeds barely changes beyond it (a function
/// that saturates there, as a HardSwish below -3 or a Clip): rare large values of a
/// detector's activations carry its strongest responses and its box logits, and clipping
/// them for a smaller average error costs accuracy (PicoDet-layout label mAP 0.49 -> 0.29
/// when the low bound moved freely, YOLOv8n agreement 0.85 -> 0.81 when both did).
fn best_bounds(range: &TensorRange, values: &[f32], function: &Elementwise) -> Option<[f32; 2]> {
    if values.is_empty() || range.highest <= range.lowest {
        return None;
    }
    let reference = function.outputs(values);
    let squared_error = |mapped: &[f32]| -> f64 {
        let outputs = function.outputs(mapped);
        reference
            .iter()
            .zip(&outputs)
            .map(|(a, b)| {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| f64::from(x - y).powi(2))
                    .sum::<f64>()
                    / a.len().max(1) as f64
            })
            .sum()
    };
    let error = |low: f32, high: f32| -> f64 {
        squared_error(
            &values
                .iter()
                .map(|&v| fake_quantize(v, low, high))
                .collect::<Vec<_>>(),
        )
    };
    let (low0, high0) = range.clipped_bounds();
    let baseline = error(low0, high0);
    // Flat beyond a bound: clamping there moves no sampled output by half a step.
    let tolerance = (high0 - low0) / LEVELS / 2.0;
    let saturated = |low: f32, high: f32| {
        let clamped: Vec<f32> = values.iter().map(|&v| v.clamp(low, high)).collect();
        reference
            .iter()
            .zip(function.outputs(&clamped))
            .all(|(a, b)| a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= tolerance))
    };
    let lows: Vec<f32> = CANDIDATE_FRACTIONS
        .iter()
        .map(|f| range.lowest.min(0.0) * f)
        .filter(|&l| l <= low0 || saturated(l, f32::INFINITY))
        .chain([low0])
        .collect();
    let highs: Vec<f32> = CANDIDATE_FRACTIONS
        .iter()
        .map(|f| range.highest.max(0.0) * f)
        .filter(|&h| h >= high0 || saturated(f32::NEG_INFINITY, h))
        .chain([high0])
        .collect();
    let (mut low, mut high, mut best) = (low0, high0, baseline);
    for _ in 0..ROUNDS {
        for &candidate in &lows {
            let e = error(candidate, high);
            if high > candidate && e < best {
                (low, best) = (candidate, e);
            }
        }
        for &candidate in &highs {
            let e = error(low, candidate);
            if candidate > low && e < best {
                (high, best) = (candidate, e);
            }
        }
    }
    (best < baseline * (1.0 - MIN_GAIN) && (low, high) != (low0, high0)).then_some([low, high])
}

/// `value` through a 256-level quantizer over `[low, high]` and back, as ONNX Runtime does
/// it (uint8 with a zero point, or int8 over `[-128·s, 127·s]`).
pub(crate) fn fake_quantize(value: f32, low: f32, high: f32) -> f32 {
    let scale = (high - low) / LEVELS;
    if scale.is_nan() || scale <= 0.0 {
        return value;
    }
    let zero = (-low / scale).round().clamp(0.0, LEVELS);
    let level = ((value / scale).round_ties_even() + zero).clamp(0.0, LEVELS);
    (level - zero) * scale
}

/// A [`sample`] of each tensor of `table` per image, from the float `model` run one image
/// at a time.
fn sample_values(
    model: &ModelProto,
    input: &str,
    batches: &[ArrayD<f32>],
    table: &CalibrationTable,
) -> Result<HashMap<String, Vec<f32>>> {
    let outputs: Vec<String> = table
        .tensors
        .keys()
        .filter(|t| t.as_str() != input)
        .cloned()
        .collect();
    let mut session = exposed_session(model, &outputs)?;
    let mut samples: HashMap<String, Vec<f32>> = HashMap::new();
    let mut image = 0u64;
    for batch in batches {
        for one in batch.axis_chunks_iter(ndarray::Axis(0), 1) {
            let values = run_f32(&mut session, input, one.view(), &outputs)?;
            let mut add = |name: &str, array: &[f32]| {
                samples
                    .entry(name.to_owned())
                    .or_default()
                    .extend(sample(array, image, name));
            };
            if table.tensors.contains_key(input) {
                let owned = one.iter().copied().collect::<Vec<_>>();
                add(input, &owned);
            }
            for (name, array) in &values {
                match array.as_slice() {
                    Some(slice) => add(name, slice),
                    None => add(name, &array.iter().copied().collect::<Vec<_>>()),
                }
            }
            image += 1;
        }
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_quantization_keeps_zero_and_clips_outside_the_bounds() {
        assert_eq!(fake_quantize(0.0, -1.0, 3.0), 0.0);
        assert_eq!(
            fake_quantize(10.0, -1.0, 3.0),
            fake_quantize(3.0, -1.0, 3.0)
        );
        let step = 4.0 / 255.0;
        assert!((fake_quantize(1.0, -1.0, 3.0) - 1.0).abs() <= step / 2.0 + 1e-6);
    }

    #[test]
    fn the_side_a_function_flattens_is_clipped_and_no_other() {
        let values: Vec<f32> = (0..4000).map(|i| (i as f32 - 2000.0) / 100.0).collect();
        let range = TensorRange {
            amax: 20.0,
            max: 20.0,
            lowest: -20.0,
            highest: 20.0,
            count: values.len() as u64,
            clip: None,
        };
        let flat_below = Elementwise::clip(0.0, f32::INFINITY);
        let [low, high] = best_bounds(&range, &values, &flat_below).unwrap();
        assert!(low > -5.0 && high == 20.0, "[{low}, {high}]");
        // A LeakyRelu still passes a tenth of the negative side: its bounds stay.
        assert_eq!(
            best_bounds(&range, &values, &Elementwise::leaky_relu(0.1)),
            None
        );
    }

    #[test]
    fn a_rare_outlier_keeps_its_high_bound_unless_what_it_feeds_saturates() {
        // Mostly small values and one far outlier: the method's max range wastes levels.
        let mut values: Vec<f32> = (0..4000)
            .map(|i| ((i % 200) as f32 - 100.0) / 50.0)
            .collect();
        values.push(90.0);
        let range = TensorRange {
            amax: 90.0,
            max: 90.0,
            lowest: -2.0,
            highest: 90.0,
            count: values.len() as u64,
            clip: None,
        };
        assert_eq!(best_bounds(&range, &values, &Elementwise::identity()), None);
        let [_, high] = best_bounds(&range, &values, &Elementwise::clip(0.0, 6.0)).unwrap();
        assert!(high <= 9.0, "{high}");
    }
}
