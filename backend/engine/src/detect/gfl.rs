//! GFL/NanoDet heads: class scores and per-side distance distributions at each stride.

use ndarray::{ArrayView1, ArrayView2, Axis, Slice};

use super::{Detection, best_class};
use crate::profile::grid_size;
use crate::{Error, Result};

/// Decodes one stride of one image's GFL head for a `input_width` x `input_height` input.
///
/// `scores` is `[N, C]` (after sigmoid) and `distributions` `[N, 4 x bins]` (left, top, right,
/// bottom), one row per grid cell in row-major order. A cell's centre is
/// ((column + 0.5) x stride, (row + 0.5) x stride); each side's distance from it is the
/// expected bin index under the softmax of that side's bins, times the stride.
pub fn decode_gfl_level(
    scores: ArrayView2<'_, f32>,
    distributions: ArrayView2<'_, f32>,
    stride: u32,
    input_width: u32,
    input_height: u32,
    score_threshold: f32,
) -> Result<Vec<Detection>> {
    let (columns, rows) = grid_size(input_width, input_height, stride);
    let cells = columns * rows;
    let sides_width = distributions.ncols();
    if scores.nrows() != cells || distributions.nrows() != cells || scores.ncols() == 0 {
        return Err(Error::InvalidInput(format!(
            "a GFL level at stride {stride} of a {input_width}x{input_height} input has {cells} \
             cells, got {} score rows and {} distribution rows",
            scores.nrows(),
            distributions.nrows()
        )));
    }
    if sides_width < 8 || !sides_width.is_multiple_of(4) {
        return Err(Error::InvalidInput(format!(
            "GFL distributions need 4 sides x at least 2 bins per cell, got {sides_width} values"
        )));
    }
    let bins = sides_width / 4;
    let stride = stride as f32;
    let mut detections = Vec::new();
    for (cell, cell_scores) in scores.rows().into_iter().enumerate() {
        let Some((class, score)) = best_class(cell_scores.iter().copied()) else {
            continue;
        };
        if score < score_threshold {
            continue;
        }
        let center_x = ((cell % columns) as f32 + 0.5) * stride;
        let center_y = ((cell / columns) as f32 + 0.5) * stride;
        let sides = distributions.row(cell);
        let distance = |side: usize| {
            expected_bin(sides.slice_axis(Axis(0), Slice::from(side * bins..(side + 1) * bins)))
                * stride
        };
        let bbox = [
            center_x - distance(0),
            center_y - distance(1),
            center_x + distance(2),
            center_y + distance(3),
        ];
        detections.push(Detection { bbox, score, class });
    }
    Ok(detections)
}

/// The expected bin index under the softmax of `logits`.
fn expected_bin(logits: ArrayView1<'_, f32>) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let (mut total, mut weighted) = (0.0f32, 0.0f32);
    for (bin, &logit) in logits.iter().enumerate() {
        let weight = (logit - max).exp();
        total += weight;
        weighted += weight * bin as f32;
    }
    weighted / total
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, arr1};

    use super::*;

    /// Logits for 4 sides x 3 bins that put (almost) all weight on the given bins.
    fn peaked(bins: [usize; 4]) -> Vec<f32> {
        bins.iter()
            .flat_map(|&b| (0..3).map(move |i| if i == b { 30.0 } else { -30.0 }))
            .collect()
    }

    #[test]
    fn expected_bin_is_the_softmax_mean() {
        assert!((expected_bin(arr1(&[0.0, 0.0, 0.0]).view()) - 1.0).abs() < 1e-6);
        assert!((expected_bin(arr1(&[0.0, 0.0]).view()) - 0.5).abs() < 1e-6);
        assert!((expected_bin(arr1(&[-50.0, 50.0, -50.0]).view()) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_cell_becomes_a_box_around_its_centre() {
        // A 32 x 16 input at stride 8: 4 columns, 2 rows; cell 5 is column 1, row 1.
        let mut scores = Array2::<f32>::zeros((8, 3));
        scores.row_mut(5).assign(&arr1(&[0.1, 0.2, 0.8]));
        let mut distributions = Array2::<f32>::zeros((8, 12));
        distributions
            .row_mut(5)
            .assign(&arr1(&peaked([1, 0, 2, 1])));
        let detections =
            decode_gfl_level(scores.view(), distributions.view(), 8, 32, 16, 0.5).unwrap();
        assert_eq!(detections.len(), 1);
        assert_eq!((detections[0].class, detections[0].score), (2, 0.8));
        let expected = [12.0 - 8.0, 12.0, 12.0 + 16.0, 12.0 + 8.0];
        for (got, want) in detections[0].bbox.iter().zip(expected) {
            assert!((got - want).abs() < 1e-4, "{:?}", detections[0].bbox);
        }
    }

    #[test]
    fn mismatched_cell_counts_are_an_error() {
        let scores = Array2::<f32>::zeros((7, 3));
        let distributions = Array2::<f32>::zeros((7, 12));
        assert!(decode_gfl_level(scores.view(), distributions.view(), 8, 32, 16, 0.5).is_err());
        let scores = Array2::<f32>::zeros((8, 3));
        let distributions = Array2::<f32>::zeros((8, 6));
        assert!(decode_gfl_level(scores.view(), distributions.view(), 8, 32, 16, 0.5).is_err());
    }
}
