//! The accuracy scorer a metric names: labelled COCO mAP, agreement with the float model's
//! detections, or the output-fidelity proxy.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::coco::CocoGroundTruth;
use crate::evaluate::{DetectionScorer, EvalImages};
use crate::onnx::proto::ModelProto;
use crate::profile::Profile;
use crate::runtime::SessionConfig;
use crate::sensitivity::{OutputFidelity, Scorer};
use crate::{Error, Result};

/// How a partial model's accuracy is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// COCO mAP@0.5:0.95 against the images' annotations.
    Map,
    /// mAP against the float model's own detections.
    Agreement,
    /// Fidelity (pooled error energy, SNR) of the raw outputs to the float model's.
    Proxy,
}

impl FromStr for Metric {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "map" => Ok(Self::Map),
            "agreement" => Ok(Self::Agreement),
            "proxy" => Ok(Self::Proxy),
            other => Err(Error::InvalidInput(format!(
                "unknown metric `{other}`: use `map`, `agreement` or `proxy`"
            ))),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Map => "map",
            Self::Agreement => "agreement",
            Self::Proxy => "proxy",
        })
    }
}

/// The scorer of `metric` for `model` on `files`, `batch_size` images at a time;
/// `annotations` (a COCO file) are needed for `map`.
pub fn build_scorer(
    metric: Metric,
    model: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    annotations: Option<&Path>,
    batch_size: usize,
) -> Result<Box<dyn Scorer>> {
    Ok(match metric {
        Metric::Map => {
            let path = annotations.ok_or_else(|| {
                Error::InvalidInput("the `map` metric needs COCO annotations of the images".into())
            })?;
            Box::new(accuracy_scorer(
                model,
                profile,
                files,
                Some(path),
                batch_size,
            )?)
        }
        Metric::Agreement => Box::new(accuracy_scorer(model, profile, files, None, batch_size)?),
        Metric::Proxy => {
            let input = profile.input_name(model)?;
            let batches = profile
                .input_batches(files, batch_size)
                .collect::<Result<Vec<_>>>()?;
            Box::new(OutputFidelity::new(
                model,
                &input,
                batches,
                SessionConfig::default(),
            )?)
        }
    })
}

/// The detection scorer for accuracy: COCO mAP against `annotations` when given, else
/// agreement mAP against `float`'s own detections.
pub fn accuracy_scorer(
    float: &ModelProto,
    profile: &Profile,
    files: &[PathBuf],
    annotations: Option<&Path>,
    batch_size: usize,
) -> Result<DetectionScorer> {
    let images = EvalImages::load(profile, files, batch_size)?;
    let session = SessionConfig::default();
    match annotations {
        Some(path) => DetectionScorer::labelled(
            profile.clone(),
            images,
            CocoGroundTruth::load(path)?,
            session,
        ),
        None => DetectionScorer::agreement(float, profile.clone(), images, session),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_read_and_write_the_same_words() {
        for metric in [Metric::Map, Metric::Agreement, Metric::Proxy] {
            assert_eq!(metric.to_string().parse::<Metric>().ok(), Some(metric));
        }
        assert!("snr".parse::<Metric>().is_err());
    }
}
