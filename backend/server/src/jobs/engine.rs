//! The engine job: a TensorRT engine per fixed export batch size of one point. Only a worker
//! with the `tensorrt` capability claims it; a node without TensorRT fails it plainly.

use std::path::Path;

use qbound_engine::tensorrt::{EngineOptions, build_engine};
use qbound_shared::ArtifactKind;

use super::control::JobControl;
use super::evaluate::fixed_exports;
use super::execute::{JobOutput, OutputArtifact};
use super::protocol::{ClaimedJob, EngineBuilt, JobResult};
use crate::error::{Error, Result};

pub(crate) fn engine(job: &ClaimedJob, dir: &Path, control: &JobControl<'_>) -> Result<JobOutput> {
    let exports = fixed_exports(job, dir);
    if exports.is_empty() {
        return Err(Error::Unprocessable(
            "no export at a fixed batch size to build an engine from".into(),
        ));
    }
    let mut engines = Vec::new();
    let mut artifacts = Vec::new();
    for (i, (onnx, batch)) in exports.iter().enumerate() {
        let name = onnx
            .file_name()
            .map(|n| n.to_string_lossy().replace(".onnx", ".engine"))
            .unwrap_or_else(|| format!("bs{batch}.engine"));
        control.progress(
            i as f64 / exports.len() as f64,
            format!("building `{name}`"),
        );
        let path = dir.join(&name);
        let info = build_engine(onnx, *batch, &path, &EngineOptions::default())?;
        engines.push(EngineBuilt {
            name: name.clone(),
            batch_size: *batch,
            tensorrt_version: info.tensorrt_version,
            gpu_name: info.gpu_name,
        });
        artifacts.push(OutputArtifact {
            kind: ArtifactKind::Engine,
            name,
            path,
        });
    }
    Ok(JobOutput {
        result: JobResult::Engine { engines },
        artifacts,
    })
}
