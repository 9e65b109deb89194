//! Reading a multipart upload: one `file` part streamed to the store's temporary area,
//! an optional `name` part read with a cap; any other part is refused.

use axum::extract::Multipart;
use axum::extract::multipart::Field;

use crate::error::{Error, Result};
use crate::store::{BlobStore, PendingBlob};

/// The most bytes the `name` part may hold.
pub(crate) const MAX_NAME_BYTES: usize = 1024;

/// An upload received but not yet validated or stored.
pub(crate) struct Upload {
    /// The `name` part, or the client's file name (display only, never a path).
    pub(crate) name: Option<String>,
    pub(crate) blob: PendingBlob,
}

pub(crate) async fn receive_upload(
    mut multipart: Multipart,
    store: &BlobStore,
    limit: u64,
) -> Result<Upload> {
    let mut name = None;
    let mut blob = None;
    while let Some(field) = multipart.next_field().await? {
        match field.name() {
            Some("name") if name.is_none() => name = Some(read_capped(field).await?),
            Some("file") if blob.is_none() => {
                let file_name = field.file_name().map(str::to_owned);
                blob = Some(store.receive(field, limit).await?);
                name = name.or(file_name);
            }
            other => {
                return Err(Error::BadRequest(format!(
                    "unexpected part `{}`: an upload sends one `file` part and at most one `name` part",
                    other.unwrap_or("")
                )));
            }
        }
    }
    let blob = blob.ok_or_else(|| Error::BadRequest("the upload has no `file` part".into()))?;
    if blob.info.size == 0 {
        return Err(Error::Unprocessable("the uploaded file is empty".into()));
    }
    let name = name
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        })
        .filter(|n| !n.trim().is_empty());
    Ok(Upload { name, blob })
}

/// The text of a small part, refused past [`MAX_NAME_BYTES`] without reading the rest.
async fn read_capped(mut field: Field<'_>) -> Result<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > MAX_NAME_BYTES {
            return Err(Error::PayloadTooLarge(format!(
                "the `name` part is longer than {MAX_NAME_BYTES} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| Error::BadRequest("the `name` part is not UTF-8".into()))
}
