//! The 12 numbers `COCOeval.summarize()` prints, and how it prints them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::params::AREA_RANGES;

/// Whether a statistic averages precision or recall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    Precision,
    Recall,
}

/// What one of the 12 statistics averages over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Statistic {
    pub(crate) measure: Measure,
    /// One IoU threshold, or `None` for all of 0.50:0.95.
    pub(crate) iou: Option<f64>,
    /// Index into the area ranges (all, small, medium, large).
    pub(crate) area: usize,
    /// The detection limit per image.
    pub(crate) max_detections: usize,
}

const fn statistic(
    measure: Measure,
    iou: Option<f64>,
    area: usize,
    max_detections: usize,
) -> Statistic {
    Statistic {
        measure,
        iou,
        area,
        max_detections,
    }
}

/// The statistics in `summarize()`'s order.
pub(crate) const STATISTICS: [Statistic; 12] = [
    statistic(Measure::Precision, None, 0, 100),
    statistic(Measure::Precision, Some(0.5), 0, 100),
    statistic(Measure::Precision, Some(0.75), 0, 100),
    statistic(Measure::Precision, None, 1, 100),
    statistic(Measure::Precision, None, 2, 100),
    statistic(Measure::Precision, None, 3, 100),
    statistic(Measure::Recall, None, 0, 1),
    statistic(Measure::Recall, None, 0, 10),
    statistic(Measure::Recall, None, 0, 100),
    statistic(Measure::Recall, None, 1, 100),
    statistic(Measure::Recall, None, 2, 100),
    statistic(Measure::Recall, None, 3, 100),
];

/// The result of a COCO bbox evaluation: pycocotools' `COCOeval.stats`.
///
/// Each entry is -1 where nothing could be measured (no ground truth in that area range).
/// `Display` prints the 12 lines `summarize()` prints; serde uses named fields
/// (`ap`, `ap50`, `ap75`, `ap_small`, ..., `ar_large`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "NamedStats", from = "NamedStats")]
pub struct CocoSummary {
    /// AP@[.5:.95], AP@.5, AP@.75, AP small/medium/large, AR@1, AR@10, AR@100,
    /// AR small/medium/large, in `summarize()`'s order.
    pub stats: [f64; 12],
}

impl CocoSummary {
    /// mAP averaged over IoU 0.50:0.95 (all areas, 100 detections): `stats[0]`.
    pub fn map(&self) -> f64 {
        self.stats[0]
    }

    /// mAP at IoU 0.50: `stats[1]`.
    pub fn map50(&self) -> f64 {
        self.stats[1]
    }
}

impl fmt::Display for CocoSummary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (definition, value)) in STATISTICS.iter().zip(self.stats).enumerate() {
            if index > 0 {
                writeln!(formatter)?;
            }
            let (title, kind) = match definition.measure {
                Measure::Precision => ("Average Precision", "(AP)"),
                Measure::Recall => ("Average Recall", "(AR)"),
            };
            let iou = match definition.iou {
                Some(threshold) => format!("{threshold:.2}"),
                None => "0.50:0.95".to_owned(),
            };
            let area = AREA_RANGES[definition.area].label;
            let max_detections = definition.max_detections;
            write!(
                formatter,
                " {title:<18} {kind} @[ IoU={iou:<9} | area={area:>6} | maxDets={max_detections:>3} ] = {value:.3}"
            )?;
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct NamedStats {
    ap: f64,
    ap50: f64,
    ap75: f64,
    ap_small: f64,
    ap_medium: f64,
    ap_large: f64,
    ar1: f64,
    ar10: f64,
    ar100: f64,
    ar_small: f64,
    ar_medium: f64,
    ar_large: f64,
}

impl From<CocoSummary> for NamedStats {
    fn from(summary: CocoSummary) -> Self {
        let [
            ap,
            ap50,
            ap75,
            ap_small,
            ap_medium,
            ap_large,
            ar1,
            ar10,
            ar100,
            ar_small,
            ar_medium,
            ar_large,
        ] = summary.stats;
        Self {
            ap,
            ap50,
            ap75,
            ap_small,
            ap_medium,
            ap_large,
            ar1,
            ar10,
            ar100,
            ar_small,
            ar_medium,
            ar_large,
        }
    }
}

impl From<NamedStats> for CocoSummary {
    fn from(named: NamedStats) -> Self {
        let NamedStats {
            ap,
            ap50,
            ap75,
            ap_small,
            ap_medium,
            ap_large,
            ar1,
            ar10,
            ar100,
            ar_small,
            ar_medium,
            ar_large,
        } = named;
        Self {
            stats: [
                ap, ap50, ap75, ap_small, ap_medium, ap_large, ar1, ar10, ar100, ar_small,
                ar_medium, ar_large,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> CocoSummary {
        CocoSummary {
            stats: [
                0.4242, 0.61, 0.45, -1.0, 0.30, 0.55, 0.33, 0.5, 0.52, -1.0, 0.4, 0.7,
            ],
        }
    }

    #[test]
    fn prints_the_lines_pycocotools_prints() {
        let text = example().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 12);
        assert_eq!(
            lines[0],
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.424"
        );
        assert_eq!(
            lines[1],
            " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.610"
        );
        assert_eq!(
            lines[3],
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000"
        );
        assert_eq!(
            lines[6],
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.330"
        );
        assert_eq!(
            lines[10],
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.400"
        );
    }

    #[test]
    fn serializes_named_fields_and_back() {
        let json = serde_json::to_value(example()).unwrap();
        assert_eq!(json["ap"], 0.4242);
        assert_eq!(json["ar_large"], 0.7);
        let back: CocoSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, example());
        assert_eq!(back.map(), 0.4242);
        assert_eq!(back.map50(), 0.61);
    }
}
