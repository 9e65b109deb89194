//! Content-addressed blob store: every blob lives under its sha256 (`blobs/ab/abcd…`) in an
//! object store: a local folder by default, or a bucket ([`location`]). Content arrives in
//! a local temporary file first, hashed on the way, and is uploaded once, whole (multipart
//! when large), so readers never see a part.

mod location;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// Uploads larger than this go in parts of this size; S3 wants parts of at least 5 MiB.
const PART_BYTES: usize = 8 * 1024 * 1024;

/// How long the store may take to answer at startup.
const REACH_TIMEOUT: Duration = Duration::from_secs(30);

/// The blob store, with a temporary area under `<data dir>/tmp`.
#[derive(Debug, Clone)]
pub(crate) struct BlobStore {
    objects: Arc<dyn ObjectStore>,
    /// The folder of the blobs inside the store: `<prefix>/blobs`.
    blobs: ObjectPath,
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
    /// Opens the store `url` names (by default the folder `data_dir`) and checks that it
    /// answers, then empties the temporary area `<data dir>/tmp` of what a stopped server
    /// left there (partial uploads, half-unpacked archives).
    pub(crate) async fn open(data_dir: &Path, url: Option<&str>) -> Result<Self> {
        let location = location::open_location(data_dir, url)?;
        let store = Self {
            objects: location.objects,
            blobs: location.prefix.join("blobs"),
            temp: data_dir.join("tmp"),
        };
        store
            .check_reachable(url.unwrap_or("the data folder"))
            .await?;
        if store.temp.exists() {
            std::fs::remove_dir_all(&store.temp)?;
        }
        std::fs::create_dir_all(&store.temp)?;
        Ok(store)
    }

    /// Lists the blob folder once, so a wrong bucket, wrong credentials or an unreachable
    /// endpoint stop the server at startup instead of failing the first upload.
    async fn check_reachable(&self, url: &str) -> Result<()> {
        let listing = self.objects.list_with_delimiter(Some(&self.blobs));
        match tokio::time::timeout(REACH_TIMEOUT, listing).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(Error::Store(format!(
                "the blob store `{url}` cannot be read: {e}"
            ))),
            Err(_) => Err(Error::Store(format!(
                "the blob store `{url}` did not answer within {} s; check its endpoint",
                REACH_TIMEOUT.as_secs()
            ))),
        }
    }

    /// The key of the blob `sha256`; the name must be 64 lower-case hex digits.
    fn key(&self, sha256: &str) -> Result<ObjectPath> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::BadRequest(format!(
                "`{sha256}` is not a sha256 digest"
            )));
        }
        Ok(self.blobs.clone().join(&sha256[..2]).join(sha256))
    }

    /// A fresh file in the server's temporary area, removed when dropped.
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

    /// Uploads `pending` to the store, streaming it from its temporary file; content already
    /// stored is kept and not sent again.
    pub(crate) async fn commit(&self, pending: PendingBlob) -> Result<BlobInfo> {
        let key = self.key(&pending.info.sha256)?;
        if self.size_of_key(&key).await?.is_some() {
            return Ok(pending.info);
        }
        let mut file = tokio::fs::File::open(pending.path()).await?;
        let mut upload =
            BufWriter::with_capacity(self.objects.clone(), key, PART_BYTES).with_max_concurrency(2);
        let sent = async {
            tokio::io::copy(&mut file, &mut upload).await?;
            upload.shutdown().await
        }
        .await;
        if let Err(err) = sent {
            if let Err(abort) = upload.abort().await {
                tracing::warn!(error = %abort, "abandoning a failed upload failed");
            }
            return Err(Error::Store(format!(
                "blob store: uploading {} failed: {err}",
                pending.info.sha256
            )));
        }
        Ok(pending.info)
    }

    /// The size of the blob `sha256`, or `None` when the store does not hold it.
    pub(crate) async fn size_of(&self, sha256: &str) -> Result<Option<u64>> {
        self.size_of_key(&self.key(sha256)?).await
    }

    async fn size_of_key(&self, key: &ObjectPath) -> Result<Option<u64>> {
        match self.objects.head(key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The bytes `range` of the blob `sha256`, streamed from the store; the range must be
    /// non-empty and within the blob.
    pub(crate) async fn read(
        &self,
        sha256: &str,
        range: Range<u64>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let result = self.objects.get_opts(&self.key(sha256)?, options).await?;
        Ok(result.into_stream())
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
