//! The benchmark job: throughput of one point against the float model, one batch size at a
//! time so a cancelled job stops between them.

use qbound_engine::bench::{BenchConfig, BenchModel, benchmark};
use qbound_engine::onnx::load_model;
use qbound_engine::runtime::SessionConfig;
use qbound_shared::FLOAT_LABEL;

use super::{JobOutput, Task};
use crate::error::{Error, Result};
use crate::run::ToEngine;
use crate::run::protocol::{JobResult, Measurement};

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let config = &task.config.benchmark;
    let label = &task.job.label;
    let quantized = task.point_model().ok_or_else(|| {
        Error::Unprocessable("the benchmark has no quantized model among its inputs".into())
    })?;
    let models = [
        BenchModel {
            label: FLOAT_LABEL.into(),
            model: task.model.clone(),
        },
        BenchModel {
            label: label.clone(),
            model: load_model(&task.dir.named(quantized))?,
        },
    ];
    let session = SessionConfig {
        provider: config.provider.to_engine(),
        ..SessionConfig::default()
    };
    let control = task.control;
    control.progress(
        0.0,
        format!(
            "timing fp32 and `{label}` at batch sizes {:?}",
            config.batch_sizes
        ),
    );
    let sizes = config.batch_sizes.len().max(1) as f64;
    let mut results = Vec::new();
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
