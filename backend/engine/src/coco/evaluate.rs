//! `COCOeval.evaluate()`: splits ground truth and detections by category and image and
//! evaluates every pair that has either.

use std::ops::Range;

use rayon::prelude::*;

use super::accumulate::accumulate;
use super::detections::CocoDetections;
use super::ground_truth::CocoGroundTruth;
use super::image_evaluation::{ImageEvaluation, evaluate_image};
use super::params::iou_thresholds;
use super::summarize::summarize;
use super::summary::CocoSummary;
use crate::{Error, Result};

/// Scores detections against ground truth exactly as pycocotools'
/// `COCOeval(gt, dt, 'bbox')` followed by `evaluate()`, `accumulate()` and `summarize()`.
///
/// Fails only when a detection is on an image this ground truth does not have (the
/// detections were checked against a different one).
pub fn evaluate(
    ground_truth: &CocoGroundTruth,
    detections: &CocoDetections,
) -> Result<CocoSummary> {
    let thresholds = iou_thresholds();
    let evaluations = evaluate_images(ground_truth, detections)?;
    Ok(summarize(&accumulate(&evaluations), &thresholds))
}

/// A `(category rank, image rank, index)` key of one annotation or detection.
type CellKey = (usize, usize, usize);

/// The annotations and detections (as ranges of their sorted keys) of one image and category.
struct Cell {
    ground_truths: Range<usize>,
    detections: Range<usize>,
}

/// Per category (by rank), the evaluations of the images that have ground truth or
/// detections of it, in image-id order.
pub(crate) fn evaluate_images(
    ground_truth: &CocoGroundTruth,
    detections: &CocoDetections,
) -> Result<Vec<Vec<ImageEvaluation>>> {
    let annotations = ground_truth.annotations();
    let mut truth_keys: Vec<CellKey> = annotations
        .iter()
        .enumerate()
        .filter_map(|(index, annotation)| {
            let category = ground_truth.category_rank(annotation.category_id)?;
            let image = ground_truth.image_rank(annotation.image_id)?;
            Some((category, image, index))
        })
        .collect();
    truth_keys.sort_unstable();

    let mut detection_keys = Vec::with_capacity(detections.len());
    for (index, detection) in detections.detections().iter().enumerate() {
        let image = ground_truth.image_rank(detection.image_id).ok_or_else(|| {
            Error::InvalidInput(format!(
                "detection {index} is on image {}, which this ground truth does not have; \
                 the detections were checked against a different ground truth",
                detection.image_id
            ))
        })?;
        // Categories the ground truth does not list take no part, as in pycocotools.
        if let Some(category) = ground_truth.category_rank(detection.category_id) {
            detection_keys.push((category, image, index));
        }
    }
    detection_keys.sort_unstable();

    let cells = group_cells(
        &truth_keys,
        &detection_keys,
        ground_truth.categories().len(),
    );
    let thresholds = iou_thresholds();
    let evaluations = cells
        .par_iter()
        .map(|category_cells| {
            category_cells
                .iter()
                .map(|cell| {
                    let truths: Vec<_> = truth_keys[cell.ground_truths.clone()]
                        .iter()
                        .map(|key| &annotations[key.2])
                        .collect();
                    let dets: Vec<_> = detection_keys[cell.detections.clone()]
                        .iter()
                        .map(|key| &detections.detections()[key.2])
                        .collect();
                    evaluate_image(&truths, &dets, &thresholds)
                })
                .collect()
        })
        .collect();
    Ok(evaluations)
}

/// Walks both sorted key lists at once and cuts them into cells, one list per category.
fn group_cells(
    truth_keys: &[CellKey],
    detection_keys: &[CellKey],
    category_count: usize,
) -> Vec<Vec<Cell>> {
    let mut cells: Vec<Vec<Cell>> = (0..category_count).map(|_| Vec::new()).collect();
    let (mut truth_start, mut detection_start) = (0, 0);
    loop {
        let cell_of = |key: &CellKey| (key.0, key.1);
        let next_truth = truth_keys.get(truth_start).map(cell_of);
        let next_detection = detection_keys.get(detection_start).map(cell_of);
        let Some(cell) = next_truth.into_iter().chain(next_detection).min() else {
            break;
        };
        let truth_end = truth_start
            + truth_keys[truth_start..]
                .iter()
                .take_while(|k| cell_of(k) == cell)
                .count();
        let detection_end = detection_start
            + detection_keys[detection_start..]
                .iter()
                .take_while(|k| cell_of(k) == cell)
                .count();
        if let Some(category_cells) = cells.get_mut(cell.0) {
            category_cells.push(Cell {
                ground_truths: truth_start..truth_end,
                detections: detection_start..detection_end,
            });
        }
        truth_start = truth_end;
        detection_start = detection_end;
    }
    cells
}
