//! pycocotools' `evaluateImg`: greedy matching of one image's detections of one category to
//! its ground truth, at every IoU threshold and in every area range.

use std::cmp::Ordering;

use super::detections::Detection;
use super::ground_truth::CocoAnnotation;
use super::iou::box_iou;
use super::params::{AREA_RANGES, AreaRange, IOU_THRESHOLD_COUNT, MATCHED_DETECTIONS};

/// What became of one detection; bit `t` of each mask is IoU threshold `t`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DetectionOutcome {
    /// Matched a ground truth whose id is not 0 (pycocotools' `dtMatches != 0`).
    pub(crate) matched: u16,
    /// Ignored: matched a crowd or out-of-range ground truth, or unmatched and itself
    /// outside the area range.
    pub(crate) ignored: u16,
}

impl DetectionOutcome {
    pub(crate) fn is_true_positive(self, threshold: usize) -> bool {
        bit(self.matched, threshold) && !bit(self.ignored, threshold)
    }

    pub(crate) fn is_false_positive(self, threshold: usize) -> bool {
        !bit(self.matched, threshold) && !bit(self.ignored, threshold)
    }
}

fn bit(mask: u16, index: usize) -> bool {
    mask & (1 << index) != 0
}

/// One image and category in one area range.
#[derive(Debug, Clone, Default)]
pub(crate) struct AreaEvaluation {
    /// Ground truths that can be missed: not crowd and with their area in range.
    pub(crate) counted_ground_truths: usize,
    /// One per detection, in the order of [`ImageEvaluation::scores`].
    pub(crate) outcomes: Vec<DetectionOutcome>,
}

/// One image and category, in every area range.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageEvaluation {
    /// The scores of the (at most 100) detections that took part, highest first.
    pub(crate) scores: Vec<f64>,
    /// Indexed like [`AREA_RANGES`].
    pub(crate) by_area: [AreaEvaluation; 4],
}

/// Evaluates the ground truths (in annotation order) and detections (in results order) of
/// one image and category.
pub(crate) fn evaluate_image(
    ground_truths: &[&CocoAnnotation],
    detections: &[&Detection],
    iou_thresholds: &[f64; IOU_THRESHOLD_COUNT],
) -> ImageEvaluation {
    let mut ranked = detections.to_vec();
    sort_by_score_descending(&mut ranked, |detection| detection.score);
    ranked.truncate(MATCHED_DETECTIONS);

    let ious: Vec<f64> = ranked
        .iter()
        .flat_map(|detection| {
            ground_truths
                .iter()
                .map(|truth| box_iou(&detection.bbox, &truth.bbox, truth.iscrowd))
        })
        .collect();
    let by_area = AREA_RANGES
        .map(|range| evaluate_area(ground_truths, &ranked, &ious, range, iou_thresholds));
    ImageEvaluation {
        scores: ranked.iter().map(|detection| detection.score).collect(),
        by_area,
    }
}

/// Sorts by score, highest first, keeping the given order among equal scores (numpy's
/// `argsort(-score, kind='mergesort')`).
pub(crate) fn sort_by_score_descending<T>(items: &mut [T], score: impl Fn(&T) -> f64) {
    items.sort_by(|a, b| score(b).partial_cmp(&score(a)).unwrap_or(Ordering::Equal));
}

/// `ious` is row-major, one row per ranked detection, one column per ground truth.
fn evaluate_area(
    ground_truths: &[&CocoAnnotation],
    ranked: &[&Detection],
    ious: &[f64],
    range: AreaRange,
    iou_thresholds: &[f64; IOU_THRESHOLD_COUNT],
) -> AreaEvaluation {
    let ignored_truth: Vec<bool> = ground_truths
        .iter()
        .map(|truth| truth.iscrowd || range.excludes(truth.area))
        .collect();
    // Counted ground truths first, ignored ones last, each group in annotation order.
    let truth_order: Vec<usize> = (0..ground_truths.len())
        .filter(|&g| !ignored_truth[g])
        .chain((0..ground_truths.len()).filter(|&g| ignored_truth[g]))
        .collect();
    let mut outcomes = vec![DetectionOutcome::default(); ranked.len()];
    let mut truth_taken = vec![false; ground_truths.len()];

    for (threshold_index, &threshold) in iou_thresholds.iter().enumerate() {
        truth_taken.fill(false);
        for (detection_index, outcome) in outcomes.iter_mut().enumerate() {
            let iou_row = &ious[detection_index * ground_truths.len()..][..ground_truths.len()];
            let mut best_iou = threshold.min(1.0 - 1e-10);
            let mut best: Option<usize> = None;
            for &g in &truth_order {
                if truth_taken[g] && !ground_truths[g].iscrowd {
                    continue;
                }
                // Once a counted ground truth matched, an ignored one may not take its place.
                if best.is_some_and(|b| !ignored_truth[b]) && ignored_truth[g] {
                    break;
                }
                if iou_row[g] < best_iou {
                    continue;
                }
                best_iou = iou_row[g];
                best = Some(g);
            }
            if let Some(g) = best {
                truth_taken[g] = true;
                let threshold_bit = 1 << threshold_index;
                if ignored_truth[g] {
                    outcome.ignored |= threshold_bit;
                }
                // pycocotools records the matched id and tests it against 0 later.
                if ground_truths[g].id != 0 {
                    outcome.matched |= threshold_bit;
                }
            }
        }
    }
    for (outcome, detection) in outcomes.iter_mut().zip(ranked) {
        if range.excludes(detection.area()) {
            outcome.ignored |= !outcome.matched & ((1 << IOU_THRESHOLD_COUNT) - 1);
        }
    }
    let counted_ground_truths = ignored_truth.iter().filter(|&&ignored| !ignored).count();
    AreaEvaluation {
        counted_ground_truths,
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::iou_thresholds;
    use super::*;

    fn truth(id: u64, bbox: [f64; 4], iscrowd: bool) -> CocoAnnotation {
        CocoAnnotation {
            id,
            image_id: 1,
            category_id: 1,
            bbox,
            area: bbox[2] * bbox[3],
            iscrowd,
        }
    }

    fn detection(bbox: [f64; 4], score: f64) -> Detection {
        Detection {
            image_id: 1,
            category_id: 1,
            bbox,
            score,
        }
    }

    const ALL: usize = 0;
    const EVERY_THRESHOLD: u16 = (1 << IOU_THRESHOLD_COUNT) - 1;

    #[test]
    fn higher_score_takes_the_ground_truth_and_the_other_is_a_false_positive() {
        let truths = [truth(1, [0.0, 0.0, 40.0, 40.0], false)];
        let lower = detection([0.0, 0.0, 40.0, 40.0], 0.4);
        let higher = detection([0.0, 0.0, 40.0, 36.0], 0.9);
        let result = evaluate_image(&[&truths[0]], &[&lower, &higher], &iou_thresholds());
        assert_eq!(result.scores, vec![0.9, 0.4]);
        let outcomes = &result.by_area[ALL].outcomes;
        // IoU 0.9 matches at thresholds 0.50..=0.90 (bits 0..=8); the other takes over at 0.95.
        assert_eq!(outcomes[0].matched, 0b01_1111_1111);
        assert_eq!(outcomes[1].matched, 0b10_0000_0000);
        assert!(outcomes[1].is_false_positive(0));
        assert!(outcomes[1].is_true_positive(9));
    }

    #[test]
    fn crowd_matches_are_ignored_and_can_be_shared() {
        let crowd = truth(1, [0.0, 0.0, 100.0, 100.0], true);
        let first = detection([0.0, 0.0, 50.0, 50.0], 0.9);
        let second = detection([50.0, 50.0, 50.0, 50.0], 0.8);
        let result = evaluate_image(&[&crowd], &[&first, &second], &iou_thresholds());
        let area = &result.by_area[ALL];
        assert_eq!(area.counted_ground_truths, 0);
        for outcome in &area.outcomes {
            assert_eq!(outcome.ignored, EVERY_THRESHOLD);
            assert!(!outcome.is_false_positive(0));
        }
    }

    #[test]
    fn unmatched_detection_outside_the_area_range_is_ignored() {
        let tiny = detection([0.0, 0.0, 10.0, 10.0], 0.5);
        let result = evaluate_image(&[], &[&tiny], &iou_thresholds());
        assert_eq!(result.by_area[ALL].outcomes[0].ignored, 0);
        assert_eq!(result.by_area[2].outcomes[0].ignored, EVERY_THRESHOLD);
    }

    #[test]
    fn only_the_hundred_best_detections_take_part() {
        let detections: Vec<Detection> = (0..150)
            .map(|i| detection([0.0, 0.0, 1.0, 1.0], i as f64))
            .collect();
        let refs: Vec<&Detection> = detections.iter().collect();
        let result = evaluate_image(&[], &refs, &iou_thresholds());
        assert_eq!(result.scores.len(), 100);
        assert_eq!(result.scores[0], 149.0);
    }
}
