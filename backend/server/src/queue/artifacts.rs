//! A file a worker uploads for a job it holds: checked, stored by content, and recorded.

use axum::body::Body;
use qbound_shared::{ArtifactKind, ArtifactRecord, ExportBatchSize};
use serde::Deserialize;

use crate::archive::sanitize_file_name;
use crate::db;
use crate::db::artifacts::NewArtifact;
use crate::error::{Error, Result};
use crate::state::AppState;

/// The longest artifact name.
const MAX_NAME_CHARS: usize = 100;

/// What a worker says of a file it uploads.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UploadInfo {
    /// What the file is.
    pub(crate) kind: ArtifactKind,
    /// The batch size of an exported model or engine.
    #[serde(default)]
    pub(crate) batch_size: Option<ExportBatchSize>,
}

/// Stores `body` as the artifact `name` of job `job_id`, when `lease_token` still holds the
/// job (or held it when it succeeded: a repeated upload); the same name again replaces it.
/// The artifact belongs to the job's trade-off point when the job works on one.
pub(crate) async fn store_artifact(
    state: &AppState,
    job_id: i64,
    lease_token: &str,
    info: &UploadInfo,
    name: &str,
    body: Body,
) -> Result<ArtifactRecord> {
    if name.is_empty() || name.len() > MAX_NAME_CHARS || sanitize_file_name(name) != name {
        return Err(Error::BadRequest(format!(
            "artifact names use [A-Za-z0-9._-] (at most {MAX_NAME_CHARS} characters)"
        )));
    }
    let job = db::jobs::job_by_id(&state.pool, job_id).await?;
    let held = db::queue::lease_state(&state.pool, job_id, lease_token).await?;
    if !matches!(held.as_deref(), Some("running" | "succeeded")) {
        return Err(Error::Conflict(format!(
            "job {job_id} is no longer held by this lease"
        )));
    }
    let pending = state
        .store
        .receive(body.into_data_stream(), state.settings.max_artifact_bytes)
        .await?;
    let blob = state.store.commit(pending).await?;
    let artifact = NewArtifact {
        run_id: job.run_id,
        job_id,
        kind: info.kind,
        point: job.kind.is_per_point().then_some(job.label.as_str()),
        batch_size: info.batch_size,
        name,
        sha256: &blob.sha256,
        size: blob.size as i64,
        content_type: content_type_of(name),
    };
    db::artifacts::upsert_artifact(&state.pool, &artifact).await
}

/// The MIME type an artifact is served with, by its extension.
fn content_type_of(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("json") => "application/json",
        Some("txt") | Some("cache") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
