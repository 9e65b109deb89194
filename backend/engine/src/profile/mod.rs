//! Model profiles: how to feed a detector images and how to read its outputs.

mod builtin;
mod coco_classes;
mod fit;
mod head;
mod infer;
mod input;
mod layout;
mod metadata;
mod model_fit;
mod preprocess;
mod toml_file;
mod transform;
mod validate;
mod value_info;

use serde::{Deserialize, Serialize};

pub use builtin::BUILTIN_PROFILES;
pub use coco_classes::COCO_CLASSES;
pub use infer::infer_profile;
pub use input::{ChannelOrder, InputSpec, LetterboxAnchor, Normalization, ResizeMode};
pub use layout::{GflLevel, OutputLayout};
pub use transform::ImageTransform;

pub(crate) use layout::{grid_cells, grid_size};

use crate::{Error, Result};

/// How to feed one detector and read its outputs. Built-ins come from
/// [`Profile::builtin`]; any other model is described by a TOML file with the same fields
/// ([`Profile::from_toml_file`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A short name for messages; a TOML file without one is named after the file.
    #[serde(default)]
    pub name: String,
    /// The input tensor and how images are turned into it.
    pub input: InputSpec,
    /// The output tensors and how to decode them.
    pub output: OutputLayout,
    /// Class names in model output order (COCO's 80 by default).
    #[serde(default = "coco_classes::coco_class_names")]
    pub classes: Vec<String>,
    /// Score, NMS and detection-count limits.
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// The limits applied when turning raw outputs into detections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Minimum score of a detection worth showing (about 0.3).
    pub display_score: f32,
    /// Minimum score of a detection kept for mAP (0.01-0.05).
    pub map_score: f32,
    /// Two boxes of one class overlapping by more than this IoU are one detection.
    pub nms_iou: f32,
    /// At most this many detections per image, the highest scoring.
    pub max_detections: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            display_score: 0.3,
            map_score: 0.01,
            nms_iou: 0.6,
            max_detections: 100,
        }
    }
}

impl Profile {
    /// The built-in profile called `name` (see [`BUILTIN_PROFILES`]), if there is one.
    pub fn builtin(name: &str) -> Option<Profile> {
        builtin::builtin_profile(name)
    }

    /// A built-in profile by name, or a TOML profile by path (a name ending in `.toml`, or an
    /// existing file). An unknown name is an error listing the built-ins.
    pub fn by_name_or_file(name_or_path: &str) -> Result<Profile> {
        if let Some(profile) = Self::builtin(name_or_path) {
            return Ok(profile);
        }
        let path = std::path::Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || path.is_file() {
            return Self::from_toml_file(path);
        }
        Err(Error::InvalidInput(format!(
            "unknown profile `{name_or_path}`: use one of {} or the path of a .toml profile",
            BUILTIN_PROFILES.map(|n| format!("`{n}`")).join(", ")
        )))
    }

    /// The number of classes the profile expects the model to score.
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }
}
