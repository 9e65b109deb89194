//! Running a float model over calibration batches and collecting per-tensor histograms.

use std::collections::BTreeMap;

use ndarray::{ArrayD, ArrayViewD, Axis, Slice};
use rayon::prelude::*;

use super::{AutoChoice, CalibrationMethod, CalibrationTable, Histogram, TensorRange};
use crate::cleanup::prepare_for_quantization;
use crate::graph::GraphIndex;
use crate::layers::discover_layers;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, Target, calibration_tensors, quantize_model};
use crate::runtime::{ExposedRuns, SessionConfig};
use crate::sensitivity::{OutputFidelity, Score, Scorer};
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

/// How many of `calibration_images` a caller of [`calibrate_model_judged`] should judge
/// `auto`'s candidates on: the first half, at most 32. Agreement mAP on fewer than about 30
/// images is noisy enough to flip the choice (YOLOv8n on the demo photos: 16 judged images
/// pick `max`, 29 pick `percentile:99.999`, which is 0.05 better on the validation photos).
pub fn auto_judge_images(calibration_images: usize) -> usize {
    (calibration_images / 2).clamp(1, 32)
}

/// What judges `auto`'s candidates: a scorer of full-INT8 models and how many of the first
/// calibration images it scores (see [`auto_judge_images`]).
pub struct AutoJudge<'a> {
    /// Scores a candidate's full-INT8 `ort-cpu` model (e.g. agreement mAP).
    pub scorer: &'a mut dyn Scorer,
    /// How many images, from the first calibration image on, `scorer` scores.
    pub images: usize,
}

/// [`calibrate_model`], with `auto` choosing the candidate whose full-INT8 `ort-cpu` model
/// `judge` scores highest. When at least as many calibration images follow the judged ones,
/// each candidate is judged with ranges fitted on those other images only, so that `max`
/// cannot win by fitting the judged images' own extremes (the chosen method's final ranges
/// use every image).
pub fn calibrate_model_judged(
    model: &ModelProto,
    input: &str,
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    method: CalibrationMethod,
    model_id: &str,
    judge: AutoJudge,
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
    judge: Option<AutoJudge>,
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
    let judged_images = judge.as_ref().map_or(0, |judge| judge.images);
    let histograms = collect_histograms(&model, input, &tensors, batches, judged_images, on_batch)?;
    let images = histograms.images;
    if images == 0 {
        return Err(Error::InvalidInput(
            "calibration needs at least one image".into(),
        ));
    }
    let table_for = |method: CalibrationMethod, histograms: &BTreeMap<String, Histogram>| {
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
        return Ok(table_for(method, &histograms.all));
    }
    let mut proxy;
    let held_out = histograms.is_held_out();
    let (judge, fitted, judged) = match judge {
        Some(judge) if held_out => (judge.scorer, &histograms.after_held_out, judged_images),
        Some(judge) => (judge.scorer, &histograms.all, judged_images.min(images)),
        None => {
            let batch = first_batch.ok_or_else(|| {
                Error::InvalidInput("calibration needs at least one image".into())
            })?;
            let judged = batch.shape().first().copied().unwrap_or(0);
            proxy = OutputFidelity::new(&model, input, vec![batch], SessionConfig::default())?;
            (&mut proxy as &mut dyn Scorer, &histograms.all, judged)
        }
    };
    let mut scores = Vec::new();
    for candidate in CalibrationMethod::CANDIDATES {
        let table = table_for(candidate, fitted);
        let (quantized, _) = quantize_model(
            &model,
            GroupSelection::All,
            &table.calibration(),
            Target::OrtCpu,
        )?;
        scores.push((candidate, judge.score(&quantized)?));
    }
    let chosen = clear_winner(&scores);
    let mut table = table_for(chosen, &histograms.all);
    let halves = scores
        .iter()
        .filter_map(|(_, score)| score.halves)
        .collect::<Vec<_>>();
    table.auto = Some(AutoChoice {
        chosen,
        fidelity: scores
            .iter()
            .map(|(c, score)| (*c, score.primary))
            .collect(),
        halves: if halves.len() == scores.len() {
            halves
        } else {
            Vec::new()
        },
        judged_images: judged as u64,
        held_out,
    });
    table.method = CalibrationMethod::Auto;
    Ok(table)
}

/// The values of `array` in memory order, borrowed when they already lie that way.
fn contiguous(array: ArrayViewD<'_, f32>) -> std::borrow::Cow<'_, [f32]> {
    match array.to_slice() {
        Some(slice) => std::borrow::Cow::Borrowed(slice),
        None => std::borrow::Cow::Owned(array.iter().copied().collect()),
    }
}

/// The candidate `auto` keeps: [`CalibrationMethod::AUTO_DEFAULT`] unless another scores
/// higher on all the judged images and on each half of them (when the judge splits them), so
/// that a difference within the judge's noise does not move the choice; among those, the
/// highest scorer.
fn clear_winner(scores: &[(CalibrationMethod, Score)]) -> CalibrationMethod {
    let default = scores
        .iter()
        .find(|(candidate, _)| *candidate == CalibrationMethod::AUTO_DEFAULT)
        .map(|(_, score)| score);
    let beats_default = |score: &Score| match default {
        None => true,
        Some(default) => {
            score.primary > default.primary
                && match (score.halves, default.halves) {
                    (Some(halves), Some(default_halves)) => {
                        halves[0] > default_halves[0] && halves[1] > default_halves[1]
                    }
                    _ => true,
                }
        }
    };
    scores
        .iter()
        .filter(|(candidate, score)| {
            *candidate == CalibrationMethod::AUTO_DEFAULT || beats_default(score)
        })
        .max_by(|a, b| a.1.primary.total_cmp(&b.1.primary))
        .map_or(CalibrationMethod::AUTO_DEFAULT, |(candidate, _)| *candidate)
}

/// Each calibration tensor's histogram over every image, and over the images after the
/// first `held_out` (the ones a judge scores).
struct CollectedHistograms {
    all: BTreeMap<String, Histogram>,
    after_held_out: BTreeMap<String, Histogram>,
    images: usize,
    held_out: usize,
}

impl CollectedHistograms {
    /// Whether candidates are fitted on the images after the held-out ones: only when there
    /// are at least as many of those.
    fn is_held_out(&self) -> bool {
        self.held_out > 0 && self.images >= 2 * self.held_out
    }
}

/// Histograms of |x| for `tensors` over all batches (and over those after the first
/// `held_out` images), and the number of images seen.
fn collect_histograms(
    model: &ModelProto,
    input: &str,
    tensors: &[String],
    batches: impl Iterator<Item = Result<ArrayD<f32>>>,
    held_out: usize,
    on_batch: &mut dyn FnMut(usize),
) -> Result<CollectedHistograms> {
    let outputs: Vec<String> = tensors
        .iter()
        .filter(|t| t.as_str() != input)
        .cloned()
        .collect();
    let mut runs = ExposedRuns::new(model, &outputs)?;
    // Per tensor: (every image, images after the held-out ones).
    let mut histograms: BTreeMap<String, (Histogram, Histogram)> = tensors
        .iter()
        .map(|t| (t.clone(), (Histogram::new(), Histogram::new())))
        .collect();
    let mut images = 0;
    for batch in batches {
        let batch = batch?;
        runs.for_each_part(input, &batch, |part| {
            let part_images = part.images();
            // The first `held_rows` images of this part are held out; the rest also go to
            // `after`. A tensor whose leading dimension is not the batch cannot be split:
            // the part that straddles the boundary then stays out of its `after`.
            let held_rows = held_out.saturating_sub(images).min(part_images);
            histograms
                .par_iter_mut()
                .try_for_each(|(name, (histogram, after))| {
                    let array = part.tensor(name)?;
                    let values = contiguous(array.view());
                    histogram.add(&values);
                    if held_rows == 0 {
                        after.add(&values);
                    } else if held_rows < part_images && array.shape().first() == Some(&part_images)
                    {
                        after.add(&contiguous(
                            array.slice_axis(Axis(0), Slice::from(held_rows..)),
                        ));
                    }
                    Ok::<_, Error>(())
                })?;
            images += part_images;
            Ok(())
        })?;
        on_batch(images);
    }
    let (all, after_held_out) = histograms
        .into_iter()
        .map(|(name, (all, after))| ((name.clone(), all), (name, after)))
        .unzip();
    Ok(CollectedHistograms {
        all,
        after_held_out,
        images,
        held_out: held_out.min(images),
    })
}
