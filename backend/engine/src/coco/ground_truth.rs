//! COCO ground truth: images, categories and box annotations, from an annotation file or
//! built in memory.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::crowd_flag;
use crate::{Error, Result};

/// One entry of `images`. Only `id` takes part in evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CocoImage {
    /// The image id annotations and detections refer to.
    pub id: u64,
    /// The image file, relative to the dataset's image folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// One entry of `categories`. Only `id` takes part in evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CocoCategory {
    /// The category id annotations and detections refer to.
    pub id: u64,
    /// Human-readable name, e.g. `person`.
    #[serde(default)]
    pub name: String,
}

/// One ground-truth box (an entry of `annotations`).
///
/// `segmentation` and any other field are skipped without being kept. An `ignore` field is
/// skipped too: pycocotools overwrites it with `iscrowd` before bbox evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CocoAnnotation {
    /// Annotation id. Like pycocotools, a detection matched to an annotation with id 0
    /// counts as unmatched, so ids should start at 1.
    pub id: u64,
    /// The image the box lies on.
    pub image_id: u64,
    /// The box's category.
    pub category_id: u64,
    /// `[x, y, width, height]` in pixels.
    pub bbox: [f64; 4],
    /// The object's area; it decides the area range (small, medium, large). COCO stores the
    /// segmentation area here, not `width * height`.
    pub area: f64,
    /// A crowd region: never a false negative, and any number of detections may match it.
    #[serde(default, with = "crowd_flag")]
    pub iscrowd: bool,
}

/// Validated COCO ground truth with id lookups, ready for [`evaluate`](super::evaluate).
#[derive(Debug, Clone)]
pub struct CocoGroundTruth {
    images: Vec<CocoImage>,
    categories: Vec<CocoCategory>,
    annotations: Vec<CocoAnnotation>,
    /// Image id to its rank among the sorted image ids (pycocotools' evaluation order).
    image_rank: HashMap<u64, usize>,
    /// Category id to its rank among the sorted category ids.
    category_rank: HashMap<u64, usize>,
}

#[derive(Deserialize)]
struct AnnotationFile {
    images: Vec<CocoImage>,
    #[serde(default)]
    annotations: Vec<CocoAnnotation>,
    categories: Vec<CocoCategory>,
}

impl CocoGroundTruth {
    /// Loads a COCO annotation file (e.g. `instances_val2017.json`).
    ///
    /// Fails when the file cannot be read, is not COCO JSON, or is inconsistent (duplicate
    /// ids, an annotation on an unknown image or category, a non-finite box or area).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let file: AnnotationFile =
            serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                path: path.to_path_buf(),
                source,
            })?;
        Self::validated(
            file.images,
            file.categories,
            file.annotations,
            &format!("`{}`", path.display()),
        )
    }

    /// Parses COCO annotation JSON held in memory; see [`CocoGroundTruth::load`].
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let file: AnnotationFile = serde_json::from_slice(json).map_err(|e| {
            Error::InvalidInput(format!(
                "COCO ground truth is not valid annotation JSON: {e}"
            ))
        })?;
        Self::validated(file.images, file.categories, file.annotations, "in memory")
    }

    /// Builds ground truth from its parts, e.g. a float model's detections turned into labels.
    /// Checked like a loaded file.
    pub fn from_parts(
        images: Vec<CocoImage>,
        categories: Vec<CocoCategory>,
        annotations: Vec<CocoAnnotation>,
    ) -> Result<Self> {
        Self::validated(images, categories, annotations, "in memory")
    }

    /// The images, in the order given.
    pub fn images(&self) -> &[CocoImage] {
        &self.images
    }

    /// The categories, in the order given.
    pub fn categories(&self) -> &[CocoCategory] {
        &self.categories
    }

    /// The annotations, in the order given.
    pub fn annotations(&self) -> &[CocoAnnotation] {
        &self.annotations
    }

    /// The rank of an image id among all image ids sorted ascending.
    pub(crate) fn image_rank(&self, image_id: u64) -> Option<usize> {
        self.image_rank.get(&image_id).copied()
    }

    /// The rank of a category id among all category ids sorted ascending.
    pub(crate) fn category_rank(&self, category_id: u64) -> Option<usize> {
        self.category_rank.get(&category_id).copied()
    }

    fn validated(
        images: Vec<CocoImage>,
        categories: Vec<CocoCategory>,
        annotations: Vec<CocoAnnotation>,
        origin: &str,
    ) -> Result<Self> {
        let invalid = |problem: String| {
            Error::InvalidInput(format!("COCO ground truth ({origin}): {problem}"))
        };
        let image_rank = rank_ids(images.iter().map(|image| image.id))
            .map_err(|id| invalid(format!("image id {id} appears more than once in `images`")))?;
        let category_rank =
            rank_ids(categories.iter().map(|category| category.id)).map_err(|id| {
                invalid(format!(
                    "category id {id} appears more than once in `categories`"
                ))
            })?;
        let mut annotation_ids = HashSet::with_capacity(annotations.len());
        for annotation in &annotations {
            let id = annotation.id;
            if !annotation_ids.insert(id) {
                return Err(invalid(format!(
                    "annotation id {id} appears more than once"
                )));
            }
            if !image_rank.contains_key(&annotation.image_id) {
                return Err(invalid(format!(
                    "annotation {id} refers to image {}, which is not in `images`",
                    annotation.image_id
                )));
            }
            if !category_rank.contains_key(&annotation.category_id) {
                return Err(invalid(format!(
                    "annotation {id} refers to category {}, which is not in `categories`",
                    annotation.category_id
                )));
            }
            if !annotation.bbox.iter().all(|v| v.is_finite()) || !annotation.area.is_finite() {
                return Err(invalid(format!(
                    "annotation {id} has a non-finite `bbox` or `area`"
                )));
            }
        }
        Ok(Self {
            images,
            categories,
            annotations,
            image_rank,
            category_rank,
        })
    }
}

/// Maps each id to its rank in ascending order, or returns the first duplicate id.
fn rank_ids(ids: impl Iterator<Item = u64>) -> Result<HashMap<u64, usize>, u64> {
    let mut sorted: Vec<u64> = ids.collect();
    sorted.sort_unstable();
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(pair[0]);
    }
    Ok(sorted
        .into_iter()
        .enumerate()
        .map(|(rank, id)| (id, rank))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{
        "images": [{"id": 7, "file_name": "a.jpg", "width": 640, "height": 480}, {"id": 3}],
        "categories": [{"id": 2, "name": "cat"}, {"id": 1, "name": "dog"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 2, "bbox": [1, 2, 3, 4], "area": 12,
             "iscrowd": 0, "segmentation": [[1, 2, 3, 4, 5, 6]]},
            {"id": 2, "image_id": 3, "category_id": 1, "bbox": [0, 0, 9.5, 9.5], "area": 80.5,
             "iscrowd": 1, "segmentation": {"counts": [1, 2], "size": [10, 10]}, "ignore": 1}
        ]
    }"#;

    #[test]
    fn loads_annotations_and_ranks_ids_ascending() {
        let ground_truth = CocoGroundTruth::from_json(VALID.as_bytes()).unwrap();
        assert_eq!(ground_truth.annotations().len(), 2);
        assert!(ground_truth.annotations()[1].iscrowd);
        assert_eq!(ground_truth.annotations()[1].bbox, [0.0, 0.0, 9.5, 9.5]);
        assert_eq!(ground_truth.image_rank(3), Some(0));
        assert_eq!(ground_truth.image_rank(7), Some(1));
        assert_eq!(ground_truth.category_rank(2), Some(1));
        assert_eq!(ground_truth.image_rank(4), None);
    }

    #[test]
    fn annotation_on_unknown_image_is_an_error_naming_it() {
        let json = VALID.replace(r#""image_id": 3"#, r#""image_id": 99"#);
        let message = CocoGroundTruth::from_json(json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("annotation 2 refers to image 99"),
            "{message}"
        );
    }

    #[test]
    fn duplicate_image_ids_are_an_error() {
        let json = VALID.replace(r#"{"id": 3}"#, r#"{"id": 7}"#);
        let message = CocoGroundTruth::from_json(json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("image id 7 appears more than once"),
            "{message}"
        );
    }

    #[test]
    fn missing_area_is_an_error_naming_the_field() {
        let json = VALID.replace(r#""area": 12,"#, "");
        let message = CocoGroundTruth::from_json(json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(message.contains("missing field `area`"), "{message}");
    }
}
