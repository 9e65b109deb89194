//! Sessions that return intermediate tensors as well as the model's outputs.

use std::collections::HashMap;

use ndarray::{ArrayD, Axis, Slice};
use ort::session::Session;

use super::{SessionConfig, run_f32, session_from_bytes};
use crate::batch::{BatchSize, retarget_batch};
use crate::onnx::encode_model;
use crate::onnx::proto::{ModelProto, ValueInfoProto};
use crate::{Error, Result};

/// A batch-dynamic CPU session of `model` with each of `tensors` also a graph output, so
/// that one run returns them (a model input among them is left out: callers have it).
pub fn exposed_session(model: &ModelProto, tensors: &[String]) -> Result<Session> {
    let mut exposed = retarget_batch(model, BatchSize::Dynamic)?;
    let graph = exposed
        .graph
        .as_mut()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let inputs: Vec<String> = graph.input.iter().filter_map(|i| i.name.clone()).collect();
    for name in tensors {
        let known = graph.output.iter().any(|o| o.name.as_deref() == Some(name));
        if !known && !inputs.contains(name) {
            graph.output.push(ValueInfoProto {
                name: Some(name.clone()),
                ..Default::default()
            });
        }
    }
    session_from_bytes(&encode_model(&exposed), &SessionConfig::default())
}

/// The most bytes of exposed tensors one run of an [`ExposedRuns`] returns, whatever the
/// batch: activations of every tensor of a deep model at a high resolution take hundreds of
/// megabytes an image (PicoDet-layout at 800x608: about 0.6 GB).
pub const EXPOSED_RUN_BUDGET: usize = 256 << 20;

/// An exposed session (see [`exposed_session`]) run over batches in parts of as many images
/// as keep what one run returns within [`EXPOSED_RUN_BUDGET`]: memory bounded by the model,
/// not by the model times the batch. The first part is one image, which measures an image's
/// share.
pub struct ExposedRuns {
    session: Session,
    outputs: Vec<String>,
    budget: usize,
    images_per_run: Option<usize>,
}

impl ExposedRuns {
    /// Runs of `model` returning `tensors` (a model input among them is left out: callers
    /// have it), within [`EXPOSED_RUN_BUDGET`].
    pub fn new(model: &ModelProto, tensors: &[String]) -> Result<Self> {
        Self::with_budget(model, tensors, EXPOSED_RUN_BUDGET)
    }

    /// Runs whose exposed tensors take at most `budget` bytes (at least one image a run).
    pub fn with_budget(model: &ModelProto, tensors: &[String], budget: usize) -> Result<Self> {
        Ok(Self {
            session: exposed_session(model, tensors)?,
            outputs: tensors.to_vec(),
            budget,
            images_per_run: None,
        })
    }

    /// Runs `batch` (images along axis 0) fed to `input` in parts, in order, and hands each
    /// part to `visit`.
    pub fn for_each_part(
        &mut self,
        input: &str,
        batch: &ArrayD<f32>,
        mut visit: impl FnMut(&ExposedPart<'_>) -> Result<()>,
    ) -> Result<()> {
        let images = batch.len_of(Axis(0));
        let mut first = 0;
        while first < images {
            let count = self.images_per_run.unwrap_or(1).min(images - first);
            let part = batch
                .slice_axis(Axis(0), Slice::from(first..first + count))
                .as_standard_layout()
                .into_owned();
            let values = run_f32(&mut self.session, input, part.view(), &self.outputs)?;
            if self.images_per_run.is_none() {
                let bytes: usize = values.values().map(|a| a.len() * 4).sum();
                self.images_per_run = Some((self.budget / bytes.max(1)).max(1));
            }
            visit(&ExposedPart {
                input_name: input,
                input: &part,
                values: &values,
            })?;
            first += count;
        }
        Ok(())
    }
}

/// One part of a batch run by [`ExposedRuns`]: its input and the tensors it produced.
pub struct ExposedPart<'a> {
    input_name: &'a str,
    input: &'a ArrayD<f32>,
    values: &'a HashMap<String, ArrayD<f32>>,
}

impl ExposedPart<'_> {
    /// How many images the part holds.
    pub fn images(&self) -> usize {
        self.input.len_of(Axis(0))
    }

    /// The tensor called `name` on this part: the part's input when `name` is the model's
    /// input, else the exposed tensor; an error when the run did not produce it.
    pub fn tensor(&self, name: &str) -> Result<&ArrayD<f32>> {
        if name == self.input_name {
            return Ok(self.input);
        }
        self.values
            .get(name)
            .ok_or_else(|| Error::Runtime(format!("tensor `{name}` was not produced")))
    }
}
