//! Detection accuracy as a sensitivity [`Scorer`]: labelled COCO mAP or agreement mAP.

use crate::Result;
use crate::coco::{CocoDetections, CocoGroundTruth, CocoSummary, evaluate};
use crate::onnx::proto::ModelProto;
use crate::profile::Profile;
use crate::runtime::SessionConfig;
use crate::sensitivity::{Score, Scorer};

use super::ground_truth::{
    agreement_ground_truth, category_ids, coco_detections, image_ids_by_file_name,
};
use super::{EvalImages, detect_images};

/// Scores models by COCO mAP@0.5:0.95 (and mAP@0.5) of their detections on fixed images.
pub struct DetectionScorer {
    profile: Profile,
    images: EvalImages,
    ground_truth: CocoGroundTruth,
    image_ids: Vec<u64>,
    category_ids: Vec<u64>,
    agreement: bool,
    session: SessionConfig,
}

impl DetectionScorer {
    /// Against labels: `ground_truth` must list every image by file name.
    pub fn labelled(
        profile: Profile,
        images: EvalImages,
        ground_truth: CocoGroundTruth,
        session: SessionConfig,
    ) -> Result<Self> {
        let image_ids = image_ids_by_file_name(&ground_truth, images.files())?;
        let category_ids = category_ids(&profile, Some(&ground_truth));
        Ok(Self {
            profile,
            images,
            ground_truth,
            image_ids,
            category_ids,
            agreement: false,
            session,
        })
    }

    /// Against the `reference` (float) model's own detections with a score of at least the
    /// profile's display threshold: mAP without annotations.
    pub fn agreement(
        reference: &ModelProto,
        profile: Profile,
        images: EvalImages,
        session: SessionConfig,
    ) -> Result<Self> {
        let detections = detect_images(
            reference,
            &profile,
            &images,
            profile.thresholds.map_score,
            &session,
        )?;
        let ground_truth =
            agreement_ground_truth(&profile, &detections, profile.thresholds.display_score)?;
        let image_ids = (1..=images.files().len() as u64).collect();
        let category_ids = category_ids(&profile, None);
        Ok(Self {
            profile,
            images,
            ground_truth,
            image_ids,
            category_ids,
            agreement: true,
            session,
        })
    }

    /// The full COCO summary of `model`.
    pub fn summary(&self, model: &ModelProto) -> Result<CocoSummary> {
        let detections = detect_images(
            model,
            &self.profile,
            &self.images,
            self.profile.thresholds.map_score,
            &self.session,
        )?;
        let results = coco_detections(&detections, &self.image_ids, &self.category_ids);
        evaluate(
            &self.ground_truth,
            &CocoDetections::new(results, &self.ground_truth)?,
        )
    }

    /// The labels scored against.
    pub fn ground_truth(&self) -> &CocoGroundTruth {
        &self.ground_truth
    }
}

impl Scorer for DetectionScorer {
    fn name(&self) -> &'static str {
        if self.agreement { "agreement" } else { "map" }
    }

    fn score(&mut self, model: &ModelProto) -> Result<Score> {
        let summary = self.summary(model)?;
        Ok(Score {
            primary: summary.map().max(0.0),
            secondary: summary.map50().max(0.0),
        })
    }
}
