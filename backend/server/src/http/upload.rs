//! Reading a multipart upload: one `file` part streamed to the store's temporary area,
//! an optional `name` part read with a cap; any other part is refused, and what the parser
//! buffers around the parts (boundaries, part headers) is capped too.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request};
use futures_util::{Stream, StreamExt};

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

/// The most bytes the multipart parser may hold without handing them on as part contents:
/// the framing (preamble, boundaries, part headers) and the chunks it is reading.
const MAX_HELD_BYTES: u64 = 4 * 1024 * 1024;

/// Receives the multipart upload in `request`: the file (at most `limit` bytes) into the
/// store's temporary area, and the optional name.
pub(crate) async fn receive_upload(
    request: Request,
    store: &BlobStore,
    limit: u64,
) -> Result<Upload> {
    let framing = Arc::new(Framing::default());
    let (parts, body) = request.into_parts();
    let guarded = FramingGuard {
        inner: body.into_data_stream(),
        framing: framing.clone(),
        just_fed: false,
    };
    let request = Request::from_parts(parts, Body::from_stream(guarded));
    let multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| Error::BadRequest(e.body_text()))?;
    read_parts(multipart, store, limit, &framing)
        .await
        .map_err(|err| {
            if framing.tripped() {
                Error::PayloadTooLarge(format!(
                    "the upload's part headers are too long (the parser held {MAX_HELD_BYTES} bytes)"
                ))
            } else {
                err
            }
        })
}

async fn read_parts(
    mut multipart: Multipart,
    store: &BlobStore,
    limit: u64,
    framing: &Framing,
) -> Result<Upload> {
    let mut name = None;
    let mut blob = None;
    while let Some(field) = multipart.next_field().await? {
        match field.name() {
            Some("name") if name.is_none() => name = Some(read_capped(field, framing).await?),
            Some("file") if blob.is_none() => {
                let file_name = field.file_name().map(str::to_owned);
                let data = field.inspect(|chunk| {
                    if let Ok(chunk) = chunk {
                        framing.delivered(chunk.len());
                    }
                });
                blob = Some(store.receive(data, limit).await?);
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
async fn read_capped(mut field: Field<'_>, framing: &Framing) -> Result<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        framing.delivered(chunk.len());
        if bytes.len() + chunk.len() > MAX_NAME_BYTES {
            return Err(Error::PayloadTooLarge(format!(
                "the `name` part is longer than {MAX_NAME_BYTES} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| Error::BadRequest("the `name` part is not UTF-8".into()))
}

/// Bytes fed to the multipart parser and bytes it handed on as part contents; the
/// difference is framing, or what the parser holds while it looks for a header's end.
#[derive(Debug, Default)]
struct Framing {
    fed: AtomicU64,
    delivered: AtomicU64,
    tripped: AtomicBool,
}

impl Framing {
    fn delivered(&self, bytes: usize) {
        self.delivered.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn held(&self) -> u64 {
        let fed = self.fed.load(Ordering::Relaxed);
        fed.saturating_sub(self.delivered.load(Ordering::Relaxed))
    }

    fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }
}

/// The request body, one chunk per poll of the parser (which otherwise reads all that has
/// arrived), failing once the parser holds more than [`MAX_HELD_BYTES`] it has not handed
/// on: an endless part header cannot fill the memory.
struct FramingGuard<S> {
    inner: S,
    framing: Arc<Framing>,
    just_fed: bool,
}

impl<S> Stream for FramingGuard<S>
where
    S: Stream<Item = std::result::Result<Bytes, axum::Error>> + Unpin,
{
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.just_fed {
            // Let the parser hand on what it has before it reads more.
            self.just_fed = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.framing.held() > MAX_HELD_BYTES {
            self.framing.tripped.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(std::io::Error::other(
                "the upload's framing is too long",
            ))));
        }
        let next = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            self.framing
                .fed
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            self.just_fed = true;
        }
        next.map(|item| item.map(|chunk| chunk.map_err(std::io::Error::other)))
    }
}
