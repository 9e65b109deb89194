//! The fixed parameters of pycocotools' `Params` for bbox evaluation, computed the same way.

/// Number of IoU thresholds (0.50, 0.55, ..., 0.95).
pub(crate) const IOU_THRESHOLD_COUNT: usize = 10;

/// Number of recall thresholds (0.00, 0.01, ..., 1.00).
pub(crate) const RECALL_THRESHOLD_COUNT: usize = 101;

/// The detection limits per image, ascending; the last one bounds matching.
pub(crate) const MAX_DETECTIONS: [usize; 3] = [1, 10, 100];

/// The most detections per image and category that take part in matching.
pub(crate) const MATCHED_DETECTIONS: usize = MAX_DETECTIONS[2];

/// A range of box areas, borders included: an area is outside when `area < min || area > max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AreaRange {
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// The label `summarize()` prints.
    pub(crate) label: &'static str,
}

impl AreaRange {
    pub(crate) fn excludes(&self, area: f64) -> bool {
        area < self.min || area > self.max
    }
}

/// `all`, `small`, `medium`, `large`, in pycocotools' order.
pub(crate) const AREA_RANGES: [AreaRange; 4] = [
    AreaRange {
        min: 0.0,
        max: 1e10,
        label: "all",
    },
    AreaRange {
        min: 0.0,
        max: 1024.0,
        label: "small",
    },
    AreaRange {
        min: 1024.0,
        max: 9216.0,
        label: "medium",
    },
    AreaRange {
        min: 9216.0,
        max: 1e10,
        label: "large",
    },
];

/// `np.linspace(.5, 0.95, 10)`, bit for bit.
pub(crate) fn iou_thresholds() -> [f64; IOU_THRESHOLD_COUNT] {
    linspace(0.5, 0.95)
}

/// `np.linspace(.0, 1.00, 101)`, bit for bit.
pub(crate) fn recall_thresholds() -> [f64; RECALL_THRESHOLD_COUNT] {
    linspace(0.0, 1.0)
}

/// numpy's `linspace` with the endpoint: `i * step + start`, and the last value set to `stop`.
fn linspace<const N: usize>(start: f64, stop: f64) -> [f64; N] {
    let step = (stop - start) / (N - 1) as f64;
    let mut values: [f64; N] = std::array::from_fn(|i| i as f64 * step + start);
    values[N - 1] = stop;
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_thresholds_equal_numpy_linspace_bit_for_bit() {
        // float.hex() of np.linspace(.5, .95, 10), printed by numpy.
        let numpy_bits: [u64; 10] = [
            0x3fe0000000000000,
            0x3fe199999999999a,
            0x3fe3333333333333,
            0x3fe4cccccccccccd,
            0x3fe6666666666666,
            0x3fe8000000000000,
            0x3fe999999999999a,
            0x3feb333333333333,
            0x3feccccccccccccc,
            0x3fee666666666666,
        ];
        let bits: Vec<u64> = iou_thresholds().iter().map(|t| t.to_bits()).collect();
        assert_eq!(bits, numpy_bits);
    }

    #[test]
    fn recall_thresholds_keep_numpy_rounding() {
        let thresholds = recall_thresholds();
        assert_eq!(thresholds[0], 0.0);
        assert_eq!(thresholds[57], 0.5700000000000001);
        assert_eq!(thresholds[100], 1.0);
    }

    #[test]
    fn area_borders_are_inside() {
        assert!(!AREA_RANGES[1].excludes(1024.0));
        assert!(!AREA_RANGES[2].excludes(1024.0));
        assert!(!AREA_RANGES[2].excludes(9216.0));
        assert!(AREA_RANGES[3].excludes(9215.999));
    }
}
