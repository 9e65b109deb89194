//! `auto` calibration judged by agreement mAP: candidates are judged on held-out images when
//! enough others remain to fit them on, and the table keeps the chosen method's ranges over
//! every image.

#![allow(clippy::unwrap_used)]

mod common;

use qbound_engine::calibrate::{
    AutoJudge, CalibrationMethod, CalibrationTable, calibrate_model, calibrate_model_judged,
};
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, Target, quantize_model};
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::Scorer;

use common::fixture;

/// A table of `method` on the demo calibration photos `from..to`, in batches of `batch`.
fn table(
    model: &ModelProto,
    method: CalibrationMethod,
    from: usize,
    to: usize,
    batch: usize,
) -> CalibrationTable {
    let profile = Profile::for_model(None, model).unwrap();
    let files = list_images(&fixture("data/images/calib")).unwrap();
    let input = profile.input_name(model).unwrap();
    calibrate_model(
        model,
        &input,
        profile.input_batches(&files[from..to], batch),
        method,
        "demo",
        &mut |_| {},
    )
    .unwrap()
}

/// Agreement mAP with the float demo model on its first `judged` calibration photos.
fn judge(model: &ModelProto, judged: usize) -> DetectionScorer {
    let profile = Profile::for_model(None, model).unwrap();
    let files = list_images(&fixture("data/images/calib")).unwrap();
    let images = EvalImages::load(&profile, &files[..judged], 2).unwrap();
    DetectionScorer::agreement(model, profile, images, SessionConfig::default()).unwrap()
}

/// `auto` on the first `images` demo calibration photos in batches of `batch`, judged on the
/// first `judged`, and the plain table of the method it chose on the same photos.
fn auto_table(
    model: &ModelProto,
    images: usize,
    judged: usize,
    batch: usize,
) -> (CalibrationTable, CalibrationTable) {
    let profile = Profile::for_model(None, model).unwrap();
    let files = list_images(&fixture("data/images/calib")).unwrap();
    let input = profile.input_name(model).unwrap();
    let auto = calibrate_model_judged(
        model,
        &input,
        profile.input_batches(&files[..images], batch),
        CalibrationMethod::Auto,
        "demo",
        AutoJudge {
            scorer: &mut judge(model, judged),
            images: judged,
        },
        &mut |_| {},
    )
    .unwrap();
    let chosen = auto.auto.as_ref().unwrap().chosen;
    let plain = table(model, chosen, 0, images, batch);
    (auto, plain)
}

fn demo_model() -> ModelProto {
    load_model(&fixture("data/nanodet-coco-416.onnx")).unwrap()
}

/// Checks that `auto`'s recorded `max` score is that of a `max` table fitted on the photos
/// after the judged ones, and what else the choice records.
fn assert_judged_held_out(batch: usize) {
    let model = demo_model();
    let (auto, plain) = auto_table(&model, 8, 4, batch);
    let choice = auto.auto.as_ref().unwrap();
    assert!(choice.held_out);
    let fitted_on_the_others = table(&model, CalibrationMethod::Max, 4, 8, 2);
    let (int8, _) = quantize_model(
        &model,
        GroupSelection::All,
        &fitted_on_the_others.calibration(),
        Target::OrtCpu,
    )
    .unwrap();
    let max_score = judge(&model, 4).score(&int8).unwrap().primary;
    assert_eq!(choice.fidelity[0], (CalibrationMethod::Max, max_score));
    assert_eq!(choice.judged_images, 4);
    assert_eq!(choice.fidelity.len(), CalibrationMethod::CANDIDATES.len());
    assert_eq!(choice.halves.len(), CalibrationMethod::CANDIDATES.len());
    assert!(
        choice
            .fidelity
            .iter()
            .all(|(_, score)| (0.0..=1.0).contains(score))
    );
    assert_eq!(auto.method, CalibrationMethod::Auto);
    assert_eq!(auto.images, 8);
    assert_eq!(auto.tensors, plain.tensors);
}

#[test]
fn auto_judges_candidates_fitted_without_the_judged_images_and_keeps_ranges_over_all_of_them() {
    assert_judged_held_out(2);
}

#[test]
fn a_batch_straddling_the_judged_images_still_fits_its_later_images() {
    assert_judged_held_out(3);
}

#[test]
fn auto_keeps_its_default_unless_a_candidate_beats_it_overall_and_on_both_halves() {
    let (auto, _) = auto_table(&demo_model(), 8, 4, 2);
    let choice = auto.auto.as_ref().unwrap();
    let score_of = |method: CalibrationMethod| {
        let at = CalibrationMethod::CANDIDATES
            .iter()
            .position(|c| *c == method)
            .unwrap();
        (choice.fidelity[at].1, choice.halves[at])
    };
    let (default, default_halves) = score_of(CalibrationMethod::AUTO_DEFAULT);
    let (chosen, chosen_halves) = score_of(choice.chosen);
    if choice.chosen != CalibrationMethod::AUTO_DEFAULT {
        assert!(chosen > default);
        assert!(chosen_halves[0] > default_halves[0] && chosen_halves[1] > default_halves[1]);
    }
    for (at, (_, score)) in choice.fidelity.iter().enumerate() {
        let halves = choice.halves[at];
        let clear =
            *score > default && halves[0] > default_halves[0] && halves[1] > default_halves[1];
        assert!(
            !clear || *score <= chosen,
            "a clearer winner than the choice"
        );
    }
}

#[test]
fn auto_judges_in_sample_when_too_few_images_remain_to_fit_on() {
    let (auto, plain) = auto_table(&demo_model(), 6, 4, 2);
    let choice = auto.auto.as_ref().unwrap();
    assert!(!choice.held_out);
    assert_eq!(choice.judged_images, 4);
    assert_eq!(auto.tensors, plain.tensors);
}
