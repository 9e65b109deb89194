//! COCO ground truth for evaluation images: from annotations, or from a float model's own
//! detections (agreement).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::coco::{
    CocoAnnotation, CocoCategory, CocoGroundTruth, CocoImage, Detection as CocoDetection,
};
use crate::detect::Detection;
use crate::profile::Profile;
use crate::{Error, Result};

/// The COCO image id of each evaluation file: by `file_name` in labelled ground truth.
pub fn image_ids_by_file_name(
    ground_truth: &CocoGroundTruth,
    files: &[impl AsRef<Path>],
) -> Result<Vec<u64>> {
    let by_name: HashMap<&str, u64> = ground_truth
        .images()
        .iter()
        .filter_map(|i| i.file_name.as_deref().map(|n| (n, i.id)))
        .collect();
    files
        .iter()
        .map(|file| {
            let name = file
                .as_ref()
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            by_name.get(name).copied().ok_or_else(|| {
                Error::InvalidInput(format!(
                    "image `{name}` has no entry in the annotations (matched by `file_name`)"
                ))
            })
        })
        .collect()
}

/// Category ids for class indices: the annotation's categories matched by name when they
/// carry the profile's class names, else COCO's own 80-class id list when the profile has
/// COCO's classes, else index + 1.
pub fn category_ids(profile: &Profile, ground_truth: Option<&CocoGroundTruth>) -> Vec<u64> {
    if let Some(gt) = ground_truth {
        let by_name: HashMap<&str, u64> = gt
            .categories()
            .iter()
            .map(|c| (c.name.as_str(), c.id))
            .collect();
        if profile
            .classes
            .iter()
            .all(|c| by_name.contains_key(c.as_str()))
        {
            return profile
                .classes
                .iter()
                .map(|c| by_name[c.as_str()])
                .collect();
        }
    }
    (1..=profile.classes.len() as u64).collect()
}

/// Ground truth made of `reference` detections (one list per image) with a score of at
/// least `min_score`: a model agreeing perfectly with the reference scores mAP 1.
pub fn agreement_ground_truth(
    profile: &Profile,
    reference: &[Vec<Detection>],
    min_score: f32,
) -> Result<CocoGroundTruth> {
    let categories: Vec<CocoCategory> = profile
        .classes
        .iter()
        .enumerate()
        .map(|(i, name)| CocoCategory {
            id: i as u64 + 1,
            name: name.clone(),
        })
        .collect();
    let images: Vec<CocoImage> = (0..reference.len())
        .map(|i| CocoImage {
            id: i as u64 + 1,
            file_name: None,
            width: None,
            height: None,
        })
        .collect();
    let mut annotations = Vec::new();
    for (i, detections) in reference.iter().enumerate() {
        for d in detections.iter().filter(|d| d.score >= min_score) {
            let bbox = xywh(d.bbox);
            annotations.push(CocoAnnotation {
                id: annotations.len() as u64 + 1,
                image_id: i as u64 + 1,
                category_id: d.class as u64 + 1,
                bbox,
                area: bbox[2] * bbox[3],
                iscrowd: false,
            });
        }
    }
    CocoGroundTruth::from_parts(images, categories, annotations)
}

/// The part of `ground_truth` on the images in `image_ids`: those images, every category,
/// and their annotations.
pub(crate) fn ground_truth_subset(
    ground_truth: &CocoGroundTruth,
    image_ids: &HashSet<u64>,
) -> Result<CocoGroundTruth> {
    CocoGroundTruth::from_parts(
        ground_truth
            .images()
            .iter()
            .filter(|i| image_ids.contains(&i.id))
            .cloned()
            .collect(),
        ground_truth.categories().to_vec(),
        ground_truth
            .annotations()
            .iter()
            .filter(|a| image_ids.contains(&a.image_id))
            .copied()
            .collect(),
    )
}

/// Detections in COCO's results form.
pub fn coco_detections(
    per_image: &[Vec<Detection>],
    image_ids: &[u64],
    category_ids: &[u64],
) -> Vec<CocoDetection> {
    per_image
        .iter()
        .zip(image_ids)
        .flat_map(|(detections, &image_id)| {
            detections.iter().filter_map(move |d| {
                Some(CocoDetection {
                    image_id,
                    category_id: *category_ids.get(d.class)?,
                    bbox: xywh(d.bbox),
                    score: f64::from(d.score),
                })
            })
        })
        .collect()
}

fn xywh(b: [f32; 4]) -> [f64; 4] {
    let [x1, y1, x2, y2] = b.map(f64::from);
    [x1, y1, (x2 - x1).max(0.0), (y2 - y1).max(0.0)]
}
