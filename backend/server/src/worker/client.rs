//! The worker's side of the REST protocol, over reqwest.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::tasks::OutputArtifact;
use crate::error::{Error, Result};
use crate::run::protocol::{
    ClaimRequest, ClaimedJob, CompleteRequest, FailRequest, HeartbeatRequest,
};
use crate::settings::WorkerSettings;

/// Whether a request may go to another server after it failed on its way, when it may have
/// reached the first: a heartbeat, a download, an upload or a completion may (the server
/// takes each twice the same), a claim may not (a job would be leased to a lost answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// Sent again after any failure to get an answer.
    Safe,
    /// Sent again only when no connection could be made.
    OnlyUnsent,
}

/// A client of one service with one worker token: its server, or the replicas of it the
/// worker was given, of which it talks to one and moves on to the next when that one
/// cannot be reached.
#[derive(Debug, Clone)]
pub(crate) struct ServerClient {
    http: reqwest::Client,
    bases: Arc<[String]>,
    /// The index in `bases` of the server in use.
    current: Arc<AtomicUsize>,
    token: String,
}

impl ServerClient {
    pub(crate) fn new(settings: &WorkerSettings) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        let bases = std::iter::once(&settings.server)
            .chain(&settings.other_servers)
            .map(|base| base.trim_end_matches('/').to_owned())
            .collect();
        Ok(Self {
            http,
            bases,
            current: Arc::new(AtomicUsize::new(0)),
            token: settings.token.clone(),
        })
    }

    /// Sends the request `build` makes for a server's base URL to the server in use; when
    /// that one cannot be reached (or, as `resend` allows, drops the request), to the next
    /// in turn (each tried once), which is then kept. An error status becomes an [`Error`].
    async fn send(
        &self,
        resend: Resend,
        build: impl Fn(&str) -> Result<reqwest::RequestBuilder>,
    ) -> Result<reqwest::Response> {
        let first = self.current.load(Ordering::Relaxed);
        let mut unreachable = None;
        for offset in 0..self.bases.len() {
            let index = (first + offset) % self.bases.len();
            let base = &self.bases[index];
            match build(base)?.send().await {
                Ok(response) => {
                    if offset > 0 {
                        self.current.store(index, Ordering::Relaxed);
                        tracing::warn!(server = %base, "switched to another server");
                    }
                    return checked(response).await;
                }
                Err(err) if err.is_connect() || (resend == Resend::Safe && err.is_request()) => {
                    unreachable = Some(err)
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(unreachable.map_or_else(
            || Error::Internal("the worker has no server to talk to".into()),
            Error::from,
        ))
    }

    fn post(&self, base: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{base}{path}"))
            .bearer_auth(&self.token)
            .timeout(std::time::Duration::from_secs(60))
    }

    pub(crate) async fn claim(&self, request: &ClaimRequest) -> Result<Option<ClaimedJob>> {
        let response = self
            .send(Resend::OnlyUnsent, |base| {
                Ok(self.post(base, "/api/jobs/claim").json(request))
            })
            .await?;
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        Ok(Some(response.json().await?))
    }

    /// Sends a heartbeat; an [`Error::Conflict`] means the lease is gone.
    pub(crate) async fn heartbeat(&self, job_id: i64, request: &HeartbeatRequest) -> Result<()> {
        let path = format!("/api/jobs/{job_id}/heartbeat");
        self.send(Resend::Safe, |base| {
            Ok(self.post(base, &path).json(request))
        })
        .await?;
        Ok(())
    }

    pub(crate) async fn complete(&self, job_id: i64, request: &CompleteRequest) -> Result<()> {
        let path = format!("/api/jobs/{job_id}/complete");
        self.send(Resend::Safe, |base| {
            Ok(self.post(base, &path).json(request))
        })
        .await?;
        Ok(())
    }

    pub(crate) async fn fail(&self, job_id: i64, request: &FailRequest) -> Result<()> {
        let path = format!("/api/jobs/{job_id}/fail");
        self.send(Resend::Safe, |base| {
            Ok(self.post(base, &path).json(request))
        })
        .await?;
        Ok(())
    }

    /// Downloads `path` (relative to the server) to `dest`, checking its sha256.
    pub(crate) async fn download(&self, path: &str, sha256: &str, dest: &Path) -> Result<()> {
        let response = self
            .send(Resend::Safe, |base| {
                Ok(self
                    .http
                    .get(format!("{base}{path}"))
                    .bearer_auth(&self.token))
            })
            .await?;
        let partial = dest.with_extension("part");
        let mut file = tokio::fs::File::create(&partial).await?;
        let mut hasher = Sha256::new();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        drop(file);
        let got = hex::encode(hasher.finalize());
        if got != sha256 {
            tokio::fs::remove_file(&partial).await?;
            return Err(Error::Internal(format!(
                "download of `{path}` has sha256 {got}, expected {sha256}"
            )));
        }
        tokio::fs::rename(&partial, dest).await?;
        Ok(())
    }

    pub(crate) async fn upload_artifact(
        &self,
        job_id: i64,
        lease_token: &str,
        artifact: &OutputArtifact,
    ) -> Result<()> {
        let name = &artifact.name;
        let mut query = vec![("kind", artifact.kind.to_string())];
        query.extend(
            artifact
                .batch_size
                .map(|size| ("batch_size", size.to_string())),
        );
        let path = format!("/api/jobs/{job_id}/artifacts/{name}");
        self.send(Resend::Safe, |base| {
            let file = tokio::fs::File::from_std(std::fs::File::open(&artifact.path)?);
            Ok(self
                .http
                .put(format!("{base}{path}"))
                .query(&query)
                .bearer_auth(&self.token)
                .header(crate::run::protocol::LEASE_HEADER, lease_token)
                .body(reqwest::Body::wrap_stream(ReaderStream::new(file))))
        })
        .await?;
        Ok(())
    }
}

/// Turns an error status into an [`Error`] carrying the server's message.
async fn checked(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or(text);
    Err(status_error(status, message))
}

/// The [`Error`] for an error status and the server's message (which already says what
/// was not found).
fn status_error(status: StatusCode, message: String) -> Error {
    match status {
        StatusCode::CONFLICT => Error::Conflict(message),
        StatusCode::UNAUTHORIZED => Error::Unauthorized,
        StatusCode::FORBIDDEN => Error::Forbidden(message),
        StatusCode::NOT_FOUND => Error::NotFound(
            message
                .strip_suffix(" not found")
                .map_or(message.clone(), str::to_owned),
        ),
        _ => Error::Internal(format!("the server answered {status}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_thing_is_said_not_found_once() {
        let error = status_error(StatusCode::NOT_FOUND, "job 16 not found".into());
        assert_eq!(error.to_string(), "job 16 not found");
    }
}
