//! Multipart uploads with progress, through `XMLHttpRequest` (fetch reports no upload
//! progress).

use futures_channel_like::oneshot;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{File, FormData, ProgressEvent, XmlHttpRequest};

use super::{ApiError, ApiResult, stored_token};

/// Uploads `file` as the `file` part (and `name` as the `name` part when given) to `path`
/// with `POST`, calling `on_progress` with the fraction sent; returns the parsed response.
pub(crate) async fn upload_file<T: DeserializeOwned>(
    path: &str,
    file: &File,
    name: Option<&str>,
    on_progress: impl Fn(f64) + 'static,
) -> ApiResult<T> {
    let form = FormData::new().map_err(|_| ApiError::unexpected("no FormData"))?;
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        let _ = form.append_with_str("name", name);
    }
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::unexpected("cannot attach the file"))?;
    let xhr = XmlHttpRequest::new().map_err(|_| ApiError::unexpected("no XMLHttpRequest"))?;
    xhr.open("POST", path)
        .map_err(|_| ApiError::unexpected("cannot open the request"))?;
    if let Some(token) = stored_token() {
        let _ = xhr.set_request_header("Authorization", &format!("Bearer {token}"));
    }
    let progress = Closure::<dyn Fn(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            on_progress(event.loaded() / event.total());
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let (sender, receiver) = oneshot::channel();
    let done = {
        let sender = sender.clone();
        Closure::<dyn Fn()>::new(move || sender.send(true))
    };
    let failed = Closure::<dyn Fn()>::new(move || sender.send(false));
    xhr.set_onload(Some(done.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(failed.as_ref().unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&form))
        .map_err(|_| ApiError::network("the upload could not start"))?;
    let loaded = receiver.await;
    drop((progress, done, failed));
    if !loaded {
        return Err(ApiError::network("the upload broke off"));
    }
    let status = xhr.status().unwrap_or(0);
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    if (200..300).contains(&status) {
        serde_json::from_str(&body).map_err(ApiError::unexpected)
    } else {
        Err(ApiError::from_response(status, &body))
    }
}

/// A one-shot channel from a JavaScript callback to an async task (no extra crate needed).
mod futures_channel_like {
    pub(crate) mod oneshot {
        use std::cell::RefCell;
        use std::future::Future;
        use std::pin::Pin;
        use std::rc::Rc;
        use std::task::{Context, Poll, Waker};

        struct Slot {
            value: Option<bool>,
            waker: Option<Waker>,
        }

        /// Sends the outcome once; later sends are ignored.
        #[derive(Clone)]
        pub(crate) struct Sender(Rc<RefCell<Slot>>);

        /// Resolves to the first value sent.
        pub(crate) struct Receiver(Rc<RefCell<Slot>>);

        pub(crate) fn channel() -> (Sender, Receiver) {
            let slot = Rc::new(RefCell::new(Slot {
                value: None,
                waker: None,
            }));
            (Sender(slot.clone()), Receiver(slot))
        }

        impl Sender {
            pub(crate) fn send(&self, value: bool) {
                let mut slot = self.0.borrow_mut();
                if slot.value.is_none() {
                    slot.value = Some(value);
                    if let Some(waker) = slot.waker.take() {
                        waker.wake();
                    }
                }
            }
        }

        impl Future for Receiver {
            type Output = bool;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
                let mut slot = self.0.borrow_mut();
                match slot.value {
                    Some(value) => Poll::Ready(value),
                    None => {
                        slot.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            }
        }
    }
}
