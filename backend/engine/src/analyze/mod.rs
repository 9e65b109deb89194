//! Where the INT8 error enters: for every activation quantizer of a quantized model, the
//! error that quantizer adds alone (local) and the error the quantized model has gathered
//! by that tensor (cumulative), with the quantizer's range, step and clipping, in graph
//! order; on a few images, the error each quantizer alone causes at the model's outputs; the
//! worst tensors flagged with their likely cause.

mod alone;
mod causes;
mod quantizers;
mod ranking;
mod stats;

use std::collections::HashMap;

use ndarray::{ArrayD, Axis};
use serde::Serialize;

pub use causes::Cause;
pub use ranking::{group_ranking, ranking_text};

use self::alone::AloneErrors;
use self::quantizers::activation_quantizers;
use self::stats::TensorStats;
use crate::calibrate::Calibration;
use crate::cleanup::{equalize_cross_layer, prepare_for_quantization};
use crate::graph::GraphIndex;
use crate::layers::discover_layers;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, QuantConfig, quantize_model};
use crate::recover::Elementwise;
use crate::runtime::{exposed_session, run_f32};
use crate::{Error, Result};

/// How many of the worst tensors are flagged: by output error where it was measured, else by
/// local error.
pub const FLAGGED: usize = 5;

/// The error at one quantized tensor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorError {
    /// The tensor (its name in the cleaned-up float model).
    pub tensor: String,
    /// Its place among the quantized tensors, in graph order.
    pub position: usize,
    /// The quantizer's lowest value.
    pub low: f32,
    /// The quantizer's highest value.
    pub high: f32,
    /// The distance between two levels.
    pub step: f32,
    /// The share of the float values outside the range.
    pub clipped: f64,
    /// How many levels hold the middle 99% of the float values.
    pub levels_used: f64,
    /// The largest channel range over the median channel range (1 for one channel).
    pub channel_spread: f64,
    /// Signal-to-quantization-noise ratio, dB, of what the tensor feeds (the elementwise
    /// function its consumers compute of it) with this quantizer alone on float values.
    pub local_sqnr_db: f64,
    /// Signal-to-noise ratio, dB, of the quantized model's tensor against the float one.
    pub cumulative_sqnr_db: f64,
    /// Signal-to-noise ratio, dB, of the model's outputs with this activation quantizer alone
    /// (every other one bypassed, the weights quantized) against all bypassed; `None` where
    /// the analysis did not measure it.
    pub output_sqnr_db: Option<f64>,
    /// Whether this tensor is among the [`FLAGGED`] worst (see [`TensorError::severity`]).
    pub flagged: bool,
    /// What makes its error large: each figure past its threshold, and for a flagged tensor
    /// with none past, amplification downstream or the figure nearest its threshold (see
    /// [`Cause::unflagged_figures`]).
    pub causes: Vec<Cause>,
    /// The quantizable layers that read the tensor, by their names in the model's layer
    /// list (empty when only other ops read it).
    pub layers: Vec<String>,
}

impl TensorError {
    /// What ranks the tensors, lower being worse: the output error where it was measured
    /// (what the detector sees), else the local error.
    pub fn severity(&self) -> f64 {
        self.output_sqnr_db.unwrap_or(self.local_sqnr_db)
    }
}

/// The per-tensor error of one quantized model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorAnalysis {
    /// How many images were analysed.
    pub images: usize,
    /// How many of them also measured each quantizer's output error alone.
    pub output_images: usize,
    /// Every quantized tensor, in graph order.
    pub tensors: Vec<TensorError>,
}

impl ErrorAnalysis {
    /// The flagged tensors, worst first.
    pub fn worst(&self) -> Vec<&TensorError> {
        let mut worst: Vec<&TensorError> = self.tensors.iter().filter(|t| t.flagged).collect();
        worst.sort_by(|a, b| a.severity().total_cmp(&b.severity()));
        worst
    }
}

/// Analyses `model` quantized in full for `config` with `calibration`, on `batches` fed to
/// `input`, one image at a time, the first `output_images` of them also run once per
/// quantizer for its output error alone; `on_image` hears how many images are done.
pub fn analyze_errors(
    model: &ModelProto,
    calibration: &Calibration,
    input: &str,
    batches: &[ArrayD<f32>],
    config: impl Into<QuantConfig>,
    output_images: usize,
    on_image: &mut dyn FnMut(usize),
) -> Result<ErrorAnalysis> {
    let (mut float, _) = prepare_for_quantization(model)?;
    if calibration.recovery.equalizes() {
        equalize_cross_layer(&mut float)?;
    }
    let (quantized, _) = quantize_model(model, GroupSelection::All, calibration, config)?;
    let quantized_graph = quantized
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let quantizers = activation_quantizers(&GraphIndex::new(quantized_graph)?);
    let float_graph = float
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let float_index = GraphIndex::new(float_graph)?;
    let mut readers: HashMap<String, Vec<String>> = HashMap::new();
    for layer in discover_layers(&float_index)? {
        readers.entry(layer.input).or_default().push(layer.name);
    }
    let names: Vec<String> = quantizers
        .iter()
        .map(|q| q.tensor.clone())
        .filter(|t| t != input)
        .collect();
    let mut float_session = exposed_session(&float, &names)?;
    let mut quantized_session = exposed_session(&quantized, &names)?;
    let mut stats: Vec<TensorStats> = quantizers
        .iter()
        .map(|q| TensorStats::new(q.clone(), Elementwise::of(&float_index, &q.tensor)))
        .collect();
    let mut alone = if output_images > 0 {
        Some(AloneErrors::new(&quantized, &quantizers, input)?)
    } else {
        None
    };
    let mut images = 0;
    for batch in batches {
        for one in batch.axis_chunks_iter(Axis(0), 1) {
            let reference = run_f32(&mut float_session, input, one.view(), &names)?;
            let observed = run_f32(&mut quantized_session, input, one.view(), &names)?;
            for stat in &mut stats {
                let name = &stat.quantizer.tensor;
                let (float, int8) = if name == input {
                    (one.to_owned(), one.to_owned())
                } else {
                    let missing = || Error::Runtime(format!("tensor `{name}` was not produced"));
                    (
                        reference.get(name).ok_or_else(missing)?.clone(),
                        observed.get(name).ok_or_else(missing)?.clone(),
                    )
                };
                stat.add(&float, &int8, images as u64);
            }
            if let Some(alone) = alone.as_mut().filter(|_| images < output_images) {
                alone.add(one.view())?;
            }
            images += 1;
            on_image(images);
        }
    }
    let output_sqnr = alone.map(AloneErrors::finish);
    let mut tensors: Vec<TensorError> = stats
        .into_iter()
        .enumerate()
        .map(|(position, stat)| {
            let layers = readers.remove(&stat.quantizer.tensor).unwrap_or_default();
            let mut tensor = stat.finish(position, layers);
            tensor.output_sqnr_db = output_sqnr.as_ref().map(|s| s[position]);
            tensor
        })
        .collect();
    let mut by_severity: Vec<usize> = (0..tensors.len()).collect();
    by_severity.sort_by(|&a, &b| tensors[a].severity().total_cmp(&tensors[b].severity()));
    for &i in by_severity.iter().take(FLAGGED) {
        let t = &mut tensors[i];
        t.flagged = true;
        if t.causes.is_empty() {
            t.causes = vec![Cause::unflagged_figures(
                t.clipped,
                t.levels_used,
                t.channel_spread,
                t.local_sqnr_db,
                t.output_sqnr_db,
            )];
        }
    }
    Ok(ErrorAnalysis {
        images,
        output_images: images.min(output_images),
        tensors,
    })
}
