//! Running a float model over calibration batches and collecting per-tensor histograms.

use std::collections::BTreeMap;

use ndarray::ArrayD;
use rayon::prelude::*;

use super::{AutoChoice, CalibrationMethod, CalibrationTable, Histogram, TensorRange};
use crate::batch::{BatchSize, retarget_batch};
use crate::cleanup::prepare_for_quantization;
use crate::graph::GraphIndex;
use crate::layers::discover_layers;
use crate::onnx::encode_model;
use crate::onnx::proto::{ModelProto, ValueInfoProto};
use crate::quantize::{GroupSelection, Target, calibration_tensors, quantize_model};
use crate::runtime::{SessionConfig, run_f32, session_from_bytes};
use crate::sensitivity::{OutputFidelity, Scorer};
use crate::{Error, Result};

/// Calibrates `model` (after [`prepare_for_quantization`]): runs it in float over `batches`
/// (NCHW arrays fed to `input`) with every tensor a quantizer may need exposed as an output,
/// streams each tensor's values into a histogram, and picks each amax by `method`. `on_batch`
/// hears the number of images done after each batch. `model_id` is recorded in the table
/// (e.g. the model's sha256). `auto` judges the candidates by the output fidelity of the
/// full-INT8 model on the first batch; [`calibrate_model_judged`] takes another judge.
pub fn calibrate_model(
    model: &ModelProto,
    input: &str,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    method: CalibrationMethod,
    model_id: &str,
    on_batch: &mut dyn FnMut(usize),
) -> Result<CalibrationTable> {
    calibrate(model, input, batches, method, model_id, None, on_batch)
}

/// How many calibration images a caller of [`calibrate_model_judged`] should judge `auto`'s
/// candidates on: enough for a stable agreement mAP, few enough to cost seconds.
pub const AUTO_JUDGE_IMAGES: usize = 16;

/// [`calibrate_model`], with `auto` choosing the candidate whose full-INT8 `ort-cpu` model
/// `judge` scores highest (e.g. agreement mAP on a few calibration images).
pub fn calibrate_model_judged(
    model: &ModelProto,
    input: &str,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    method: CalibrationMethod,
    model_id: &str,
    judge: &mut dyn Scorer,
    on_batch: &mut dyn FnMut(usize),
) -> Result<CalibrationTable> {
    calibrate(
        model,
        input,
        batches,
        method,
        model_id,
        Some(judge),
        on_batch,
    )
}

fn calibrate(
    model: &ModelProto,
    input: &str,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    method: CalibrationMethod,
    model_id: &str,
    judge: Option<&mut dyn Scorer>,
    on_batch: &mut dyn FnMut(usize),
) -> Result<CalibrationTable> {
    let (model, _) = prepare_for_quantization(model)?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let index = GraphIndex::new(graph)?;
    let tensors = calibration_tensors(&index, &discover_layers(&index)?);
    let mut first_batch = None;
    let batches = batches.inspect(|batch| {
        if let (None, Ok(batch)) = (&first_batch, batch) {
            first_batch = Some(batch.clone());
        }
    });
    let (histograms, images) = collect_histograms(&model, input, &tensors, batches, on_batch)?;
    if images == 0 {
        return Err(Error::InvalidInput(
            "calibration needs at least one image".into(),
        ));
    }
    let table_for = |method: CalibrationMethod| {
        let mut table = CalibrationTable::new(method, model_id, images as u64);
        table.tensors = histograms
            .par_iter()
            .map(|(name, histogram)| {
                (
                    name.clone(),
                    TensorRange::from_histogram(histogram, &method),
                )
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        table
    };
    if method != CalibrationMethod::Auto {
        return Ok(table_for(method));
    }
    let mut proxy;
    let judge: &mut dyn Scorer = match judge {
        Some(judge) => judge,
        None => {
            let batch = first_batch.ok_or_else(|| {
                Error::InvalidInput("calibration needs at least one image".into())
            })?;
            proxy = OutputFidelity::new(&model, input, vec![batch], SessionConfig::default())?;
            &mut proxy
        }
    };
    let mut best: Option<(f64, CalibrationTable)> = None;
    let mut fidelity = Vec::new();
    for candidate in CalibrationMethod::CANDIDATES {
        let table = table_for(candidate);
        let (quantized, _) =
            quantize_model(&model, GroupSelection::All, &table.ranges(), Target::OrtCpu)?;
        let score = judge.score(&quantized)?.primary;
        fidelity.push((candidate, score));
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, table));
        }
    }
    let (_, mut table) = best.ok_or_else(|| Error::Runtime("no calibration candidate".into()))?;
    table.auto = Some(AutoChoice {
        chosen: table.method,
        fidelity,
    });
    table.method = CalibrationMethod::Auto;
    Ok(table)
}

/// Histograms of |x| for `tensors` over all batches, and the number of images seen.
fn collect_histograms(
    model: &ModelProto,
    input: &str,
    tensors: &[String],
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    on_batch: &mut dyn FnMut(usize),
) -> Result<(BTreeMap<String, Histogram>, usize)> {
    let mut exposed = retarget_batch(model, BatchSize::Dynamic)?;
    let graph = exposed
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let outputs: Vec<String> = tensors
        .iter()
        .filter(|t| t.as_str() != input)
        .cloned()
        .collect();
    for name in &outputs {
        if !graph.output.iter().any(|o| o.name.as_deref() == Some(name)) {
            graph.output.push(ValueInfoProto {
                name: Some(name.clone()),
                ..Default::default()
            });
        }
    }
    let mut session = session_from_bytes(&encode_model(&exposed), &SessionConfig::default())?;
    let mut histograms: BTreeMap<String, Histogram> = tensors
        .iter()
        .map(|t| (t.clone(), Histogram::new()))
        .collect();
    let mut images = 0;
    for batch in batches {
        let batch = batch?;
        let values = run_f32(&mut session, input, batch.view(), &outputs)?;
        histograms
            .par_iter_mut()
            .try_for_each(|(name, histogram)| {
                let array = if name == input {
                    Some(&batch)
                } else {
                    values.get(name)
                };
                let array = array
                    .ok_or_else(|| Error::Runtime(format!("tensor `{name}` was not produced")))?;
                match array.as_slice() {
                    Some(slice) => histogram.add(slice),
                    None => histogram.add(&array.iter().copied().collect::<Vec<_>>()),
                }
                Ok::<_, Error>(())
            })?;
        images += batch.shape().first().copied().unwrap_or(0);
        on_batch(images);
    }
    Ok((histograms, images))
}
