//! Symmetric per-output-channel INT8 weights and INT32 biases.

use super::{WeightRange, WeightRounding};

/// Quantized weights: int8 values and one scale per output channel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChannelQuantized {
    pub(crate) values: Vec<i8>,
    pub(crate) scales: Vec<f32>,
}

/// The largest magnitude of a symmetric INT8 value.
pub(crate) const INT8_MAX: f32 = 127.0;

/// Scale for a symmetric INT8 range of `amax`; a zero range gets scale 1 (every value is 0).
pub(crate) fn int8_scale(amax: f32) -> f32 {
    level_scale(amax, INT8_MAX)
}

/// Scale that maps `amax` to level `max_level`; a zero range gets scale 1.
fn level_scale(amax: f32, max_level: f32) -> f32 {
    if amax > 0.0 && amax.is_finite() {
        amax / max_level
    } else {
        1.0
    }
}

/// Quantizes `weights` of shape `dims` per channel along `axis`, symmetric, zero point 0,
/// within `range`: by `rounding` where it fits these weights and range, else to nearest,
/// half to even, as ONNX QuantizeLinear does.
pub(crate) fn quantize_per_channel(
    weights: &[f32],
    dims: &[i64],
    axis: usize,
    range: WeightRange,
    rounding: Option<&WeightRounding>,
) -> ChannelQuantized {
    let max_level = range.max_level();
    let channel_of = channel_index(dims, axis);
    let scales = channel_scales(weights, dims, axis, range);
    let up = rounding
        .filter(|r| r.fits(weights.len(), range))
        .map(|r| r.up.as_slice());
    let values = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let scale = scales[channel_of(i)];
            match up {
                Some(up) => ((w / scale).floor() + f32::from(u8::from(up[i])))
                    .clamp(-max_level, max_level) as i8,
                None => quantize_value(w, scale, max_level),
            }
        })
        .collect();
    ChannelQuantized { values, scales }
}

/// The per-channel scales of `weights` of shape `dims` along `axis` within `range`: each
/// channel's largest magnitude maps to the range's top level.
pub(crate) fn channel_scales(
    weights: &[f32],
    dims: &[i64],
    axis: usize,
    range: WeightRange,
) -> Vec<f32> {
    let channels = dims.get(axis).map_or(1, |&d| d.max(1) as usize);
    let channel_of = channel_index(dims, axis);
    let mut amax = vec![0f32; channels];
    for (i, w) in weights.iter().enumerate() {
        let c = channel_of(i);
        amax[c] = amax[c].max(w.abs());
    }
    amax.iter()
        .map(|&a| level_scale(a, range.max_level()))
        .collect()
}

/// The channel (along `axis` of `dims`) of each element index.
fn channel_index(dims: &[i64], axis: usize) -> impl Fn(usize) -> usize {
    let channels = dims.get(axis).map_or(1, |&d| d.max(1) as usize);
    let inner: usize = dims
        .iter()
        .skip(axis + 1)
        .map(|&d| d.max(1) as usize)
        .product();
    move |i| (i / inner) % channels
}

/// `weights` as per-channel INT8 within `range` (and by `rounding`, where it fits)
/// represents them, quantized and dequantized, so that recovery passes can measure what
/// INT8 weights change.
pub fn dequantized_weights(
    weights: &[f32],
    dims: &[i64],
    axis: usize,
    range: WeightRange,
    rounding: Option<&WeightRounding>,
) -> Vec<f32> {
    let q = quantize_per_channel(weights, dims, axis, range, rounding);
    let channel_of = channel_index(dims, axis);
    q.values
        .iter()
        .enumerate()
        .map(|(i, &v)| f32::from(v) * q.scales[channel_of(i)])
        .collect()
}

/// The largest INT32 bias value a channel is given: half the INT32 range, so that the
/// accumulator keeps room for the products.
const BIAS_LIMIT: f64 = (1u64 << 30) as f64;

/// Raises the scale of every channel of `q` (quantized from `weights`) whose bias, at scale
/// `input_scale * weight scale`, would not fit INT32, and requantizes its weights at the new
/// scale. Such channels come from folded batch norms that all but zero a channel's weights
/// (scales of 1e-24) while keeping its bias: INT32 would clamp the bias to almost nothing.
pub(crate) fn fit_scales_to_bias(
    q: &mut ChannelQuantized,
    weights: &[f32],
    dims: &[i64],
    axis: usize,
    range: WeightRange,
    bias: &[f32],
    input_scale: f32,
) {
    let mut raised = vec![false; q.scales.len()];
    for ((scale, &b), raised) in q.scales.iter_mut().zip(bias).zip(&mut raised) {
        let needed = (f64::from(b.abs()) / (f64::from(input_scale) * BIAS_LIMIT)) as f32;
        if needed.is_finite() && *scale < needed {
            *scale = needed;
            *raised = true;
        }
    }
    if !raised.contains(&true) {
        return;
    }
    let channel_of = channel_index(dims, axis);
    for (i, (value, &w)) in q.values.iter_mut().zip(weights).enumerate() {
        let c = channel_of(i);
        if raised[c] {
            *value = quantize_value(w, q.scales[c], range.max_level());
        }
    }
}

fn quantize_value(value: f32, scale: f32, max_level: f32) -> i8 {
    (value / scale)
        .round_ties_even()
        .clamp(-max_level, max_level) as i8
}

/// Quantizes a bias to INT32 with per-channel scale `input_scale * weight_scale[c]`, the
/// form ONNX Runtime needs to fuse a quantized convolution.
pub(crate) fn quantize_bias(
    bias: &[f32],
    input_scale: f32,
    weight_scales: &[f32],
) -> (Vec<i32>, Vec<f32>) {
    let scales: Vec<f32> = weight_scales.iter().map(|&w| w * input_scale).collect();
    let values = bias
        .iter()
        .zip(&scales)
        .map(|(&b, &s)| {
            (f64::from(b) / f64::from(s))
                .round_ties_even()
                .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
        })
        .collect();
    (values, scales)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_weights_get_one_scale_per_output_channel() {
        // Two output channels of 2 values each: [[1, -0.5], [0.011, 0.02]].
        let q = quantize_per_channel(
            &[1.0, -0.5, 0.011, 0.02],
            &[2, 2, 1, 1],
            0,
            WeightRange::Full,
            None,
        );
        assert_eq!(q.scales, vec![1.0 / 127.0, 0.02 / 127.0]);
        assert_eq!(q.values, vec![127, -64, 70, 127]);
        let reduced = quantize_per_channel(
            &[1.0, -0.5, 0.011, 0.02],
            &[2, 2, 1, 1],
            0,
            WeightRange::Reduced,
            None,
        );
        assert_eq!(reduced.scales, vec![1.0 / 63.0, 0.02 / 63.0]);
        // -0.5 / (1/63) is -31.4999... in f32, so it rounds to -31.
        assert_eq!(reduced.values, vec![63, -31, 35, 63]);
    }

    #[test]
    fn transposed_conv_weights_use_axis_one() {
        // dims [in=2, out=2]: channel = index % 2.
        let q = quantize_per_channel(&[1.0, 0.1, -2.0, 0.05], &[2, 2], 1, WeightRange::Full, None);
        assert_eq!(q.scales, vec![2.0 / 127.0, 0.1 / 127.0]);
        assert_eq!(q.values, vec![64, 127, -127, 64]);
    }

    #[test]
    fn a_chosen_rounding_rounds_each_weight_its_own_way() {
        // Scale 1/127: 0.5 is level 63.5, -0.25 is level -31.75.
        let weights = [1.0, 0.5, -0.25];
        let up = |bits: [bool; 3]| WeightRounding {
            range: WeightRange::Full,
            up: bits.to_vec(),
        };
        let q = |rounding: &WeightRounding| {
            quantize_per_channel(&weights, &[1, 3], 0, WeightRange::Full, Some(rounding)).values
        };
        assert_eq!(q(&up([false, false, false])), vec![127, 63, -32]);
        assert_eq!(q(&up([true, true, true])), vec![127, 64, -31]);
        // A rounding for another range or another weight count is not used.
        let other = WeightRounding {
            range: WeightRange::Reduced,
            up: vec![true; 3],
        };
        assert_eq!(q(&other), vec![127, 64, -32]);
        let short = WeightRounding {
            range: WeightRange::Full,
            up: vec![true; 2],
        };
        assert_eq!(q(&short), vec![127, 64, -32]);
    }

    #[test]
    fn a_channel_whose_bias_would_not_fit_int32_gets_a_wider_scale() {
        // Channel 0 is normal; channel 1's weights were all but zeroed by a folded batch norm
        // while its bias stayed 0.5.
        let weights = [1.0, -0.5, 1e-24, -2e-24];
        let dims = [2, 2];
        let mut q = quantize_per_channel(&weights, &dims, 0, WeightRange::Full, None);
        let narrow = q.scales[1];
        fit_scales_to_bias(
            &mut q,
            &weights,
            &dims,
            0,
            WeightRange::Full,
            &[0.1, 0.5],
            0.01,
        );
        assert_eq!(q.scales[0], 1.0 / 127.0);
        assert!(q.scales[1] > narrow * 1e10);
        assert_eq!(&q.values[2..], &[0, 0]);
        let (values, scales) = quantize_bias(&[0.1, 0.5], 0.01, &q.scales);
        assert!(values[1].abs() <= 1 << 30);
        assert!((values[1] as f32 * scales[1] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn zero_channels_and_biases_are_safe() {
        let q = quantize_per_channel(&[0.0, 0.0], &[1, 2], 0, WeightRange::Full, None);
        assert_eq!(q.scales, vec![1.0]);
        assert_eq!(q.values, vec![0, 0]);
        let (values, scales) = quantize_bias(&[0.5, -1.0], 0.5, &[0.01, 0.1]);
        assert_eq!(scales, vec![0.005, 0.05]);
        assert_eq!(values, vec![100, -20]);
    }
}
