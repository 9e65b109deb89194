//! Raw YOLOX grid outputs, decoded as the official YOLOX ONNX demo does.

use ndarray::ArrayView2;

use super::{Detection, best_class, corners};
use crate::profile::{grid_cells, grid_size};
use crate::{Error, Result};

/// Decodes one image's raw YOLOX `[N, 5 + C]` output for a `input_width` x `input_height`
/// input: the rows are the cells of each stride's grid in row-major order, strides in the
/// given order; centre = (raw + cell) x stride, size = exp(raw) x stride, score = objectness
/// x best class score (both already sigmoid-activated by the export).
pub fn decode_yolox_grid(
    rows: ArrayView2<'_, f32>,
    input_width: u32,
    input_height: u32,
    strides: &[u32],
    score_threshold: f32,
) -> Result<Vec<Detection>> {
    let expected_rows = grid_cells(input_width, input_height, strides);
    if rows.nrows() != expected_rows || rows.ncols() < 6 {
        return Err(Error::InvalidInput(format!(
            "a YOLOX grid for a {input_width}x{input_height} input at strides {strides:?} has \
             {expected_rows} rows of 5 + classes values, got {}x{}",
            rows.nrows(),
            rows.ncols()
        )));
    }
    let mut detections = Vec::new();
    let mut cells = rows.rows().into_iter();
    for &stride in strides {
        let (columns, grid_rows) = grid_size(input_width, input_height, stride);
        let stride = stride as f32;
        for grid_y in 0..grid_rows {
            for grid_x in 0..columns {
                let Some(raw) = cells.next() else {
                    return Ok(detections);
                };
                let objectness = raw[4];
                if objectness.is_nan() || objectness < score_threshold {
                    continue;
                }
                let Some((class, class_score)) = best_class(raw.iter().skip(5).copied()) else {
                    continue;
                };
                let score = objectness * class_score;
                if score >= score_threshold {
                    let center_x = (raw[0] + grid_x as f32) * stride;
                    let center_y = (raw[1] + grid_y as f32) * stride;
                    let bbox = corners(
                        center_x,
                        center_y,
                        raw[2].exp() * stride,
                        raw[3].exp() * stride,
                    );
                    detections.push(Detection { bbox, score, class });
                }
            }
        }
    }
    Ok(detections)
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    #[test]
    fn places_each_cell_on_its_own_grid() {
        // A 64 x 32 input at strides 16 and 32: a 4 x 2 grid, then a 2 x 1 grid.
        let mut rows = Array2::<f32>::zeros((10, 7));
        // Stride 16, column 2, row 1 (cell 6): offset (0.5, 0.25), size e^0 x 16.
        rows.row_mut(6)
            .assign(&ndarray::arr1(&[0.5, 0.25, 0.0, 0.0, 0.9, 0.2, 0.5]));
        // Stride 32, column 1 (cell 8 + 1): size e^ln2 x 32 = 64 wide.
        rows.row_mut(9)
            .assign(&ndarray::arr1(&[0.0, 0.0, 2f32.ln(), 0.0, 0.5, 1.0, 0.0]));
        let detections = decode_yolox_grid(rows.view(), 64, 32, &[16, 32], 0.3).unwrap();
        assert_eq!(detections.len(), 2);
        assert_eq!(detections[0].class, 1);
        assert!((detections[0].score - 0.45).abs() < 1e-6);
        assert_eq!(detections[0].bbox, [32.0, 12.0, 48.0, 28.0]);
        let [x1, y1, x2, y2] = detections[1].bbox;
        assert_eq!((detections[1].class, detections[1].score), (0, 0.5));
        assert!(
            (x1 - 0.0).abs() < 1e-4 && (x2 - 64.0).abs() < 1e-4,
            "{x1} {x2}"
        );
        assert_eq!((y1, y2), (-16.0, 16.0));
    }

    #[test]
    fn a_row_count_that_is_not_the_grid_is_an_error() {
        let rows = Array2::<f32>::zeros((9, 7));
        let err = decode_yolox_grid(rows.view(), 64, 32, &[16, 32], 0.3).unwrap_err();
        assert!(err.to_string().contains("10 rows"), "{err}");
    }
}
