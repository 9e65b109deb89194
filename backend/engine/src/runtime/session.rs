//! Building sessions on a provider and running them.

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
};

use ndarray::{ArrayD, ArrayViewD};
use ort::{
    ep::{CUDA, ExecutionProviderDispatch, TensorRT},
    session::{Session, builder::GraphOptimizationLevel},
    value::TensorRef,
};

use super::{Provider, environment, gpu_libraries};
use crate::{Error, Result};

/// How to build a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Where to run.
    pub provider: Provider,
    /// Intra-op threads; `None` lets ONNX Runtime decide.
    pub threads: Option<usize>,
    /// Run every graph optimization (needed for QDQ fusion); off gives a faithful
    /// op-by-op run.
    pub optimize: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            provider: Provider::Cpu,
            threads: None,
            optimize: true,
        }
    }
}

/// Settings of the GPU providers; the CPU provider ignores them.
#[derive(Debug, Clone)]
pub struct GpuOptions {
    /// The CUDA device.
    pub device_id: i32,
    /// Let TensorRT pick FP16 kernels (the seed's `--fp16`): a float model then runs as FP16.
    pub tensorrt_fp16: bool,
    /// Let TensorRT run INT8 where the model has explicit Q/DQ (the seed's `--int8`).
    pub tensorrt_int8: bool,
    /// Where the TensorRT provider keeps its engines and timing cache; `None` keeps none.
    pub tensorrt_cache_dir: Option<PathBuf>,
}

impl Default for GpuOptions {
    /// Device 0, FP16 and INT8 on, engines cached in `$QBOUND_TRT_CACHE_DIR` or else
    /// `qbound-trt-cache` in the temporary folder.
    fn default() -> Self {
        let cache = std::env::var_os("QBOUND_TRT_CACHE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("qbound-trt-cache"));
        Self {
            device_id: 0,
            tensorrt_fp16: true,
            tensorrt_int8: true,
            tensorrt_cache_dir: Some(cache),
        }
    }
}

/// Builds a session over an encoded model, with the default [`GpuOptions`].
pub fn session_from_bytes(model: &[u8], config: &SessionConfig) -> Result<Session> {
    session_from_bytes_with(model, config, &GpuOptions::default())
}

/// Builds a session over an encoded model. A GPU provider that does not initialise is an
/// error naming what is missing, never a silent fall-back to the CPU.
pub fn session_from_bytes_with(
    model: &[u8],
    config: &SessionConfig,
    gpu: &GpuOptions,
) -> Result<Session> {
    let env = environment()?;
    let level = if config.optimize {
        GraphOptimizationLevel::All
    } else {
        GraphOptimizationLevel::Disable
    };
    let mut builder = Session::builder(env)?
        .with_optimization_level(level)
        .map_err(ort::Error::from)?
        .with_intra_op_spinning(false)
        .map_err(ort::Error::from)?;
    if let Some(threads) = config.threads {
        builder = builder
            .with_intra_threads(threads)
            .map_err(ort::Error::from)?;
    }
    if config.provider.is_gpu() {
        let providers = execution_providers(config.provider, gpu, model)?;
        builder = builder
            .with_execution_providers(providers)
            .map_err(|e| provider_error(config.provider, &ort::Error::from(e)))?;
    }
    builder.commit_from_memory(model).map_err(|e| {
        if config.provider.is_gpu() {
            provider_error(config.provider, &e)
        } else {
            Error::Runtime(format!("cannot load the model: {e}"))
        }
    })
}

/// Writes to `path` the graph ONNX Runtime's CPU provider runs for `model` after every
/// optimization, QDQ fusion included: its `QLinear*` nodes are what runs in INT8, and the
/// float ops left between DequantizeLinear and QuantizeLinear are what does not.
pub fn write_cpu_optimized_model(model: &[u8], path: &Path) -> Result<()> {
    let env = environment()?;
    Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(ort::Error::from)?
        .with_optimized_model_path(path)
        .map_err(ort::Error::from)?
        .commit_from_memory(model)
        .map_err(|e| Error::Runtime(format!("cannot load the model: {e}")))?;
    Ok(())
}

/// The providers to register, in priority order: TensorRT falls back to CUDA for the nodes
/// it does not take.
fn execution_providers(
    provider: Provider,
    gpu: &GpuOptions,
    model: &[u8],
) -> Result<Vec<ExecutionProviderDispatch>> {
    let cuda = CUDA::default().with_device_id(gpu.device_id).build();
    Ok(match provider {
        Provider::Cpu => Vec::new(),
        Provider::Cuda => vec![cuda.error_on_failure()],
        Provider::TensorRt => {
            let mut trt = TensorRT::default()
                .with_device_id(gpu.device_id)
                .with_fp16(gpu.tensorrt_fp16)
                .with_int8(gpu.tensorrt_int8);
            if let Some(dir) = &gpu.tensorrt_cache_dir {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                let dir = dir.display().to_string();
                trt = trt
                    .with_engine_cache(true)
                    .with_engine_cache_path(&dir)
                    .with_engine_cache_prefix(model_cache_prefix(model))
                    .with_timing_cache(true)
                    .with_timing_cache_path(&dir);
            }
            vec![trt.build().error_on_failure(), cuda.fail_silently()]
        }
    })
}

/// A prefix naming a model's engines by its bytes: ONNX Runtime keys cached engines by the
/// graph's structure only, so two models that differ in weights alone would share one.
fn model_cache_prefix(model: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    model.hash(&mut hasher);
    format!("qbound_{:016x}", hasher.finish())
}

/// A provider failure, with the files this machine lacks for it.
fn provider_error(provider: Provider, err: &ort::Error) -> Error {
    let mut message = format!("the `{provider}` provider did not initialise: {err}");
    if let Some(plugin) = gpu_libraries::missing_plugin(provider) {
        message.push_str(&format!("; {plugin}"));
    }
    let missing = gpu_libraries::missing_system_libraries(provider);
    if !missing.is_empty() {
        message.push_str(&format!(
            "; not on the library path: {} (CUDA 13, cuDNN 9{} libraries)",
            missing.join(", "),
            if provider == Provider::TensorRt {
                ", TensorRT 10"
            } else {
                ""
            }
        ));
    }
    Error::Runtime(message)
}

/// Runs a session on one float input and returns the named float outputs (all outputs when
/// `outputs` is empty).
pub fn run_f32(
    session: &mut Session,
    input: &str,
    values: ArrayViewD<'_, f32>,
    outputs: &[String],
) -> Result<HashMap<String, ArrayD<f32>>> {
    let tensor = TensorRef::from_array_view(values)?;
    let results = session.run(ort::inputs![input => tensor])?;
    let mut out = HashMap::new();
    for (name, value) in results.iter() {
        if outputs.is_empty() || outputs.iter().any(|o| o == name) {
            let array = value
                .try_extract_array::<f32>()
                .map_err(|e| Error::Runtime(format!("output `{name}` is not float32: {e}")))?;
            out.insert(name.to_owned(), array.to_owned());
        }
    }
    Ok(out)
}
