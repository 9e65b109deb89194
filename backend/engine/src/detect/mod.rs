//! Reading detections out of a detector's raw outputs: one decoder per head layout, then a
//! score threshold, class-wise non-maximum suppression and the way back to image pixels.

mod boxes;
mod boxes_with_objectness;
mod decode;
mod gfl;
mod nms;
mod yolox_grid;

use serde::{Deserialize, Serialize};

pub use boxes::{decode_boxes, decode_boxes_channels_first};
pub use boxes_with_objectness::decode_boxes_with_objectness;
pub use gfl::decode_gfl_level;
pub use nms::{box_iou, non_max_suppression};
pub use yolox_grid::decode_yolox_grid;

/// One detected object.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// `[x1, y1, x2, y2]`: in original-image pixels once decoded by [`crate::profile::Profile::decode`],
    /// in the model's input frame when it comes straight from a decoder.
    pub bbox: [f32; 4],
    /// The detector's confidence, 0-1.
    pub score: f32,
    /// The class index in the model's output order.
    pub class: usize,
}

/// The `[x1, y1, x2, y2]` corners of a box given by its centre and size.
fn corners(center_x: f32, center_y: f32, width: f32, height: f32) -> [f32; 4] {
    let (half_w, half_h) = (width / 2.0, height / 2.0);
    [
        center_x - half_w,
        center_y - half_h,
        center_x + half_w,
        center_y + half_h,
    ]
}

/// The index and value of the highest class score; `None` when there is none or all are NaN.
fn best_class(scores: impl IntoIterator<Item = f32>) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for (class, score) in scores.into_iter().enumerate() {
        if best.is_none_or(|(_, top)| score > top) && !score.is_nan() {
            best = Some((class, score));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_class_takes_the_first_of_equal_maxima_and_skips_nan() {
        assert_eq!(best_class([0.1, 0.7, 0.7, f32::NAN]), Some((1, 0.7)));
        assert_eq!(best_class([f32::NAN, 0.2]), Some((1, 0.2)));
        assert_eq!(best_class([]), None);
    }

    #[test]
    fn corners_span_the_box_around_its_centre() {
        assert_eq!(corners(10.0, 20.0, 4.0, 6.0), [8.0, 17.0, 12.0, 23.0]);
    }
}
