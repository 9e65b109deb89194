//! Reading a multipart upload: one `file` part streamed to the store's temporary area,
//! an optional `name` part.

use axum::extract::Multipart;

use crate::error::{Error, Result};
use crate::store::{BlobStore, PendingBlob};

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
            Some("name") => name = Some(field.text().await?),
            Some("file") => {
                let file_name = field.file_name().map(str::to_owned);
                blob = Some(store.receive(field, limit).await?);
                name = name.or(file_name);
            }
            _ => {}
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
