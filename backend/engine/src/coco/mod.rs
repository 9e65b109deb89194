//! COCO bbox evaluation that reproduces pycocotools' `COCOeval` (iouType `bbox`) number for
//! number: the same matching, the same accumulation, the same float64 arithmetic.
//!
//! ```no_run
//! use qbound_engine::coco::{CocoDetections, CocoGroundTruth, evaluate};
//!
//! let ground_truth = CocoGroundTruth::load("instances_val2017.json")?;
//! let detections = CocoDetections::load("detections.json", &ground_truth)?;
//! let summary = evaluate(&ground_truth, &detections)?;
//! println!("{summary}");
//! println!("mAP {:.3}, mAP@0.5 {:.3}", summary.map(), summary.map50());
//! # Ok::<(), qbound_engine::Error>(())
//! ```

mod accumulate;
mod crowd_flag;
mod detections;
mod evaluate;
mod ground_truth;
mod image_evaluation;
mod iou;
mod params;
mod summarize;
mod summary;

pub use detections::{CocoDetections, Detection};
pub use evaluate::evaluate;
pub use ground_truth::{CocoAnnotation, CocoCategory, CocoGroundTruth, CocoImage};
pub use summary::CocoSummary;
