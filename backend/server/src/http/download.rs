//! Serving a stored blob: size, sha256, content type, HTTP ranges.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::error::{Error, Result};
use crate::state::AppState;

pub(crate) async fn serve_blob(
    state: &AppState,
    sha256: &str,
    content_type: &str,
    file_name: &str,
    request: Request,
) -> Result<Response> {
    let path = state.store.path(sha256)?;
    if !path.is_file() {
        return Err(Error::NotFound(format!("the file of `{file_name}`")));
    }
    let mime = content_type
        .parse()
        .map_err(|_| Error::Internal(format!("bad content type `{content_type}`")))?;
    let response = ServeFile::new_with_mime(&path, &mime)
        .oneshot(request)
        .await
        .map_err(|e| Error::Internal(format!("cannot serve `{file_name}`: {e}")))?;
    let mut response = response.into_response();
    let headers = response.headers_mut();
    let safe_name = crate::archive::sanitize_file_name(file_name);
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(sha256) {
        headers.insert("x-checksum-sha256", value);
    }
    Ok(response)
}
