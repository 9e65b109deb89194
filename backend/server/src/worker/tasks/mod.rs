//! What each job kind does, with the engine: one file per kind. A task runs on a worker
//! thread (never on the async runtime) in its [`JobDir`], with the run's configuration and
//! the float model read once, and writes its artifacts there too.

mod analyze;
mod benchmark;
mod calibrate;
mod engine;
mod evaluate;
mod quantize;
mod sensitivity;

use std::path::{Path, PathBuf};

use qbound_engine::onnx::load_model;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::Profile;
use qbound_shared::{ArtifactKind, ExportBatchSize, JobKind, RunConfig};

use super::control::JobControl;
use super::job_dir::JobDir;
use crate::error::{Error, Result};
use crate::run::files::{JobFile, is_export};
use crate::run::protocol::{ClaimedJob, JobInput, JobResult};

/// Images per batch when scoring.
const SCORING_BATCH: usize = 8;

/// A file a job produced, to upload as an artifact.
#[derive(Debug, Clone)]
pub(crate) struct OutputArtifact {
    pub(crate) kind: ArtifactKind,
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    /// The batch size of an exported model or engine.
    pub(crate) batch_size: Option<ExportBatchSize>,
}

impl OutputArtifact {
    /// The artifact of `kind` at `path`, named by its file name.
    fn at(kind: ArtifactKind, path: PathBuf) -> Self {
        let name = file_name(&path);
        Self {
            kind,
            name,
            path,
            batch_size: None,
        }
    }

    /// The exported model or engine of `kind` at `path`, for batches of `size`.
    fn export(kind: ArtifactKind, path: PathBuf, size: ExportBatchSize) -> Self {
        Self {
            batch_size: Some(size),
            ..Self::at(kind, path)
        }
    }
}

/// The last part of `path`: what the server and the log call a job's file.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a job produced.
#[derive(Debug, Clone)]
pub(crate) struct JobOutput {
    pub(crate) result: JobResult,
    pub(crate) artifacts: Vec<OutputArtifact>,
}

/// A claimed job ready to run: its folder, its run's configuration and its float model.
struct Task<'a> {
    job: &'a ClaimedJob,
    config: &'a RunConfig,
    dir: &'a JobDir,
    model: ModelProto,
    control: &'a JobControl<'a>,
}

impl Task<'_> {
    /// How the run's profile feeds and reads the model.
    fn profile(&self) -> Result<Profile> {
        Ok(Profile::for_model(Some(&self.config.profile), &self.model)?)
    }

    /// The point's exported model to score or time (batch 1 preferred); `None` when the job
    /// has none (the float model's own evaluation).
    fn point_model(&self) -> Option<&str> {
        self.exports()
            .min_by_key(|input| input.batch_size != Some(ExportBatchSize::Fixed(1)))
            .map(|input| input.name.as_str())
    }

    /// The point's exported models among the job's inputs.
    fn exports(&self) -> impl Iterator<Item = &JobInput> {
        self.job.inputs.iter().filter(|i| is_export(&i.name))
    }
}

/// Writes `value` as JSON to `path`.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::Internal(format!("cannot encode JSON: {e}")))?;
    Ok(std::fs::write(path, text)?)
}

/// Runs `job` in `dir`, where its inputs lie under their names.
pub(crate) fn execute(
    job: &ClaimedJob,
    dir: &JobDir,
    control: &JobControl<'_>,
) -> Result<JobOutput> {
    let task = Task {
        job,
        config: &job.params.config,
        dir,
        model: load_model(&dir.path(JobFile::Model))?,
        control,
    };
    match job.kind {
        JobKind::Calibrate => calibrate::run(&task),
        JobKind::Sensitivity => sensitivity::run(&task),
        JobKind::Quantize => quantize::run(&task),
        JobKind::Evaluate => evaluate::run(&task),
        JobKind::Benchmark => benchmark::run(&task),
        JobKind::Engine => engine::run(&task),
        JobKind::Analyze => analyze::run(&task),
    }
}
