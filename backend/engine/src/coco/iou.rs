//! Box overlap as pycocotools' `maskUtils.iou` computes it for boxes (`bbIou` in its C code).

/// The IoU of a detection box with a ground-truth box, both `[x, y, width, height]`.
///
/// For a crowd ground truth the union is the detection's own area, so a detection that lies
/// inside a crowd region scores 1 however large the region is.
pub(crate) fn box_iou(
    detection: &[f64; 4],
    ground_truth: &[f64; 4],
    ground_truth_is_crowd: bool,
) -> f64 {
    let [dx, dy, dw, dh] = *detection;
    let [gx, gy, gw, gh] = *ground_truth;
    let overlap_width = (dw + dx).min(gw + gx) - dx.max(gx);
    if overlap_width <= 0.0 {
        return 0.0;
    }
    let overlap_height = (dh + dy).min(gh + gy) - dy.max(gy);
    if overlap_height <= 0.0 {
        return 0.0;
    }
    let intersection = overlap_width * overlap_height;
    let detection_area = dw * dh;
    let union = if ground_truth_is_crowd {
        detection_area
    } else {
        detection_area + gw * gh - intersection
    };
    intersection / union
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_overlapping_boxes_have_iou_one_third() {
        let iou = box_iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 10.0, 10.0], false);
        assert_eq!(iou, 50.0 / 150.0);
    }

    #[test]
    fn boxes_that_only_touch_do_not_overlap() {
        assert_eq!(
            box_iou(&[0.0, 0.0, 10.0, 10.0], &[10.0, 0.0, 5.0, 5.0], false),
            0.0
        );
        assert_eq!(
            box_iou(&[0.0, 0.0, 10.0, 10.0], &[0.0, 10.0, 5.0, 5.0], false),
            0.0
        );
    }

    #[test]
    fn identical_boxes_have_iou_one() {
        assert_eq!(
            box_iou(&[1.5, 2.5, 3.0, 4.0], &[1.5, 2.5, 3.0, 4.0], false),
            1.0
        );
    }

    #[test]
    fn crowd_union_is_the_detection_area() {
        let crowd = [0.0, 0.0, 100.0, 100.0];
        assert_eq!(box_iou(&[10.0, 10.0, 20.0, 20.0], &crowd, true), 1.0);
        assert_eq!(
            box_iou(&[10.0, 10.0, 20.0, 20.0], &crowd, false),
            400.0 / 10_000.0
        );
        // Half of the detection sticks out of the crowd region.
        assert_eq!(box_iou(&[90.0, 0.0, 20.0, 10.0], &crowd, true), 0.5);
    }

    #[test]
    fn crowd_iou_is_not_symmetric_in_the_boxes() {
        let small = [0.0, 0.0, 10.0, 10.0];
        let large = [0.0, 0.0, 20.0, 20.0];
        assert_eq!(box_iou(&large, &small, true), 0.25);
        assert_eq!(box_iou(&small, &large, true), 1.0);
    }
}
