//! Decoded boxes with objectness: YOLOv5/v6/v7's `[N, 5 + C]` rows.

use ndarray::ArrayView2;

use super::{Detection, best_class, corners};
use crate::{Error, Result};

/// Decodes one image's `[N, 5 + C]` rows (centre x, centre y, width, height in the model
/// frame, objectness, class scores) into model-frame detections of the best class, scored
/// objectness x class score, that reach `score_threshold`. Scores are taken to be
/// probabilities (0-1), so a row whose objectness is under the threshold is skipped whole.
pub fn decode_boxes_with_objectness(
    rows: ArrayView2<'_, f32>,
    score_threshold: f32,
) -> Result<Vec<Detection>> {
    if rows.ncols() < 6 {
        return Err(Error::InvalidInput(format!(
            "boxes with objectness need 5 + classes values per box, got {}",
            rows.ncols()
        )));
    }
    let mut detections = Vec::new();
    for row in rows.rows() {
        let objectness = row[4];
        if objectness.is_nan() || objectness < score_threshold {
            continue;
        }
        let Some((class, class_score)) = best_class(row.iter().skip(5).copied()) else {
            continue;
        };
        let score = objectness * class_score;
        if score >= score_threshold {
            let bbox = corners(row[0], row[1], row[2], row[3]);
            detections.push(Detection { bbox, score, class });
        }
    }
    Ok(detections)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn scores_are_objectness_times_the_best_class() {
        let rows = array![
            [100.0, 100.0, 50.0, 20.0, 0.8, 0.25, 0.5],
            [30.0, 30.0, 10.0, 10.0, 0.9, 0.1, 0.2],
            [60.0, 60.0, 10.0, 10.0, 0.2, 1.0, 0.0],
        ];
        let detections = decode_boxes_with_objectness(rows.view(), 0.3).unwrap();
        assert_eq!(
            detections,
            [Detection {
                bbox: [75.0, 90.0, 125.0, 110.0],
                score: 0.4,
                class: 1
            }]
        );
    }

    #[test]
    fn nan_scores_are_never_detections() {
        let rows = array![
            [1.0, 1.0, 1.0, 1.0, f32::NAN, 1.0],
            [1.0, 1.0, 1.0, 1.0, 1.0, f32::NAN]
        ];
        assert!(
            decode_boxes_with_objectness(rows.view(), 0.0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_row_without_classes_is_an_error() {
        let err = decode_boxes_with_objectness(array![[1.0, 2.0, 3.0, 4.0, 0.5]].view(), 0.1)
            .unwrap_err();
        assert!(err.to_string().contains("5 + classes"), "{err}");
    }
}
