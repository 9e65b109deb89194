//! Talking to the server: JSON requests with the stored token, uploads with progress, and
//! live events over SSE.

mod error;
mod events;
mod http;
mod token;
mod upload;

pub(crate) use error::ApiError;
pub(crate) use events::{RunEvents, is_final};
pub(crate) use http::{check_write_token, delete, get_json, patch_json, post_json};
pub(crate) use token::{TokenState, stored_token};
pub(crate) use upload::upload_file;

/// The result of a call to the server.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
