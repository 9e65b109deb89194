//! The engine's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in the engine, with a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file in question.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a valid ONNX model.
    #[error("not a valid ONNX model: {0}")]
    InvalidModel(String),
    /// The model is valid ONNX but something in it is not supported.
    #[error("unsupported model: {0}")]
    Unsupported(String),
    /// An image could not be decoded.
    #[error("cannot decode image `{path}`: {reason}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// A caller-supplied argument or file is invalid.
    #[error("{0}")]
    InvalidInput(String),
    /// ONNX Runtime failed or is missing.
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    /// JSON that could not be parsed or written.
    #[error("invalid JSON in `{path}`: {source}")]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// What the parser said.
        source: serde_json::Error,
    },
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<ort::Error> for Error {
    fn from(err: ort::Error) -> Self {
        Self::Runtime(err.to_string())
    }
}
