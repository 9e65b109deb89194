//! The evaluate job: one point's accuracy on the validation images (the float model's for
//! the `fp32` point), COCO mAP against the dataset's annotations or agreement mAP against
//! the float model.

use qbound_engine::onnx::load_model;
use qbound_engine::pipeline::accuracy_scorer;
use qbound_engine::sensitivity::Scorer;
use qbound_shared::Metric;

use super::{JobOutput, SCORING_BATCH, Task};
use crate::error::Result;
use crate::run::protocol::JobResult;
use crate::worker::job_dir::{Dataset, first_images};

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let profile = task.profile()?;
    let point = task
        .point_model()
        .map(|name| load_model(&task.dir.named(name)))
        .transpose()?;
    let contents = task
        .dir
        .required_dataset(Dataset::Validation, "an evaluation")?;
    let files = first_images(&contents, None)?;
    let annotations = contents.annotations.as_deref();
    let metric = match annotations {
        Some(_) => Metric::Map,
        None => Metric::Agreement,
    };
    let mut scorer = accuracy_scorer(&task.model, &profile, &files, annotations, SCORING_BATCH)?;
    let control = task.control;
    control.progress(
        0.2,
        format!(
            "scoring `{}` by `{metric}` on {} images",
            task.job.label,
            files.len()
        ),
    );
    let score = control
        .scorer(&mut scorer)
        .score(point.as_ref().unwrap_or(&task.model))?;
    control.progress(
        1.0,
        format!("mAP {:.4}, mAP@0.5 {:.4}", score.primary, score.secondary),
    );
    Ok(JobOutput {
        result: JobResult::Evaluate {
            metric,
            accuracy: score.primary,
            accuracy50: score.secondary,
            images: files.len(),
        },
        artifacts: Vec::new(),
    })
}
