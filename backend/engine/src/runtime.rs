//! ONNX Runtime: finding and loading the library, building sessions, running them.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    str::FromStr,
    sync::OnceLock,
};

use ndarray::{ArrayD, ArrayViewD};
use ort::{
    environment::Environment,
    session::{builder::GraphOptimizationLevel, Session},
    value::TensorRef,
};

use crate::{Error, Result};

/// The library file `ort` loads, as provisioned by `scripts/setup-ort.sh`.
const LIBRARY_FILE: &str = "libonnxruntime.so";

static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loading the library on first use.
///
/// The library is `$ORT_DYLIB_PATH` when set, else the first `libonnxruntime.so` found next
/// to the executable, in `../lib` beside it, or in a `.ort/lib` folder of an enclosing
/// directory (a checkout set up by `scripts/setup-ort.sh`). A missing or unloadable library
/// is an error that says where it looked and how to fix it.
pub fn environment() -> Result<&'static Environment> {
    ENVIRONMENT
        .get_or_init(|| {
            let path = locate_library()?;
            let builder = ort::init_from(&path).map_err(|e| {
                format!("cannot load `{}`: {e}. Run scripts/setup-ort.sh or set ORT_DYLIB_PATH", path.display())
            })?;
            builder
                .with_name("qbound")
                .build()
                .map_err(|e| format!("cannot start ONNX Runtime from `{}`: {e}", path.display()))
        })
        .as_ref()
        .map_err(|message| Error::Runtime(message.clone()))
}

fn locate_library() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "ORT_DYLIB_PATH is `{}`, which is not a file. Run scripts/setup-ort.sh or fix the variable",
                path.display()
            ))
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe().ok().as_deref().and_then(Path::parent) {
        candidates.push(dir.join(LIBRARY_FILE));
        candidates.push(dir.join("../lib").join(LIBRARY_FILE));
        candidates.extend(dir.ancestors().map(|a| a.join(".ort/lib").join(LIBRARY_FILE)));
    }
    if let Ok(dir) = std::env::current_dir() {
        candidates.extend(dir.ancestors().map(|a| a.join(".ort/lib").join(LIBRARY_FILE)));
    }
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "the ONNX Runtime library `{LIBRARY_FILE}` was not found (set ORT_DYLIB_PATH, or run \
             scripts/setup-ort.sh in the qbound checkout); looked next to the executable and in \
             .ort/lib of its parent folders"
        )
    })
}

/// Where a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// ONNX Runtime's CPU provider.
    #[default]
    Cpu,
    /// NVIDIA CUDA.
    Cuda,
    /// NVIDIA TensorRT.
    TensorRt,
}

impl FromStr for Provider {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda),
            "tensorrt" | "trt" => Ok(Self::TensorRt),
            other => Err(Error::InvalidInput(format!(
                "unknown provider `{other}`: use `cpu`, `cuda` or `tensorrt`"
            ))),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::TensorRt => "tensorrt",
        })
    }
}

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
        Self { provider: Provider::Cpu, threads: None, optimize: true }
    }
}

/// Builds a session over an encoded model.
pub fn session_from_bytes(model: &[u8], config: &SessionConfig) -> Result<Session> {
    if config.provider != Provider::Cpu {
        return Err(Error::Runtime(format!(
            "the `{}` provider is not available in this build; use `cpu`",
            config.provider
        )));
    }
    let env = environment()?;
    let level = if config.optimize { GraphOptimizationLevel::All } else { GraphOptimizationLevel::Disable };
    let mut builder = Session::builder(env)?
        .with_optimization_level(level)
        .map_err(ort::Error::from)?
        .with_intra_op_spinning(false)
        .map_err(ort::Error::from)?;
    if let Some(threads) = config.threads {
        builder = builder.with_intra_threads(threads).map_err(ort::Error::from)?;
    }
    builder.commit_from_memory(model).map_err(|e| Error::Runtime(format!("cannot load the model: {e}")))
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
