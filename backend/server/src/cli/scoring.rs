//! Building the accuracy scorer a command asks for: labelled mAP, agreement mAP, or the
//! output-fidelity proxy.

use std::path::{Path, PathBuf};

use anyhow::Context;
use qbound_engine::coco::CocoGroundTruth;
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::Profile;
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::{OutputFidelity, Scorer};

/// The accuracy metric of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Metric {
    /// COCO mAP@0.5:0.95 against `--annotations`.
    Map,
    /// mAP against the float model's own detections.
    Agreement,
    /// Fidelity (pooled error energy, SNR) of the raw outputs to the float model's, on a few images.
    Proxy,
}

/// A scorer for `metric` on `files`.
pub(crate) fn build_scorer(
    metric: Metric,
    model: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    annotations: Option<&Path>,
    batch_size: usize,
) -> anyhow::Result<Box<dyn Scorer>> {
    let session = SessionConfig::default();
    Ok(match metric {
        Metric::Map => {
            let path = annotations.context("`--metric map` needs `--annotations COCO.json`")?;
            let ground_truth = CocoGroundTruth::load(path)?;
            let images = EvalImages::load(profile, files, batch_size)?;
            Box::new(DetectionScorer::labelled(
                profile.clone(),
                images,
                ground_truth,
                session,
            )?)
        }
        Metric::Agreement => {
            let images = EvalImages::load(profile, files, batch_size)?;
            Box::new(DetectionScorer::agreement(
                model,
                profile.clone(),
                images,
                session,
            )?)
        }
        Metric::Proxy => {
            let input = profile.input_name(model)?;
            let batches = profile
                .input_batches(files, batch_size)
                .collect::<qbound_engine::Result<Vec<_>>>()?;
            Box::new(OutputFidelity::new(model, &input, batches, session)?)
        }
    })
}
