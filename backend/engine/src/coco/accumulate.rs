//! `COCOeval.accumulate()`: precision at 101 recall points and the final recall, per IoU
//! threshold, category, area range and detection limit.

use rayon::prelude::*;

use super::image_evaluation::{DetectionOutcome, ImageEvaluation, sort_by_score_descending};
use super::params::{
    AREA_RANGES, IOU_THRESHOLD_COUNT, MAX_DETECTIONS, RECALL_THRESHOLD_COUNT, recall_thresholds,
};

const AREA_COUNT: usize = AREA_RANGES.len();
const LIMIT_COUNT: usize = MAX_DETECTIONS.len();

/// pycocotools' `eval['precision']` (`[T, R, K, A, M]`) and `eval['recall']` (`[T, K, A, M]`),
/// with -1 where a category has no ground truth in an area range.
#[derive(Debug, Clone)]
pub(crate) struct Accumulated {
    category_count: usize,
    precision: Vec<f64>,
    recall: Vec<f64>,
}

impl Accumulated {
    pub(crate) fn category_count(&self) -> usize {
        self.category_count
    }

    pub(crate) fn precision(
        &self,
        threshold: usize,
        recall_point: usize,
        category: usize,
        area: usize,
        limit: usize,
    ) -> f64 {
        let index = (((threshold * RECALL_THRESHOLD_COUNT + recall_point) * self.category_count
            + category)
            * AREA_COUNT
            + area)
            * LIMIT_COUNT
            + limit;
        self.precision[index]
    }

    pub(crate) fn recall(
        &self,
        threshold: usize,
        category: usize,
        area: usize,
        limit: usize,
    ) -> f64 {
        self.recall[((threshold * self.category_count + category) * AREA_COUNT + area)
            * LIMIT_COUNT
            + limit]
    }
}

/// The precision/recall outcome of one category, area range and detection limit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Curve {
    /// Per IoU threshold, precision at each recall threshold.
    pub(crate) precision: [[f64; RECALL_THRESHOLD_COUNT]; IOU_THRESHOLD_COUNT],
    /// Per IoU threshold, the recall reached with all detections.
    pub(crate) recall: [f64; IOU_THRESHOLD_COUNT],
}

/// Accumulates per-image evaluations, given per category rank in image-id order.
pub(crate) fn accumulate(evaluations: &[Vec<ImageEvaluation>]) -> Accumulated {
    let category_count = evaluations.len();
    let curves: Vec<Vec<Option<Curve>>> = evaluations
        .par_iter()
        .map(|category| {
            (0..AREA_COUNT)
                .flat_map(|area| MAX_DETECTIONS.map(|limit| category_curve(category, area, limit)))
                .collect()
        })
        .collect();

    let mut precision = vec![
        -1.0;
        IOU_THRESHOLD_COUNT
            * RECALL_THRESHOLD_COUNT
            * category_count
            * AREA_COUNT
            * LIMIT_COUNT
    ];
    let mut recall = vec![-1.0; IOU_THRESHOLD_COUNT * category_count * AREA_COUNT * LIMIT_COUNT];
    for (category, category_curves) in curves.iter().enumerate() {
        for (area_and_limit, curve) in category_curves.iter().enumerate() {
            let Some(curve) = curve else { continue };
            for threshold in 0..IOU_THRESHOLD_COUNT {
                recall[(threshold * category_count + category) * AREA_COUNT * LIMIT_COUNT
                    + area_and_limit] = curve.recall[threshold];
                for point in 0..RECALL_THRESHOLD_COUNT {
                    let index = ((threshold * RECALL_THRESHOLD_COUNT + point) * category_count
                        + category)
                        * AREA_COUNT
                        * LIMIT_COUNT
                        + area_and_limit;
                    precision[index] = curve.precision[threshold][point];
                }
            }
        }
    }
    Accumulated {
        category_count,
        precision,
        recall,
    }
}

/// The curve of one category in one area range with the best `limit` detections per image,
/// or `None` when the category has nothing to count there.
pub(crate) fn category_curve(
    evaluations: &[ImageEvaluation],
    area: usize,
    limit: usize,
) -> Option<Curve> {
    if evaluations.is_empty() {
        return None;
    }
    let counted: usize = evaluations
        .iter()
        .map(|image| image.by_area[area].counted_ground_truths)
        .sum();
    if counted == 0 {
        return None;
    }
    let mut ranked: Vec<(f64, DetectionOutcome)> = evaluations
        .iter()
        .flat_map(|image| {
            image
                .scores
                .iter()
                .copied()
                .zip(image.by_area[area].outcomes.iter().copied())
                .take(limit)
        })
        .collect();
    sort_by_score_descending(&mut ranked, |entry| entry.0);
    let outcomes: Vec<DetectionOutcome> = ranked.into_iter().map(|(_, outcome)| outcome).collect();

    let recall_points = recall_thresholds();
    let mut curve = Curve {
        precision: [[0.0; RECALL_THRESHOLD_COUNT]; IOU_THRESHOLD_COUNT],
        recall: [0.0; IOU_THRESHOLD_COUNT],
    };
    for threshold in 0..IOU_THRESHOLD_COUNT {
        let (precision, recall) = threshold_curve(&outcomes, threshold, counted, &recall_points);
        curve.precision[threshold] = precision;
        curve.recall[threshold] = recall;
    }
    Some(curve)
}

/// Precision at each recall point and the final recall at one IoU threshold, for outcomes
/// in score order and `counted` ground truths (> 0).
fn threshold_curve(
    outcomes: &[DetectionOutcome],
    threshold: usize,
    counted: usize,
    recall_points: &[f64; RECALL_THRESHOLD_COUNT],
) -> ([f64; RECALL_THRESHOLD_COUNT], f64) {
    let mut recall = Vec::with_capacity(outcomes.len());
    let mut precision = Vec::with_capacity(outcomes.len());
    let (mut true_positives, mut false_positives) = (0usize, 0usize);
    for outcome in outcomes {
        true_positives += usize::from(outcome.is_true_positive(threshold));
        false_positives += usize::from(outcome.is_false_positive(threshold));
        let (tp, fp) = (true_positives as f64, false_positives as f64);
        recall.push(tp / counted as f64);
        precision.push(tp / (fp + tp + f64::EPSILON));
    }
    for i in (1..precision.len()).rev() {
        if precision[i] > precision[i - 1] {
            precision[i - 1] = precision[i];
        }
    }
    // `np.searchsorted(rc, recThrs, side='left')`; points past the last recall stay 0.
    let at_points = recall_points.map(|point| {
        let index = recall.partition_point(|&reached| reached < point);
        precision.get(index).copied().unwrap_or(0.0)
    });
    (at_points, recall.last().copied().unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::super::image_evaluation::AreaEvaluation;
    use super::*;

    const EVERY_THRESHOLD: u16 = (1 << IOU_THRESHOLD_COUNT) - 1;

    fn outcome(kind: &str) -> DetectionOutcome {
        match kind {
            "tp" => DetectionOutcome {
                matched: EVERY_THRESHOLD,
                ignored: 0,
            },
            "fp" => DetectionOutcome {
                matched: 0,
                ignored: 0,
            },
            _ => DetectionOutcome {
                matched: 0,
                ignored: EVERY_THRESHOLD,
            },
        }
    }

    fn image(counted: usize, detections: &[(f64, &str)]) -> ImageEvaluation {
        let area = AreaEvaluation {
            counted_ground_truths: counted,
            outcomes: detections.iter().map(|&(_, kind)| outcome(kind)).collect(),
        };
        ImageEvaluation {
            scores: detections.iter().map(|&(score, _)| score).collect(),
            by_area: [
                area,
                AreaEvaluation::default(),
                AreaEvaluation::default(),
                AreaEvaluation::default(),
            ],
        }
    }

    #[test]
    fn hand_computed_precision_recall_curve() {
        // 3 ground truths over two images; ranked: tp (0.9), fp (0.8), ignored (0.7), tp (0.6).
        // rc = [1/3, 1/3, 1/3, 2/3], pr = [1, 1/2, 1/2, 2/3] -> monotone [1, 2/3, 2/3, 2/3].
        let images = [
            image(2, &[(0.9, "tp"), (0.6, "tp")]),
            image(1, &[(0.8, "fp"), (0.7, "ignored")]),
        ];
        let curve = category_curve(&images, 0, 100).unwrap();
        let eps = f64::EPSILON;
        let expected_first = 1.0 / (1.0 + eps);
        let expected_rest = 2.0 / (3.0 + eps);
        for threshold in 0..IOU_THRESHOLD_COUNT {
            assert_eq!(curve.recall[threshold], 2.0 / 3.0);
            let precision = &curve.precision[threshold];
            // Recall points 0.00..=0.33 need one hit, 0.34..=0.66 need two, the rest are unreached.
            assert!(precision[..=33].iter().all(|&p| p == expected_first));
            assert!(precision[34..=66].iter().all(|&p| p == expected_rest));
            assert!(precision[67..].iter().all(|&p| p == 0.0));
        }
    }

    #[test]
    fn detection_limit_keeps_each_images_best() {
        let images = [
            image(2, &[(0.9, "fp"), (0.6, "tp")]),
            image(1, &[(0.8, "tp")]),
        ];
        let curve = category_curve(&images, 0, 1).unwrap();
        // With one detection per image: fp (0.9), tp (0.8) -> recall 1/3.
        assert_eq!(curve.recall[0], 1.0 / 3.0);
        assert_eq!(curve.precision[0][0], 1.0 / (2.0 + f64::EPSILON));
    }

    #[test]
    fn category_without_counted_ground_truth_has_no_curve() {
        assert_eq!(category_curve(&[image(0, &[(0.5, "fp")])], 0, 100), None);
        assert_eq!(category_curve(&[], 0, 100), None);
    }

    #[test]
    fn no_detections_give_zero_precision_and_recall() {
        let curve = category_curve(&[image(4, &[])], 0, 100).unwrap();
        assert_eq!(curve.recall, [0.0; IOU_THRESHOLD_COUNT]);
        assert!(curve.precision.iter().flatten().all(|&p| p == 0.0));
    }

    #[test]
    fn accumulate_marks_missing_categories_with_minus_one() {
        let accumulated = accumulate(&[vec![image(1, &[(0.5, "tp")])], vec![]]);
        assert_eq!(accumulated.category_count(), 2);
        assert_eq!(accumulated.recall(0, 0, 0, 2), 1.0);
        assert_eq!(accumulated.recall(0, 1, 0, 2), -1.0);
        assert_eq!(accumulated.precision(3, 100, 1, 0, 2), -1.0);
        // Area ranges other than `all` have no counted ground truth in these evaluations.
        assert_eq!(accumulated.recall(0, 0, 1, 2), -1.0);
    }
}
