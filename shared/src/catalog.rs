//! Models, datasets, health and the error body.

use serde::{Deserialize, Serialize};

/// The body of every error response: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// What went wrong, in words a user can act on.
    pub error: String,
}

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// One quantizable layer of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerInfo {
    /// Position in model order.
    pub position: usize,
    /// The layer's stable name.
    pub name: String,
    /// Conv, ConvTranspose, Gemm or MatMul.
    pub op: String,
    /// Weight parameters.
    pub parameters: u64,
}

/// A graph input or output: its name and shape (a number per fixed dimension, the
/// dimension's name for a symbolic one, `?` for an unknown one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TensorInfo {
    /// The tensor's name.
    pub name: String,
    /// Its dimensions (`["1", "3", "320", "320"]`, `["batch", "3", "640", "640"]`).
    pub shape: Vec<String>,
}

/// An uploaded model (`/api/models`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelRecord {
    /// The model's id.
    pub model_id: i64,
    /// Its display name.
    pub name: String,
    /// sha256 of the ONNX file.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// The default-domain opset.
    pub opset: Option<i64>,
    /// Graph input names.
    pub inputs: Vec<String>,
    /// Graph output names.
    pub outputs: Vec<String>,
    /// Graph inputs with their shapes.
    #[serde(default)]
    pub input_tensors: Vec<TensorInfo>,
    /// Graph outputs with their shapes.
    #[serde(default)]
    pub output_tensors: Vec<TensorInfo>,
    /// The built-in profile the model's inputs and outputs imply (`nanodet`, `yolov8`),
    /// inferred at upload as `qbound inspect` does.
    #[serde(default)]
    pub profile: Option<String>,
    /// Why no profile could be inferred (the run then needs one named).
    #[serde(default)]
    pub profile_error: Option<String>,
    /// Quantizable layers in model order.
    pub layers: Vec<LayerInfo>,
    /// When it was uploaded (Unix ms).
    pub created_at: i64,
}

/// An uploaded dataset (`/api/datasets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetRecord {
    /// The dataset's id.
    pub dataset_id: i64,
    /// Its display name.
    pub name: String,
    /// sha256 of the normalised tar.
    pub sha256: String,
    /// Size of the normalised tar in bytes.
    pub size: i64,
    /// Number of images.
    pub image_count: i64,
    /// Whether it carries COCO annotations.
    pub has_annotations: bool,
    /// When it was uploaded (Unix ms).
    pub created_at: i64,
}
