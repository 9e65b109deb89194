//! How a candidate model is scored against the float model.

use std::collections::HashMap;

use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::batch::{BatchSize, retarget_batch};
use crate::onnx::encode_model;
use crate::onnx::proto::ModelProto;
use crate::runtime::{SessionConfig, run_f32, session_from_bytes};

/// The accuracy of one model, higher is better in every field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Score {
    /// The figure rankings and drops are computed on: COCO mAP@0.5:0.95 (labelled or
    /// agreement), or for the output-fidelity proxy the mean cosine similarity.
    pub primary: f64,
    /// mAP@0.5 for detection metrics; the signal-to-noise ratio in dB for the proxy.
    pub secondary: f64,
}

/// Scores candidate models; implementations keep whatever reference they compare to.
pub trait Scorer {
    /// A short name for reports (`map`, `agreement`, `proxy`).
    fn name(&self) -> &'static str;
    /// Scores `model`, which takes the same inputs as the float model.
    fn score(&mut self, model: &ModelProto) -> Result<Score>;
}

/// The output-fidelity proxy: how close a candidate's raw outputs stay to the float
/// model's on a few input batches. Needs no decoder, so it works for any ONNX model.
pub struct OutputFidelity {
    input: String,
    batches: Vec<ArrayD<f32>>,
    reference: Vec<HashMap<String, ArrayD<f32>>>,
    session: SessionConfig,
}

impl OutputFidelity {
    /// Runs the float `model` once over `batches` (fed to `input`) to keep its outputs.
    /// Models run batch-dynamic, so batches may have any size.
    pub fn new(
        model: &ModelProto,
        input: &str,
        batches: Vec<ArrayD<f32>>,
        session: SessionConfig,
    ) -> Result<Self> {
        let dynamic = retarget_batch(model, BatchSize::Dynamic)?;
        let mut float = session_from_bytes(&encode_model(&dynamic), &session)?;
        let reference = batches
            .iter()
            .map(|b| run_f32(&mut float, input, b.view(), &[]))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            input: input.to_owned(),
            batches,
            reference,
            session,
        })
    }
}

impl Scorer for OutputFidelity {
    fn name(&self) -> &'static str {
        "proxy"
    }

    fn score(&mut self, model: &ModelProto) -> Result<Score> {
        let dynamic = retarget_batch(model, BatchSize::Dynamic)?;
        let mut candidate = session_from_bytes(&encode_model(&dynamic), &self.session)?;
        let (mut cosine_sum, mut outputs, mut signal, mut noise) = (0.0, 0usize, 0.0f64, 0.0f64);
        for (batch, reference) in self.batches.iter().zip(&self.reference) {
            let produced = run_f32(&mut candidate, &self.input, batch.view(), &[])?;
            for (name, expected) in reference {
                let Some(actual) = produced.get(name) else {
                    continue;
                };
                let fidelity = compare(expected, actual);
                cosine_sum += fidelity.cosine;
                outputs += 1;
                signal += fidelity.signal;
                noise += fidelity.noise;
            }
        }
        Ok(Score {
            primary: cosine_sum / outputs.max(1) as f64,
            secondary: snr_db(signal, noise),
        })
    }
}

struct Fidelity {
    cosine: f64,
    signal: f64,
    noise: f64,
}

fn compare(expected: &ArrayD<f32>, actual: &ArrayD<f32>) -> Fidelity {
    let (mut dot, mut ee, mut aa, mut noise) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (&e, &a) in expected.iter().zip(actual.iter()) {
        let (e, a) = (f64::from(e), f64::from(a));
        dot += e * a;
        ee += e * e;
        aa += a * a;
        noise += (e - a) * (e - a);
    }
    let cosine = if ee == 0.0 && aa == 0.0 {
        1.0
    } else {
        dot / (ee.sqrt() * aa.sqrt()).max(f64::MIN_POSITIVE)
    };
    Fidelity {
        cosine,
        signal: ee,
        noise,
    }
}

/// Signal-to-noise ratio in dB, capped at 100 dB for identical outputs.
fn snr_db(signal: f64, noise: f64) -> f64 {
    if noise <= 0.0 {
        100.0
    } else {
        (10.0 * (signal / noise).log10()).min(100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn identical_outputs_are_perfect_and_noise_lowers_both_figures() {
        let a = arr1(&[1.0f32, -2.0, 3.0]).into_dyn();
        let same = compare(&a, &a);
        assert!((same.cosine - 1.0).abs() < 1e-12);
        assert_eq!(snr_db(same.signal, same.noise), 100.0);
        let b = arr1(&[1.1f32, -2.0, 2.9]).into_dyn();
        let noisy = compare(&a, &b);
        assert!(noisy.cosine < 1.0 && noisy.cosine > 0.99);
        let snr = snr_db(noisy.signal, noisy.noise);
        assert!(
            (snr - 10.0 * (14.0f64 / 0.02).log10()).abs() < 1e-3,
            "{snr}"
        );
    }
}
