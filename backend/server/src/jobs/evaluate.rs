//! The evaluate job: one point's accuracy on the validation images, COCO mAP against the
//! dataset's annotations or agreement mAP against the float model.

use std::path::{Path, PathBuf};

use qbound_engine::onnx::load_model;
use qbound_engine::profile::Profile;
use qbound_engine::sensitivity::Scorer;

use super::control::JobControl;
use super::execute::JobOutput;
use super::protocol::{ClaimedJob, JobResult};
use super::scoring::{dataset, detection_scorer, first_images};
use crate::error::{Error, Result};

pub(crate) fn evaluate(
    job: &ClaimedJob,
    dir: &Path,
    control: &JobControl<'_>,
) -> Result<JobOutput> {
    let config = &job.params.config;
    let float = load_model(&dir.join("model.onnx"))?;
    let profile = Profile::for_model(Some(&config.profile), &float)?;
    let candidate = match point_model(job) {
        Some(name) => load_model(&dir.join(name))?,
        None => float.clone(),
    };
    let contents = dataset(dir, "validation")?
        .ok_or_else(|| Error::Unprocessable("an evaluation needs validation images".into()))?;
    let files = first_images(&contents, None)?;
    let mut scorer = detection_scorer(&float, &profile, &files, contents.annotations.as_deref())?;
    control.progress(
        0.2,
        format!(
            "scoring `{}` by `{}` on {} images",
            job.label,
            scorer.name(),
            files.len()
        ),
    );
    let score = control.scorer(&mut scorer).score(&candidate)?;
    control.progress(
        1.0,
        format!("mAP {:.4}, mAP@0.5 {:.4}", score.primary, score.secondary),
    );
    Ok(JobOutput {
        result: JobResult::Evaluate {
            metric: scorer.name().to_owned(),
            accuracy: score.primary,
            accuracy50: score.secondary,
            images: files.len(),
        },
        artifacts: Vec::new(),
    })
}

/// The point's exported model among the job's inputs (batch 1 preferred); `None` for the
/// float model's own evaluation.
pub(crate) fn point_model(job: &ClaimedJob) -> Option<&str> {
    job.inputs
        .iter()
        .map(|i| i.name.as_str())
        .filter(|n| n.ends_with(".onnx") && *n != "model.onnx")
        .min_by_key(|n| !n.ends_with("_bs1.onnx"))
}

/// The fixed batch size of an export named `..._bs<N>.onnx`.
pub(crate) fn export_batch(name: &str) -> Option<i64> {
    name.strip_suffix(".onnx")?
        .rsplit_once("_bs")?
        .1
        .parse()
        .ok()
}

/// The exports of the point among the job's inputs, with their fixed batch sizes.
pub(crate) fn fixed_exports(job: &ClaimedJob, dir: &Path) -> Vec<(PathBuf, i64)> {
    job.inputs
        .iter()
        .filter(|i| i.name != "model.onnx")
        .filter_map(|i| Some((dir.join(&i.name), export_batch(&i.name)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::export_batch;

    #[test]
    fn export_names_give_their_batch_size() {
        assert_eq!(export_batch("nanodet_partial_k2_bs32.onnx"), Some(32));
        assert_eq!(export_batch("nanodet_int8_bsdynamic.onnx"), None);
        assert_eq!(export_batch("calibration.json"), None);
    }
}
