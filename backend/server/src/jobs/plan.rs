//! A run's configuration becomes jobs with dependencies and capabilities.

use super::config::{RunConfig, point_label};
use super::protocol::JobParams;
use super::{Capability, JobKind, execute};
use crate::error::{Error, Result};

/// One job to create, its dependencies given by index into the plan.
#[derive(Debug, Clone)]
pub(crate) struct PlannedJob {
    pub(crate) kind: JobKind,
    pub(crate) label: String,
    pub(crate) capability: Capability,
    pub(crate) params: JobParams,
    pub(crate) depends_on: Vec<usize>,
}

/// The jobs of a run, in an order where every job comes after the ones it depends on.
pub(crate) fn plan_jobs(config: &RunConfig) -> Result<Vec<PlannedJob>> {
    let unavailable = |what: &str, kind: JobKind| {
        Err(Error::Unprocessable(format!(
            "{what} is not available in this build yet (job kind `{kind}` has no engine support)"
        )))
    };
    if config.sensitivity.is_some() && !execute::is_available(JobKind::Sensitivity) {
        return unavailable("sensitivity analysis", JobKind::Sensitivity);
    }
    if config.build_engine && !execute::is_available(JobKind::Engine) {
        return unavailable("building TensorRT engines", JobKind::Engine);
    }
    if config.keep_float_counts().is_empty() {
        return unavailable("a max-drop search", JobKind::Quantize);
    }
    let params = |keep_float| JobParams {
        config: config.clone(),
        keep_float,
    };
    let job = |kind, label: String, capability, keep_float, depends_on| PlannedJob {
        kind,
        label,
        capability,
        params: params(keep_float),
        depends_on,
    };
    let mut jobs = vec![job(
        JobKind::Calibrate,
        "calibrate".into(),
        Capability::Cpu,
        None,
        vec![],
    )];
    let mut point_deps = vec![0];
    if config.sensitivity.is_some() {
        jobs.push(job(
            JobKind::Sensitivity,
            "sensitivity".into(),
            Capability::Cpu,
            None,
            vec![0],
        ));
        point_deps.push(1);
    }
    let evaluate =
        config.validation_dataset_id.is_some() && execute::is_available(JobKind::Evaluate);
    for keep in config.keep_float_counts() {
        let label = point_label(keep);
        let quantize = jobs.len();
        jobs.push(job(
            JobKind::Quantize,
            label.clone(),
            Capability::Cpu,
            Some(keep),
            point_deps.clone(),
        ));
        if evaluate {
            jobs.push(job(
                JobKind::Evaluate,
                label.clone(),
                Capability::Cpu,
                Some(keep),
                vec![quantize],
            ));
        }
        jobs.push(job(
            JobKind::Benchmark,
            label.clone(),
            config.benchmark.provider,
            Some(keep),
            vec![quantize],
        ));
        if config.build_engine {
            jobs.push(job(
                JobKind::Engine,
                label,
                Capability::Tensorrt,
                Some(keep),
                vec![quantize],
            ));
        }
    }
    Ok(jobs)
}
