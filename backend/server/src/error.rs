//! The server's one error type, mapped to HTTP status codes and a JSON body
//! `{"error": "..."}`, and the extractors whose rejections use it.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Everything that can go wrong in the server, the worker, or a job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or names something invalid (400).
    #[error("{0}")]
    BadRequest(String),
    /// No token was sent (401).
    #[error(
        "this call needs a token: send `Authorization: Bearer <token>` (create one with `qbound token create`)"
    )]
    Unauthorized,
    /// A token was sent, but it is unknown or has expired (401).
    #[error(
        "the token sent was rejected: it is unknown or has expired (create a new one with `qbound token create`)"
    )]
    TokenRejected,
    /// The token's role does not allow this call (403).
    #[error("{0}")]
    Forbidden(String),
    /// The thing named does not exist (404).
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// An upload is larger than the server accepts (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request is well-formed but its content is invalid (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The server's configuration cannot work (a bad database URL, an unreachable
    /// database).
    #[error("{0}")]
    Config(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The database schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A file could not be read or written.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The quantization engine failed.
    #[error("{0}")]
    Engine(#[from] qbound_engine::Error),
    /// The blob store (`--store`) is misconfigured, unreachable, or failed a request.
    #[error("{0}")]
    Store(String),
    /// A call to the server (from a worker) failed.
    #[error("server request: {0}")]
    Client(#[from] reqwest::Error),
    /// Anything else that is the server's fault.
    #[error("{0}")]
    Internal(String),
}

/// The server's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::TokenRejected => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            format!("internal server error: {self}")
        } else {
            self.to_string()
        };
        (status, axum::Json(qbound_shared::ApiError { error })).into_response()
    }
}

impl From<object_store::Error> for Error {
    fn from(err: object_store::Error) -> Self {
        Self::Store(format!("blob store: {err}"))
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::UNPROCESSABLE_ENTITY => Self::Unprocessable(rejection.body_text()),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(rejection.body_text()),
            _ => Self::BadRequest(rejection.body_text()),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<axum::extract::multipart::MultipartError> for Error {
    fn from(err: axum::extract::multipart::MultipartError) -> Self {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::PayloadTooLarge(err.body_text())
        } else {
            Self::BadRequest(err.body_text())
        }
    }
}

/// A JSON body or response whose rejections are [`Error`]s.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A path parameter whose rejections are [`Error`]s.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// A query string whose rejections are [`Error`]s.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
