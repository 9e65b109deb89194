//! Serving a stored blob, streamed from the store: size, sha256, content type, and one
//! HTTP byte range.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::range::{RangeRequest, requested_range};
use crate::error::{Error, Result};
use crate::state::AppState;

pub(crate) async fn serve_blob(
    state: &AppState,
    sha256: &str,
    content_type: &str,
    file_name: &str,
    request: Request,
) -> Result<Response> {
    let size = state
        .store
        .size_of(sha256)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the file of `{file_name}`")))?;
    let mime = HeaderValue::from_str(content_type)
        .map_err(|_| Error::Internal(format!("bad content type `{content_type}`")))?;
    let (status, range) = match requested_range(request.headers().get(header::RANGE), size) {
        RangeRequest::Whole => (StatusCode::OK, 0..size),
        RangeRequest::Part(range) => (StatusCode::PARTIAL_CONTENT, range),
        RangeRequest::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            insert(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            return Ok(response);
        }
    };
    let body = if range.is_empty() || request.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from_stream(state.store.read(sha256, range.clone()).await?)
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, mime);
    insert(
        &mut response,
        header::CONTENT_LENGTH,
        &(range.end - range.start).to_string(),
    );
    insert(&mut response, header::ACCEPT_RANGES, "bytes");
    if status == StatusCode::PARTIAL_CONTENT {
        let last = range.end - 1;
        let value = format!("bytes {}-{last}/{size}", range.start);
        insert(&mut response, header::CONTENT_RANGE, &value);
    }
    let safe_name = crate::archive::sanitize_file_name(file_name);
    let disposition = format!("attachment; filename=\"{safe_name}\"");
    insert(&mut response, header::CONTENT_DISPOSITION, &disposition);
    insert(&mut response, "x-checksum-sha256", sha256);
    Ok(response)
}

/// Sets a header whose value the server made (always valid ASCII).
fn insert(response: &mut Response, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}
