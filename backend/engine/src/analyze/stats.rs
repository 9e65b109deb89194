//! What the error analysis gathers at one tensor over the images.

use ndarray::{ArrayD, Axis};

use super::TensorError;
use super::causes::Cause;
use super::quantizers::Quantizer;
use crate::recover::{Elementwise, sample};

/// Running sums of one tensor's float and quantized values.
pub(crate) struct TensorStats {
    pub(crate) quantizer: Quantizer,
    function: Elementwise,
    signal: f64,
    cumulative_noise: f64,
    clipped: u64,
    count: u64,
    samples: Vec<f32>,
    channel_max: Vec<f32>,
}

impl TensorStats {
    pub(crate) fn new(quantizer: Quantizer, function: Elementwise) -> Self {
        Self {
            quantizer,
            function,
            signal: 0.0,
            cumulative_noise: 0.0,
            clipped: 0,
            count: 0,
            samples: Vec::new(),
            channel_max: Vec::new(),
        }
    }

    /// Adds one image's float values and the quantized model's values of the tensor.
    pub(crate) fn add(&mut self, float: &ArrayD<f32>, int8: &ArrayD<f32>, image: u64) {
        let (low, high) = (
            self.quantizer.low - self.quantizer.step / 2.0,
            self.quantizer.high + self.quantizer.step / 2.0,
        );
        for (&x, &y) in float.iter().zip(int8.iter()) {
            if !x.is_finite() {
                continue;
            }
            self.signal += f64::from(x) * f64::from(x);
            self.cumulative_noise += f64::from(x - y) * f64::from(x - y);
            self.clipped += u64::from(x < low || x > high);
            self.count += 1;
        }
        let values = float
            .as_slice()
            .map_or_else(|| float.iter().copied().collect(), <[f32]>::to_vec);
        self.samples
            .extend(sample(&values, image, &self.quantizer.tensor));
        if float.ndim() >= 3 {
            let channels = float.len_of(Axis(1));
            self.channel_max.resize(channels, 0.0);
            for (c, lane) in float.axis_iter(Axis(1)).enumerate() {
                let max = lane.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                self.channel_max[c] = self.channel_max[c].max(max);
            }
        }
    }

    /// The tensor's figures, as the analysis reports them at `position`, read by `layers`.
    pub(crate) fn finish(self, position: usize, layers: Vec<String>) -> TensorError {
        let q = &self.quantizer;
        let quantized: Vec<f32> = self.samples.iter().map(|&v| q.fake_quantize(v)).collect();
        let (mut signal, mut noise) = (0.0, 0.0);
        for (a, b) in self
            .function
            .outputs(&self.samples)
            .iter()
            .zip(self.function.outputs(&quantized))
        {
            for (x, y) in a.iter().zip(&b) {
                signal += f64::from(*x) * f64::from(*x);
                noise += f64::from(x - y) * f64::from(x - y);
            }
        }
        let mut sorted = self.samples.clone();
        sorted.sort_by(f32::total_cmp);
        let at = |p: f64| {
            sorted
                .get(((sorted.len().saturating_sub(1)) as f64 * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let levels_used = if q.step > 0.0 {
            f64::from((at(0.995) - at(0.005)) / q.step).max(1.0)
        } else {
            0.0
        };
        let channel_spread = spread(&self.channel_max);
        let clipped = self.clipped as f64 / self.count.max(1) as f64;
        TensorError {
            tensor: q.tensor.clone(),
            position,
            low: q.low,
            high: q.high,
            step: q.step,
            clipped,
            levels_used,
            channel_spread,
            local_sqnr_db: sqnr_db(signal, noise),
            cumulative_sqnr_db: sqnr_db(self.signal, self.cumulative_noise),
            output_sqnr_db: None,
            flagged: false,
            causes: Cause::of(clipped, levels_used, channel_spread),
            layers,
        }
    }
}

/// Signal over noise in dB, capped at 120 dB when there is no noise.
pub(crate) fn sqnr_db(signal: f64, noise: f64) -> f64 {
    if noise <= signal * 1e-12 {
        120.0
    } else {
        10.0 * (signal / noise).log10()
    }
}

/// The largest of `ranges` over their median (1 without two non-zero ones).
fn spread(ranges: &[f32]) -> f64 {
    let mut nonzero: Vec<f32> = ranges.iter().copied().filter(|r| *r > 0.0).collect();
    if nonzero.len() < 2 {
        return 1.0;
    }
    nonzero.sort_by(f32::total_cmp);
    let median = nonzero[nonzero.len() / 2];
    f64::from(nonzero[nonzero.len() - 1] / median)
}
