//! Content-addressed file store: every blob lives under its sha256 in the data directory,
//! written to a temporary file first and renamed into place, so readers never see a part.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// The blob store under `<data dir>/blobs` (or a folder replicas share).
#[derive(Debug, Clone)]
pub(crate) struct BlobStore {
    blobs: PathBuf,
    temp: PathBuf,
}

/// A blob's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobInfo {
    /// Lower-case hex sha256 of the content.
    pub(crate) sha256: String,
    /// Size in bytes.
    pub(crate) size: u64,
}

/// Content written to a temporary file, not yet in the store; removed when dropped.
#[derive(Debug)]
pub(crate) struct PendingBlob {
    file: NamedTempFile,
    /// The content's identity.
    pub(crate) info: BlobInfo,
}

impl PendingBlob {
    /// Where the content lies until it is committed.
    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }
}

impl BlobStore {
    /// Opens (creating) the store in `blob_dir`, by default `<data_dir>/blobs`, with its
    /// temporary area in `data_dir`, removing what a stopped server left there (partial
    /// uploads, half-unpacked archives).
    pub(crate) fn open(data_dir: &Path, blob_dir: Option<&Path>) -> Result<Self> {
        let blobs = blob_dir.map_or_else(|| data_dir.join("blobs"), Path::to_path_buf);
        let temp = data_dir.join("tmp");
        std::fs::create_dir_all(&blobs)?;
        if temp.exists() {
            std::fs::remove_dir_all(&temp)?;
        }
        std::fs::create_dir_all(&temp)?;
        Ok(Self { blobs, temp })
    }

    /// Where the blob `sha256` is (or would be) stored; the name must be 64 hex digits.
    pub(crate) fn path(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::BadRequest(format!(
                "`{sha256}` is not a sha256 digest"
            )));
        }
        Ok(self.blobs.join(&sha256[..2]).join(sha256))
    }

    /// A fresh temporary file next to the store (same file system, so renames are atomic).
    pub(crate) fn temp_file(&self) -> Result<NamedTempFile> {
        Ok(NamedTempFile::new_in(&self.temp)?)
    }

    /// Writes `stream` to a temporary file, hashing it; fails with 413 past `limit` bytes.
    pub(crate) async fn receive<S, E>(&self, mut stream: S, limit: u64) -> Result<PendingBlob>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: Into<Error>,
    {
        let file = self.temp_file()?;
        let mut out = tokio::fs::File::from_std(file.reopen()?);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(Into::into)?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(Error::PayloadTooLarge(format!(
                    "the upload is larger than the limit of {limit} bytes"
                )));
            }
            hasher.update(&chunk);
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        out.sync_all().await?;
        let sha256 = hex::encode(hasher.finalize());
        Ok(PendingBlob {
            file,
            info: BlobInfo { sha256, size },
        })
    }

    /// Hashes a finished temporary file (written by the caller) into a [`PendingBlob`].
    pub(crate) fn pending_from_file(&self, file: NamedTempFile) -> Result<PendingBlob> {
        let info = hash_file(file.path())?;
        Ok(PendingBlob { file, info })
    }

    /// Moves `pending` into the store; content already stored is kept and the copy dropped.
    pub(crate) fn commit(&self, pending: PendingBlob) -> Result<BlobInfo> {
        let target = self.path(&pending.info.sha256)?;
        if !target.is_file() {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            pending
                .file
                .persist(&target)
                .map_err(|e| Error::Io(e.error))?;
        }
        Ok(pending.info)
    }
}

/// The sha256 and size of a file.
pub(crate) fn hash_file(path: &Path) -> Result<BlobInfo> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok(BlobInfo {
        sha256: hex::encode(hasher.finalize()),
        size,
    })
}
