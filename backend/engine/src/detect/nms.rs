//! Class-wise greedy non-maximum suppression.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::Detection;

/// The intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when either is empty.
pub fn box_iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let overlap_w = a[2].min(b[2]) - a[0].max(b[0]);
    let overlap_h = a[3].min(b[3]) - a[1].max(b[1]);
    if !(overlap_w > 0.0 && overlap_h > 0.0) {
        return 0.0;
    }
    let intersection = overlap_w * overlap_h;
    let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    let union = area(a) + area(b) - intersection;
    if union > 0.0 {
        intersection / union
    } else {
        0.0
    }
}

/// Greedy non-maximum suppression within each class: detections are visited from the highest
/// score down, and one is kept unless it overlaps a kept detection of the same class by an IoU
/// above `iou_threshold`. Returns at most `max_detections`, highest score first.
///
/// The order is total and deterministic: equal scores are ordered by class, then by the box
/// coordinates, so the same input always keeps the same detections.
pub fn non_max_suppression(
    mut detections: Vec<Detection>,
    iou_threshold: f32,
    max_detections: usize,
) -> Vec<Detection> {
    detections.sort_by(visiting_order);
    let mut kept: Vec<Detection> = Vec::new();
    let mut kept_by_class: HashMap<usize, Vec<[f32; 4]>> = HashMap::new();
    for detection in detections {
        if kept.len() >= max_detections {
            break;
        }
        let same_class = kept_by_class.entry(detection.class).or_default();
        if same_class
            .iter()
            .any(|bbox| box_iou(bbox, &detection.bbox) > iou_threshold)
        {
            continue;
        }
        same_class.push(detection.bbox);
        kept.push(detection);
    }
    kept
}

/// Highest score first; ties by class, then by box, so that the order never depends on the
/// input order.
fn visiting_order(a: &Detection, b: &Detection) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(a.class.cmp(&b.class))
        .then_with(|| {
            a.bbox
                .iter()
                .zip(&b.bbox)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(bbox: [f32; 4], score: f32, class: usize) -> Detection {
        Detection { bbox, score, class }
    }

    #[test]
    fn iou_of_half_overlapping_boxes_is_one_third() {
        assert_eq!(
            box_iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 15.0, 10.0]),
            50.0 / 150.0
        );
        assert_eq!(
            box_iou(&[0.0, 0.0, 10.0, 10.0], &[10.0, 0.0, 20.0, 10.0]),
            0.0
        );
        assert_eq!(box_iou(&[0.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 0.0]), 0.0);
    }

    #[test]
    fn overlap_suppresses_only_within_a_class() {
        let detections = vec![
            det([0.0, 0.0, 10.0, 10.0], 0.8, 0),
            det([1.0, 0.0, 11.0, 10.0], 0.9, 0),
            det([0.0, 0.0, 10.0, 10.0], 0.7, 1),
            det([50.0, 50.0, 60.0, 60.0], 0.6, 0),
        ];
        let kept = non_max_suppression(detections, 0.5, 100);
        assert_eq!(
            kept,
            [
                det([1.0, 0.0, 11.0, 10.0], 0.9, 0),
                det([0.0, 0.0, 10.0, 10.0], 0.7, 1),
                det([50.0, 50.0, 60.0, 60.0], 0.6, 0),
            ]
        );
    }

    #[test]
    fn an_overlap_at_the_threshold_is_kept() {
        let detections = vec![
            det([0.0, 0.0, 10.0, 10.0], 0.9, 0),
            det([5.0, 0.0, 15.0, 10.0], 0.8, 0),
        ];
        assert_eq!(
            non_max_suppression(detections.clone(), 50.0 / 150.0, 100).len(),
            2
        );
        assert_eq!(non_max_suppression(detections, 0.3, 100).len(), 1);
    }

    #[test]
    fn ties_are_broken_the_same_way_whatever_the_input_order() {
        let a = det([0.0, 0.0, 10.0, 10.0], 0.5, 0);
        let b = det([2.0, 0.0, 12.0, 10.0], 0.5, 0);
        let c = det([0.0, 0.0, 10.0, 10.0], 0.5, 3);
        let forward = non_max_suppression(vec![a, b, c], 0.5, 100);
        let backward = non_max_suppression(vec![c, b, a], 0.5, 100);
        assert_eq!(forward, backward);
        assert_eq!(forward, [a, c]);
    }

    #[test]
    fn keeps_at_most_max_detections_of_the_highest_scores() {
        let detections: Vec<_> = (0..10)
            .map(|i| {
                det(
                    [i as f32 * 20.0, 0.0, i as f32 * 20.0 + 10.0, 10.0],
                    i as f32 / 10.0,
                    0,
                )
            })
            .collect();
        let kept = non_max_suppression(detections, 0.5, 3);
        assert_eq!(
            kept.iter().map(|d| d.score).collect::<Vec<_>>(),
            [0.9, 0.8, 0.7]
        );
    }
}
