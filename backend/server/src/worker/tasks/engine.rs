//! The engine job: a TensorRT engine per fixed export batch size of one point. Only a worker
//! with the `tensorrt` capability claims it; a node without TensorRT fails it plainly.

use qbound_engine::tensorrt::{EngineOptions, build_engine};
use qbound_shared::{ArtifactKind, ExportBatchSize};

use super::{JobOutput, OutputArtifact, Task};
use crate::error::{Error, Result};
use crate::run::protocol::{EngineBuilt, JobResult};

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let exports: Vec<(&str, u32)> = task
        .exports()
        .filter_map(|input| match input.batch_size? {
            ExportBatchSize::Fixed(batch) => Some((input.name.as_str(), batch)),
            ExportBatchSize::Dynamic => None,
        })
        .collect();
    if exports.is_empty() {
        return Err(Error::Unprocessable(
            "no export at a fixed batch size to build an engine from".into(),
        ));
    }
    let mut engines = Vec::new();
    let mut artifacts = Vec::new();
    for (i, &(onnx, batch)) in exports.iter().enumerate() {
        let name = onnx.replace(".onnx", ".engine");
        task.control.progress(
            i as f64 / exports.len() as f64,
            format!("building `{name}`"),
        );
        let path = task.dir.named(&name);
        let info = build_engine(
            &task.dir.named(onnx),
            i64::from(batch),
            &path,
            &EngineOptions::default(),
        )?;
        engines.push(EngineBuilt {
            name,
            batch_size: i64::from(batch),
            tensorrt_version: info.tensorrt_version,
            gpu_name: info.gpu_name,
        });
        artifacts.push(OutputArtifact::export(
            ArtifactKind::Engine,
            path,
            ExportBatchSize::Fixed(batch),
        ));
    }
    Ok(JobOutput {
        result: JobResult::Engine { engines },
        artifacts,
    })
}
