//! Decoded boxes without objectness: `[N, 4 + C]` rows, or YOLOv8's `[4 + C, N]` columns.

use ndarray::ArrayView2;

use super::{Detection, best_class, corners};
use crate::{Error, Result};

/// Decodes one image's `[N, 4 + C]` rows (centre x, centre y, width, height in the model
/// frame, then class scores) into model-frame detections of the best class scoring at least
/// `score_threshold`.
pub fn decode_boxes(rows: ArrayView2<'_, f32>, score_threshold: f32) -> Result<Vec<Detection>> {
    if rows.ncols() < 5 {
        return Err(Error::InvalidInput(format!(
            "boxes without objectness need 4 + classes values per box, got {}",
            rows.ncols()
        )));
    }
    let mut detections = Vec::new();
    for row in rows.rows() {
        let Some((class, score)) = best_class(row.iter().skip(4).copied()) else {
            continue;
        };
        if score >= score_threshold {
            let bbox = corners(row[0], row[1], row[2], row[3]);
            detections.push(Detection { bbox, score, class });
        }
    }
    Ok(detections)
}

/// Decodes one image's YOLOv8-style `[4 + C, N]` output: [`decode_boxes`] on its transpose.
pub fn decode_boxes_channels_first(
    channels: ArrayView2<'_, f32>,
    score_threshold: f32,
) -> Result<Vec<Detection>> {
    decode_boxes(channels.reversed_axes(), score_threshold)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn keeps_the_best_class_of_each_box_above_the_threshold() {
        let rows = array![
            [50.0, 40.0, 20.0, 10.0, 0.1, 0.9, 0.3],
            [10.0, 10.0, 4.0, 4.0, 0.2, 0.1, 0.05],
        ];
        let detections = decode_boxes(rows.view(), 0.25).unwrap();
        assert_eq!(
            detections,
            [Detection {
                bbox: [40.0, 35.0, 60.0, 45.0],
                score: 0.9,
                class: 1
            }]
        );
    }

    #[test]
    fn channels_first_reads_the_same_boxes_transposed() {
        let rows = array![
            [50.0, 40.0, 20.0, 10.0, 0.1, 0.9],
            [8.0, 8.0, 2.0, 2.0, 0.6, 0.2]
        ];
        let transposed = rows.t().to_owned();
        assert_eq!(transposed.shape(), [6, 2]);
        let detections = decode_boxes_channels_first(transposed.view(), 0.5).unwrap();
        assert_eq!(
            detections,
            [
                Detection {
                    bbox: [40.0, 35.0, 60.0, 45.0],
                    score: 0.9,
                    class: 1
                },
                Detection {
                    bbox: [7.0, 7.0, 9.0, 9.0],
                    score: 0.6,
                    class: 0
                },
            ]
        );
    }

    #[test]
    fn too_few_columns_is_an_error() {
        assert!(decode_boxes(array![[1.0, 2.0, 3.0, 4.0]].view(), 0.1).is_err());
    }
}
