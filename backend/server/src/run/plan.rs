//! A run's configuration becomes jobs with dependencies and capabilities.

use qbound_shared::{Boundary, Capability, FLOAT_LABEL, JobKind, RunConfig};

use super::config::{MAX_DROP_LABEL, artifact_stem, point_label};
use super::protocol::JobParams;

/// One job to create, its dependencies given by index into the plan.
#[derive(Debug, Clone)]
pub(crate) struct PlannedJob {
    pub(crate) kind: JobKind,
    pub(crate) label: String,
    pub(crate) capability: Capability,
    pub(crate) params: JobParams,
    pub(crate) depends_on: Vec<usize>,
}

/// The jobs of a run, in an order where every job comes after the ones it depends on:
/// calibrate; sensitivity when asked for; the float model's evaluation when there are
/// validation images; then per point quantize, evaluate, benchmark, and a TensorRT engine
/// when asked for (only a worker with `tensorrt` claims that one); last the error analysis,
/// which needs only the calibration: queued last, it is claimed after the run's results, and
/// as no job depends on it, its failure abandons none.
pub(crate) fn plan_jobs(config: &RunConfig, model_name: &str) -> Vec<PlannedJob> {
    let stem = artifact_stem(model_name);
    let job = |kind, label: &str, capability, keep_float, depends_on| PlannedJob {
        kind,
        label: label.to_owned(),
        capability,
        params: JobParams {
            config: config.clone(),
            keep_float,
            artifact_stem: stem.clone(),
        },
        depends_on,
    };
    let mut jobs = vec![job(
        JobKind::Calibrate,
        "calibrate",
        Capability::Cpu,
        None,
        vec![],
    )];
    let mut point_deps = vec![0];
    if config.sensitivity.is_some() {
        jobs.push(job(
            JobKind::Sensitivity,
            "sensitivity",
            Capability::Cpu,
            None,
            vec![0],
        ));
        point_deps.push(1);
    }
    let evaluate = config.validation_dataset_id.is_some();
    if evaluate {
        jobs.push(job(
            JobKind::Evaluate,
            FLOAT_LABEL,
            Capability::Cpu,
            None,
            vec![],
        ));
    }
    let points: Vec<(String, Option<usize>)> = match config.boundary {
        Boundary::MaxDrop { .. } => vec![(MAX_DROP_LABEL.to_owned(), None)],
        _ => config
            .boundary
            .keep_float_counts()
            .into_iter()
            .map(|k| (point_label(k), Some(k)))
            .collect(),
    };
    for (label, keep) in points {
        let quantize = jobs.len();
        jobs.push(job(
            JobKind::Quantize,
            &label,
            Capability::Cpu,
            keep,
            point_deps.clone(),
        ));
        if evaluate {
            jobs.push(job(
                JobKind::Evaluate,
                &label,
                Capability::Cpu,
                keep,
                vec![quantize],
            ));
        }
        jobs.push(job(
            JobKind::Benchmark,
            &label,
            config.benchmark.provider,
            keep,
            vec![quantize],
        ));
        if config.build_engine {
            jobs.push(job(
                JobKind::Engine,
                &label,
                Capability::Tensorrt,
                keep,
                vec![quantize],
            ));
        }
    }
    jobs.push(job(
        JobKind::Analyze,
        "analyze",
        Capability::Cpu,
        None,
        vec![0],
    ));
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(boundary: serde_json::Value, extra: serde_json::Value) -> RunConfig {
        let mut value = serde_json::json!({
            "model_id": 1, "calibration_dataset_id": 1, "validation_dataset_id": 2,
            "profile": "nanodet", "boundary": boundary,
            "sensitivity": { "mode": "one-on", "metric": "agreement" },
        });
        if let (Some(v), Some(e)) = (value.as_object_mut(), extra.as_object()) {
            v.extend(e.clone());
        }
        serde_json::from_value(value).expect("a valid configuration")
    }

    fn shape(jobs: &[PlannedJob]) -> Vec<String> {
        jobs.iter()
            .map(|j| format!("{}:{}:{}", j.kind, j.label, j.capability))
            .collect()
    }

    #[test]
    fn a_sweep_with_engines_plans_every_step_per_point() {
        let sweep = serde_json::json!({ "kind": "sweep", "keep_float": [2, 0] });
        let jobs = plan_jobs(
            &config(sweep, serde_json::json!({ "build_engine": true })),
            "m",
        );
        assert_eq!(
            shape(&jobs),
            [
                "calibrate:calibrate:cpu",
                "sensitivity:sensitivity:cpu",
                "evaluate:fp32:cpu",
                "quantize:int8:cpu",
                "evaluate:int8:cpu",
                "benchmark:int8:cpu",
                "engine:int8:tensorrt",
                "quantize:int8-keep2:cpu",
                "evaluate:int8-keep2:cpu",
                "benchmark:int8-keep2:cpu",
                "engine:int8-keep2:tensorrt",
                "analyze:analyze:cpu",
            ]
        );
        assert_eq!(jobs[7].depends_on, [0, 1]);
        assert_eq!(jobs[10].depends_on, [7]);
        assert_eq!(jobs[11].depends_on, [0], "only the calibration");
    }

    #[test]
    fn a_max_drop_search_is_one_point() {
        let search = serde_json::json!({ "kind": "max_drop", "max_drop": 0.05 });
        let jobs = plan_jobs(&config(search, serde_json::json!({})), "m");
        let quantize: Vec<_> = jobs
            .iter()
            .filter(|j| j.kind == JobKind::Quantize)
            .collect();
        assert_eq!(quantize.len(), 1);
        assert_eq!(quantize[0].label, MAX_DROP_LABEL);
        assert_eq!(quantize[0].params.keep_float, None);
    }
}
