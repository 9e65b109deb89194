//! Detections to score: a COCO results file or the engine's own output.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::CocoGroundTruth;
use crate::{Error, Result};

/// One detected box, as in a COCO results file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The image it was detected on.
    pub image_id: u64,
    /// The predicted category.
    pub category_id: u64,
    /// `[x, y, width, height]` in pixels.
    pub bbox: [f64; 4],
    /// Confidence; higher ranks first.
    pub score: f64,
}

impl Detection {
    /// `width * height`, the area pycocotools' `loadRes` gives a bbox result.
    pub fn area(&self) -> f64 {
        self.bbox[2] * self.bbox[3]
    }
}

/// Detections checked against a ground truth, as pycocotools' `loadRes` prepares bbox
/// results: every detection is on a known image and is not a crowd, and detection `i` (in
/// the order given) has id `i + 1`.
///
/// Detections of categories the ground truth does not list are kept but, as in
/// pycocotools, take no part in evaluation.
#[derive(Debug, Clone, Default)]
pub struct CocoDetections {
    detections: Vec<Detection>,
}

impl CocoDetections {
    /// Loads a COCO results file: a JSON list of `{image_id, category_id, bbox, score}`.
    ///
    /// Fails when the file cannot be read or parsed, a box or score is not finite, or a
    /// detection is on an image the ground truth does not have.
    pub fn load(path: impl AsRef<Path>, ground_truth: &CocoGroundTruth) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let detections: Vec<Detection> =
            serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                path: path.to_path_buf(),
                source,
            })?;
        Self::checked(detections, ground_truth, &format!("`{}`", path.display()))
    }

    /// Parses a COCO results list held in memory; see [`CocoDetections::load`].
    pub fn from_json(json: &[u8], ground_truth: &CocoGroundTruth) -> Result<Self> {
        let detections: Vec<Detection> = serde_json::from_slice(json).map_err(|e| {
            Error::InvalidInput(format!("COCO detections are not a valid results list: {e}"))
        })?;
        Self::checked(detections, ground_truth, "in memory")
    }

    /// Wraps detections the engine produced, checked as a loaded file is.
    pub fn new(detections: Vec<Detection>, ground_truth: &CocoGroundTruth) -> Result<Self> {
        Self::checked(detections, ground_truth, "in memory")
    }

    /// The detections, in the order given.
    pub fn detections(&self) -> &[Detection] {
        &self.detections
    }

    /// How many detections there are.
    pub fn len(&self) -> usize {
        self.detections.len()
    }

    /// Whether there are no detections.
    pub fn is_empty(&self) -> bool {
        self.detections.is_empty()
    }

    fn checked(
        detections: Vec<Detection>,
        ground_truth: &CocoGroundTruth,
        origin: &str,
    ) -> Result<Self> {
        for (index, detection) in detections.iter().enumerate() {
            if ground_truth.image_rank(detection.image_id).is_none() {
                return Err(Error::InvalidInput(format!(
                    "COCO detections ({origin}): detection {index} is on image {}, which is not in the ground \
                     truth; the results do not belong to this dataset",
                    detection.image_id
                )));
            }
            if !detection.bbox.iter().all(|v| v.is_finite()) || !detection.score.is_finite() {
                return Err(Error::InvalidInput(format!(
                    "COCO detections ({origin}): detection {index} has a non-finite `bbox` or `score`"
                )));
            }
        }
        Ok(Self { detections })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ground_truth() -> CocoGroundTruth {
        CocoGroundTruth::from_json(br#"{"images": [{"id": 1}], "categories": [{"id": 1}]}"#)
            .unwrap()
    }

    #[test]
    fn results_list_loads_with_extra_fields() {
        let json = br#"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5,
                         "segmentation": [[0, 0]]}]"#;
        let detections = CocoDetections::from_json(json, &ground_truth()).unwrap();
        assert_eq!(detections.len(), 1);
        assert_eq!(detections.detections()[0].area(), 12.0);
    }

    #[test]
    fn detection_on_unknown_image_is_an_error() {
        let detection = Detection {
            image_id: 5,
            category_id: 1,
            bbox: [0.0; 4],
            score: 1.0,
        };
        let message = CocoDetections::new(vec![detection], &ground_truth())
            .unwrap_err()
            .to_string();
        assert!(message.contains("detection 0 is on image 5"), "{message}");
    }

    #[test]
    fn non_finite_score_is_an_error() {
        let detection = Detection {
            image_id: 1,
            category_id: 1,
            bbox: [0.0; 4],
            score: f64::NAN,
        };
        assert!(CocoDetections::new(vec![detection], &ground_truth()).is_err());
    }
}
