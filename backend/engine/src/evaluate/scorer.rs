//! Detection accuracy as a sensitivity [`Scorer`]: labelled COCO mAP or agreement mAP.

use std::collections::HashSet;

use crate::Result;
use crate::coco::{
    CocoDetections, CocoGroundTruth, CocoSummary, Detection as CocoDetection, evaluate,
};
use crate::onnx::proto::ModelProto;
use crate::profile::Profile;
use crate::runtime::SessionConfig;
use crate::sensitivity::{Score, Scorer};

use super::ground_truth::{
    agreement_ground_truth, category_ids, coco_detections, ground_truth_subset,
    image_ids_by_file_name,
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
    halves: Option<[Half; 2]>,
}

/// The even- or the odd-numbered images and their labels, scored apart for the split-half
/// figures of [`Score::halves`].
struct Half {
    image_ids: HashSet<u64>,
    ground_truth: CocoGroundTruth,
}

/// COCO's summary of `results` against `ground_truth`.
fn summarize(ground_truth: &CocoGroundTruth, results: Vec<CocoDetection>) -> Result<CocoSummary> {
    evaluate(ground_truth, &CocoDetections::new(results, ground_truth)?)
}

/// The halves of `ground_truth` over the images `image_ids` (in image order); `None` for
/// fewer than two images.
fn split_halves(ground_truth: &CocoGroundTruth, image_ids: &[u64]) -> Result<Option<[Half; 2]>> {
    if image_ids.len() < 2 {
        return Ok(None);
    }
    let half = |parity: usize| -> Result<Half> {
        let image_ids: HashSet<u64> = image_ids.iter().skip(parity).step_by(2).copied().collect();
        Ok(Half {
            ground_truth: ground_truth_subset(ground_truth, &image_ids)?,
            image_ids,
        })
    };
    Ok(Some([half(0)?, half(1)?]))
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
        let halves = split_halves(&ground_truth, &image_ids)?;
        Ok(Self {
            profile,
            images,
            ground_truth,
            image_ids,
            category_ids,
            agreement: false,
            session,
            halves,
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
        let image_ids: Vec<u64> = (1..=images.files().len() as u64).collect();
        let category_ids = category_ids(&profile, None);
        let halves = split_halves(&ground_truth, &image_ids)?;
        Ok(Self {
            profile,
            images,
            ground_truth,
            image_ids,
            category_ids,
            agreement: true,
            session,
            halves,
        })
    }

    /// The full COCO summary of `model`.
    pub fn summary(&self, model: &ModelProto) -> Result<CocoSummary> {
        summarize(&self.ground_truth, self.detections(model)?)
    }

    fn detections(&self, model: &ModelProto) -> Result<Vec<CocoDetection>> {
        let detections = detect_images(
            model,
            &self.profile,
            &self.images,
            self.profile.thresholds.map_score,
            &self.session,
        )?;
        Ok(coco_detections(
            &detections,
            &self.image_ids,
            &self.category_ids,
        ))
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
        let results = self.detections(model)?;
        let half_map = |half: &Half| -> Result<f64> {
            let results = results
                .iter()
                .filter(|d| half.image_ids.contains(&d.image_id))
                .cloned()
                .collect();
            Ok(summarize(&half.ground_truth, results)?.map().max(0.0))
        };
        let halves = match &self.halves {
            Some([even, odd]) => Some([half_map(even)?, half_map(odd)?]),
            None => None,
        };
        let summary = summarize(&self.ground_truth, results)?;
        Ok(Score {
            primary: summary.map().max(0.0),
            secondary: summary.map50().max(0.0),
            halves,
        })
    }
}
