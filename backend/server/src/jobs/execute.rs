//! What each job kind does, with the engine. Runs on a worker thread (never on the async
//! runtime), in a folder holding the job's downloaded inputs by name; writes its artifacts
//! there too. Calibration and benchmarks are here; the other kinds have a module each.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use qbound_engine::bench::{BenchConfig, BenchModel, benchmark};
use qbound_engine::calibrate::{
    AUTO_JUDGE_IMAGES, CalibrationMethod, DEFAULT_TENSORRT_VERSION_CODE, calibrate_model,
    calibrate_model_judged,
};

use qbound_engine::onnx::load_model;
use qbound_engine::profile::Profile;
use qbound_engine::runtime::{Provider, SessionConfig};

use super::control::JobControl;
use super::evaluate::point_model;
use super::protocol::{ClaimedJob, JobResult, Measurement};
use super::scoring::detection_scorer;
use super::{Capability, JobKind};
use crate::archive::{ExtractLimits, extract_dataset};
use crate::error::{Error, Result};

/// Images per calibration batch.
const CALIBRATION_BATCH: usize = 8;

/// A file a job produced, to upload as an artifact.
#[derive(Debug, Clone)]
pub(crate) struct OutputArtifact {
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

/// What a job produced.
#[derive(Debug, Clone)]
pub(crate) struct JobOutput {
    pub(crate) result: JobResult,
    pub(crate) artifacts: Vec<OutputArtifact>,
}

/// Runs `job` in `dir`, where its inputs lie under their names.
pub(crate) fn execute(job: &ClaimedJob, dir: &Path, control: &JobControl<'_>) -> Result<JobOutput> {
    match job.kind {
        JobKind::Calibrate => calibrate(job, dir, control),
        JobKind::Sensitivity => super::sensitivity::sensitivity(job, dir, control),
        JobKind::Quantize => super::quantize::quantize(job, dir, control),
        JobKind::Evaluate => super::evaluate::evaluate(job, dir, control),
        JobKind::Benchmark => bench(job, dir, control),
        JobKind::Engine => super::engine::engine(job, dir, control),
    }
}

fn calibrate(job: &ClaimedJob, dir: &Path, control: &JobControl<'_>) -> Result<JobOutput> {
    let config = &job.params.config;
    let method = CalibrationMethod::from_str(&config.calibration_method)?;
    let model = load_model(&dir.join("model.onnx"))?;
    let profile = Profile::for_model(Some(&config.profile), &model)?;
    let input = profile.input_name(&model)?;
    let contents = extract_dataset(
        &dir.join("calibration.tar"),
        &dir.join("calibration"),
        ExtractLimits::WORKER,
    )?;
    let mut images = contents.images;
    if let Some(limit) = config.calibration_images {
        images.truncate(limit);
    }
    let total = images.len().max(1);
    control.progress(
        0.0,
        format!("calibrating on {} images with `{method}`", images.len()),
    );
    let batches = control.batches(profile.input_batches(&images, CALIBRATION_BATCH));
    let on_batch = &mut |done: usize| {
        control.progress(
            done as f64 / total as f64 * 0.95,
            format!("{done}/{total} images"),
        )
    };
    let model_id = job
        .inputs
        .iter()
        .find(|i| i.name == "model.onnx")
        .map_or("model", |i| i.sha256.as_str());
    let table = if method == CalibrationMethod::Auto {
        let judged = &images[..images.len().min(AUTO_JUDGE_IMAGES)];
        let mut judge = detection_scorer(&model, &profile, judged, None)?;
        calibrate_model_judged(
            &model, &input, batches, method, model_id, &mut judge, on_batch,
        )?
    } else {
        calibrate_model(&model, &input, batches, method, model_id, on_batch)?
    };
    let table_path = dir.join("calibration.json");
    table.save(&table_path)?;
    let cache_path = dir.join("calibration.cache");
    table.write_tensorrt_cache(&cache_path, DEFAULT_TENSORRT_VERSION_CODE)?;
    Ok(JobOutput {
        result: JobResult::Calibrate {
            tensor_count: table.tensors.len(),
            images: table.images,
        },
        artifacts: vec![
            OutputArtifact {
                kind: "calibration",
                name: "calibration.json".into(),
                path: table_path,
            },
            OutputArtifact {
                kind: "calibration-cache",
                name: "calibration.cache".into(),
                path: cache_path,
            },
        ],
    })
}

fn bench(job: &ClaimedJob, dir: &Path, control: &JobControl<'_>) -> Result<JobOutput> {
    let config = &job.params.config.benchmark;
    let float = load_model(&dir.join("model.onnx"))?;
    let quantized_name = point_model(job).ok_or_else(|| {
        Error::Unprocessable("the benchmark has no quantized model among its inputs".into())
    })?;
    let quantized = load_model(&dir.join(quantized_name))?;
    let provider = match config.provider {
        Capability::Cpu => Provider::Cpu,
        Capability::Cuda => Provider::Cuda,
        Capability::Tensorrt => Provider::TensorRt,
    };
    let session = SessionConfig {
        provider,
        ..SessionConfig::default()
    };
    let models = [
        BenchModel {
            label: "fp32".into(),
            model: float,
        },
        BenchModel {
            label: job.label.clone(),
            model: quantized,
        },
    ];
    control.progress(
        0.0,
        format!(
            "timing fp32 and `{}` at batch sizes {:?}",
            job.label, config.batch_sizes
        ),
    );
    let sizes = config.batch_sizes.len().max(1) as f64;
    let mut results = Vec::new();
    // One batch size at a time, so a cancelled job stops between them.
    for (i, &batch_size) in config.batch_sizes.iter().enumerate() {
        control.check()?;
        let bench_config = BenchConfig {
            batch_sizes: vec![batch_size],
            warmup_runs: config.warmup_runs,
            timed_runs: config.timed_runs,
            session: session.clone(),
        };
        let on_step = &mut |done: usize, total: usize| {
            let part = done as f64 / total.max(1) as f64;
            control.progress((i as f64 + part) / sizes, String::new())
        };
        results.extend(benchmark(&models, &bench_config, on_step)?);
    }
    let measurements = results
        .into_iter()
        .map(|r| Measurement {
            model: r.label,
            batch_size: r.batch_size,
            median_ms: r.median_ms,
            images_per_second: r.images_per_second,
            min_ms: Some(r.min_ms),
            max_ms: Some(r.max_ms),
            provider: r.provider,
        })
        .collect();
    Ok(JobOutput {
        result: JobResult::Benchmark { measurements },
        artifacts: Vec::new(),
    })
}
