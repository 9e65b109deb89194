//! Throughput: several models timed side by side, interleaved, at several batch sizes.

use std::collections::BTreeMap;
use std::time::Instant;

use ndarray::{ArrayD, IxDyn};
use ort::value::TensorRef;
use serde::Serialize;

use crate::batch::{BatchSize, retarget_batch};
use crate::onnx::encode_model;
use crate::onnx::proto::{ModelProto, tensor_shape_proto::dimension::Value as Dim, type_proto};
use crate::runtime::{
    SessionConfig, device_name, node_kernel_times, node_macs, session_from_bytes,
};
use crate::{Error, Result};

/// One model to time.
#[derive(Debug, Clone)]
pub struct BenchModel {
    /// How results name it (e.g. `fp32`, `int8`, a file name).
    pub label: String,
    /// The model, at any batch size: it is re-targeted to each measured one.
    pub model: ModelProto,
}

/// How to time.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Batch sizes to measure.
    pub batch_sizes: Vec<i64>,
    /// Untimed runs per model and batch size before timing.
    pub warmup_runs: usize,
    /// Timed runs per model and batch size.
    pub timed_runs: usize,
    /// Session settings (provider, threads).
    pub session: SessionConfig,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            batch_sizes: vec![1, 32],
            warmup_runs: 2,
            timed_runs: 10,
            session: SessionConfig::default(),
        }
    }
}

/// The timing of one model at one batch size.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// The model's label.
    pub label: String,
    /// The batch size.
    pub batch_size: i64,
    /// Median latency of one batch, milliseconds.
    pub median_ms: f64,
    /// Fastest batch, milliseconds.
    pub min_ms: f64,
    /// Slowest batch, milliseconds.
    pub max_ms: f64,
    /// Images per second at the median latency.
    pub images_per_second: f64,
    /// Number of timed runs.
    pub runs: usize,
    /// Where it ran.
    pub provider: String,
    /// The device it ran on: the GPU's name, or the CPU model.
    pub device: String,
}

/// Times every model at every batch size. Within a batch size the models take turns run by
/// run, so load on the machine affects them alike; `on_step` hears (done, total) runs.
pub fn benchmark(
    models: &[BenchModel],
    config: &BenchConfig,
    on_step: &mut dyn FnMut(usize, usize),
) -> Result<Vec<BenchResult>> {
    if models.is_empty() || config.batch_sizes.is_empty() || config.timed_runs == 0 {
        return Err(Error::InvalidInput(
            "nothing to benchmark: give at least one model, batch size and run".into(),
        ));
    }
    let total = config.batch_sizes.len() * models.len() * (config.warmup_runs + config.timed_runs);
    let device = device_name(config.session.provider);
    let mut done = 0;
    let mut results = Vec::new();
    for &batch in &config.batch_sizes {
        let mut sessions = Vec::new();
        for m in models {
            let model = retarget_batch(&m.model, BatchSize::Fixed(batch))?;
            let (input_name, input) = synthetic_input(&model, &m.label)?;
            let session = session_from_bytes(&encode_model(&model), &config.session)?;
            sessions.push((
                session,
                input_name,
                input,
                Vec::with_capacity(config.timed_runs),
            ));
        }
        for round in 0..config.warmup_runs + config.timed_runs {
            for (session, input_name, input, times) in sessions.iter_mut() {
                let start = Instant::now();
                let tensor = TensorRef::from_array_view(input.view())?;
                session.run(ort::inputs![input_name.as_str() => tensor])?;
                if round >= config.warmup_runs {
                    times.push(start.elapsed().as_secs_f64() * 1000.0);
                }
                done += 1;
                on_step(done, total);
            }
        }
        for (m, (_, _, _, mut times)) in models.iter().zip(sessions) {
            times.sort_by(f64::total_cmp);
            let median_ms = median(&times);
            results.push(BenchResult {
                label: m.label.clone(),
                batch_size: batch,
                median_ms,
                min_ms: times[0],
                max_ms: times[times.len() - 1],
                images_per_second: batch as f64 * 1000.0 / median_ms,
                runs: times.len(),
                provider: config.session.provider.to_string(),
                device: device.clone(),
            });
        }
    }
    Ok(results)
}

/// Each node's median kernel time at batch 1 in milliseconds over `runs` runs of `model` on the
/// CPU provider, by the node names of ONNX Runtime's optimized graph (see
/// [`node_kernel_times`]).
pub fn node_times(
    model: &ModelProto,
    session: &SessionConfig,
    runs: usize,
) -> Result<BTreeMap<String, f64>> {
    let model = retarget_batch(model, BatchSize::Fixed(1))?;
    let (input_name, input) = synthetic_input(&model, "model")?;
    node_kernel_times(
        &encode_model(&model),
        &input_name,
        input.view(),
        runs,
        session.threads,
    )
}

/// Each node's multiply-accumulates at batch 1, by the node names of `model` itself (see
/// [`node_macs`]).
pub fn node_work(model: &ModelProto) -> Result<BTreeMap<String, u64>> {
    let model = retarget_batch(model, BatchSize::Fixed(1))?;
    let (input_name, input) = synthetic_input(&model, "model")?;
    node_macs(&encode_model(&model), &input_name, input.view())
}

/// The seed of the pseudo-random input every benchmark and profile feeds a model: timings
/// and profiled shapes are taken on the same input on every run.
pub const SYNTHETIC_INPUT_SEED: u64 = 0x2545_f491_4f6c_dd1d;

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A deterministic input for the model's single float input; a dynamic height and width
/// take the size of the profile the model fits (e.g. from its `imgsz` metadata).
fn synthetic_input(model: &ModelProto, label: &str) -> Result<(String, ArrayD<f32>)> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let inputs = crate::onnx::graph_inputs(graph);
    let [input] = inputs.as_slice() else {
        return Err(Error::Unsupported(format!(
            "`{label}` has {} inputs; benchmarks need exactly one",
            inputs.len()
        )));
    };
    let name = input.name.clone().unwrap_or_default();
    let Some(type_proto::Value::TensorType(tensor)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(Error::Unsupported(format!(
            "input `{name}` of `{label}` is not a tensor"
        )));
    };
    let profile_size = || {
        crate::profile::infer_profile(model)
            .ok()
            .map(|p| [p.input.height as usize, p.input.width as usize])
    };
    let dims: Vec<usize> = tensor
        .shape
        .as_ref()
        .map(|s| {
            let rank = s.dim.len();
            s.dim
                .iter()
                .enumerate()
                .map(|(axis, d)| match d.value {
                    Some(Dim::DimValue(v)) if v > 0 => Ok(v as usize),
                    _ if rank == 4 && axis >= 2 => profile_size().map(|hw| hw[axis - 2]).ok_or(()),
                    _ => Err(()),
                })
                .collect()
        })
        .unwrap_or(Err(()))
        .map_err(|()| {
            Error::Unsupported(format!(
                "input `{name}` of `{label}` has a dynamic dimension besides the batch"
            ))
        })?;
    let mut state = SYNTHETIC_INPUT_SEED;
    let values = ArrayD::from_shape_simple_fn(IxDyn(&dims), || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    });
    Ok((name, values))
}
