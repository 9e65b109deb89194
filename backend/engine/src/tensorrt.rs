//! TensorRT engines for a model at a fixed batch size: `trtexec` where it is on the PATH,
//! else ONNX Runtime's TensorRT provider with its engine cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::ArrayD;
use serde::Serialize;

use crate::batch::{BatchSize, retarget_batch};
use crate::onnx::proto::{ModelProto, tensor_shape_proto::dimension::Value as Dim, type_proto};
use crate::onnx::{SaveOptions, encode_model, load_model, save_model};
use crate::runtime::{
    GpuOptions, Provider, SessionConfig, detect_capabilities, gpu_name, run_f32,
    session_from_bytes_with, tensorrt_version,
};
use crate::{Error, Result};

/// How to build.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// INT8 kernels where the model has explicit Q/DQ (`--int8`).
    pub int8: bool,
    /// FP16 kernels (`--fp16`).
    pub fp16: bool,
    /// Use `trtexec` when it is on the PATH; off always uses ONNX Runtime's provider.
    pub prefer_trtexec: bool,
}

impl Default for EngineOptions {
    /// The seed's flags: `--int8 --fp16`, with `trtexec` preferred.
    fn default() -> Self {
        Self {
            int8: true,
            fp16: true,
            prefer_trtexec: true,
        }
    }
}

/// What built an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineBuilder {
    /// NVIDIA's `trtexec`.
    Trtexec,
    /// ONNX Runtime's TensorRT provider (its engine cache).
    OnnxRuntime,
}

/// A built engine. Engines only run on the TensorRT version and GPU model they were built for.
#[derive(Debug, Clone, Serialize)]
pub struct EngineInfo {
    /// The engine file.
    pub path: PathBuf,
    /// The TensorRT version, e.g. `10.3.0`, or `unknown`.
    pub tensorrt_version: String,
    /// The GPU it was built on, or `unknown`.
    pub gpu_name: String,
    /// The batch size baked into it.
    pub batch: i64,
    /// What built it.
    pub builder: EngineBuilder,
    /// Engines ONNX Runtime built for the model: more than one when it split the graph;
    /// `path` is the largest, the others lie beside it with a `.partN` suffix.
    pub partitions: usize,
}

/// Builds a TensorRT engine of the ONNX model at `onnx_path`, re-targeted to `batch`, into
/// `out_path`. A node without TensorRT gets an error naming what is missing.
pub fn build_engine(
    onnx_path: &Path,
    batch: i64,
    out_path: &Path,
    options: &EngineOptions,
) -> Result<EngineInfo> {
    let trtexec = options.prefer_trtexec.then(find_trtexec).flatten();
    let capabilities = (trtexec.is_none()).then(detect_capabilities);
    if let Some(caps) = &capabilities
        && !caps.has(Provider::TensorRt)
    {
        return Err(Error::Runtime(format!(
            "no TensorRT on this node: `trtexec` is not on the PATH and the TensorRT provider \
             is unavailable ({})",
            caps.reason(Provider::TensorRt).unwrap_or("no reason given")
        )));
    }
    let model = retarget_batch(&load_model(onnx_path)?, BatchSize::Fixed(batch))?;
    let work = scratch_dir(out_path)?;
    let result = match trtexec {
        Some(trtexec) => with_trtexec(&trtexec, &model, batch, out_path, options, &work),
        None => with_onnx_runtime(&model, batch, out_path, options, &work),
    };
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn scratch_dir(out_path: &Path) -> Result<PathBuf> {
    let parent = out_path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = parent
        .unwrap_or(Path::new("."))
        .join(format!(".qbound-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

fn find_trtexec() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("trtexec"))
        .find(|p| p.is_file())
}

fn with_trtexec(
    trtexec: &Path,
    model: &ModelProto,
    batch: i64,
    out_path: &Path,
    options: &EngineOptions,
    work: &Path,
) -> Result<EngineInfo> {
    let onnx = work.join(format!("model_bs{batch}.onnx"));
    save_model(model, &onnx, &SaveOptions::default())?;
    let mut command = Command::new(trtexec);
    command
        .arg(format!("--onnx={}", onnx.display()))
        .arg(format!("--saveEngine={}", out_path.display()));
    if options.int8 {
        command.arg("--int8");
    }
    if options.fp16 {
        command.arg("--fp16");
    }
    let output = command.output().map_err(|e| Error::io(trtexec, e))?;
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || !out_path.is_file() {
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        return Err(Error::Runtime(format!(
            "`trtexec` failed for batch {batch}: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    Ok(EngineInfo {
        path: out_path.to_path_buf(),
        tensorrt_version: trtexec_version(&log)
            .or_else(tensorrt_version)
            .unwrap_or_else(|| "unknown".into()),
        gpu_name: gpu_name().unwrap_or_else(|| "unknown".into()),
        batch,
        builder: EngineBuilder::Trtexec,
        partitions: 1,
    })
}

/// The version in trtexec's `[TensorRT v100300]` banner, as `10.3.0`.
fn trtexec_version(log: &str) -> Option<String> {
    let start = log.find("[TensorRT v")? + "[TensorRT v".len();
    let digits: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n: u64 = digits.parse().ok()?;
    Some(format!("{}.{}.{}", n / 10_000, n / 100 % 100, n % 100))
}

fn with_onnx_runtime(
    model: &ModelProto,
    batch: i64,
    out_path: &Path,
    options: &EngineOptions,
    work: &Path,
) -> Result<EngineInfo> {
    let config = SessionConfig {
        provider: Provider::TensorRt,
        threads: None,
        optimize: true,
    };
    let gpu = GpuOptions {
        tensorrt_fp16: options.fp16,
        tensorrt_int8: options.int8,
        tensorrt_cache_dir: Some(work.to_path_buf()),
        ..GpuOptions::default()
    };
    let mut session = session_from_bytes_with(&encode_model(model), &config, &gpu)?;
    let (input, values) = zero_input(model)?;
    run_f32(&mut session, &input, values.view(), &[])?;
    drop(session);
    let mut engines: Vec<(u64, PathBuf)> = std::fs::read_dir(work)
        .map_err(|e| Error::io(work, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "engine"))
        .map(|p| (std::fs::metadata(&p).map_or(0, |m| m.len()), p))
        .collect();
    engines.sort_by_key(|e| std::cmp::Reverse(e.0));
    let Some((_, largest)) = engines.first() else {
        return Err(Error::Runtime(
            "the TensorRT provider ran the model but cached no engine (it may have left every \
             node to CUDA)"
                .into(),
        ));
    };
    std::fs::copy(largest, out_path).map_err(|e| Error::io(out_path, e))?;
    for (i, (_, other)) in engines.iter().enumerate().skip(1) {
        let part = PathBuf::from(format!("{}.part{i}", out_path.display()));
        std::fs::copy(other, &part).map_err(|e| Error::io(&part, e))?;
    }
    Ok(EngineInfo {
        path: out_path.to_path_buf(),
        tensorrt_version: tensorrt_version().unwrap_or_else(|| "unknown".into()),
        gpu_name: gpu_name().unwrap_or_else(|| "unknown".into()),
        batch,
        builder: EngineBuilder::OnnxRuntime,
        partitions: engines.len(),
    })
}

/// Zeros for the model's single float input, which must have a static shape.
fn zero_input(model: &ModelProto) -> Result<(String, ArrayD<f32>)> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let input = crate::onnx::graph_inputs(graph)
        .into_iter()
        .next()
        .ok_or_else(|| Error::Unsupported("the model has no input".into()))?;
    let name = input.name.clone().unwrap_or_default();
    let dims = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(t)) => t.shape.as_ref().map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(Dim::DimValue(v)) if v > 0 => usize::try_from(v).ok(),
                    _ => None,
                })
                .collect::<Option<Vec<usize>>>()
        }),
        _ => None,
    }
    .flatten()
    .ok_or_else(|| {
        Error::Unsupported(format!(
            "input `{name}` needs a static shape to build a TensorRT engine"
        ))
    })?;
    Ok((name, ArrayD::zeros(dims)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trtexec_banner_gives_the_version() {
        let log = "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=m.onnx";
        assert_eq!(trtexec_version(log).as_deref(), Some("10.3.0"));
        assert_eq!(trtexec_version("no banner"), None);
    }

    #[test]
    fn a_node_without_tensorrt_says_so() {
        if find_trtexec().is_some() || detect_capabilities().has(Provider::TensorRt) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/nanodet-coco-416.onnx");
        let err = build_engine(
            &model,
            1,
            &dir.path().join("m.engine"),
            &EngineOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no TensorRT on this node"), "{err}");
        assert!(err.contains("`trtexec` is not on the PATH"), "{err}");
        assert!(
            err.contains("libonnxruntime_providers_tensorrt.so"),
            "{err}"
        );
    }
}
