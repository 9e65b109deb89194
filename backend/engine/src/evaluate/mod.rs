//! Detection accuracy of a model on a folder of images: COCO mAP against annotations, or
//! agreement mAP against a float model's own detections.

mod ground_truth;
mod images;
mod run;
mod scorer;

pub use ground_truth::{
    agreement_ground_truth, category_ids, coco_detections, image_ids_by_file_name,
};
pub use images::EvalImages;
pub use run::detect_images;
pub use scorer::DetectionScorer;
