//! The error analysis on the demo model through ONNX Runtime finds a planted bad range: a
//! mid-graph tensor whose calibrated range is widened 64 times ranks among the three worst
//! by the error it alone causes at the outputs, flagged with a wide range as its cause, where
//! without the planting it is neither flagged nor blamed; the group ranking written for the
//! partial search puts its group among the three most sensitive.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ranges.rs"]
mod ranges;

use std::path::PathBuf;

use qbound_engine::analyze::{
    Cause, ErrorAnalysis, TensorError, analyze_errors, group_ranking, ranking_text,
};
use qbound_engine::calibrate::Calibration;
use qbound_engine::images::list_images;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::infer_profile;
use qbound_engine::quantize::{Target, model_groups};

use common::fixture;
use ranges::max_calibrated;

/// How many times wider the planted range is than the calibrated one.
const WIDENED: f32 = 64.0;

/// The full-INT8 `ort-cpu` model's analysis on the first two validation photos, the output
/// error alone on the first.
fn analysis(model: &ModelProto, calibration: &Calibration) -> ErrorAnalysis {
    let profile = infer_profile(model).unwrap();
    let files: Vec<PathBuf> = list_images(&fixture("data/images/val"))
        .unwrap()
        .into_iter()
        .take(2)
        .collect();
    let batches: Vec<_> = profile
        .input_batches(&files, 2)
        .collect::<Result<_, _>>()
        .unwrap();
    let input = profile.input_name(model).unwrap();
    let mut seen = 0;
    let analysis = analyze_errors(
        model,
        calibration,
        &input,
        &batches,
        Target::OrtCpu,
        1,
        &mut |done| seen = done,
    )
    .unwrap();
    assert_eq!((analysis.images, analysis.output_images, seen), (2, 1, 2));
    assert!(analysis.tensors.iter().all(|t| t.output_sqnr_db.is_some()));
    analysis
}

/// The mean cumulative SQNR (dB) of the tensors after `position`: the error downstream.
fn downstream_db(analysis: &ErrorAnalysis, position: usize) -> f64 {
    let after = &analysis.tensors[position + 1..];
    after.iter().map(|t| t.cumulative_sqnr_db).sum::<f64>() / after.len() as f64
}

/// Where `tensor` ranks by the output error it causes alone, 0 being the worst.
fn rank(analysis: &ErrorAnalysis, tensor: &str) -> usize {
    let mut by_output: Vec<&TensorError> = analysis.tensors.iter().collect();
    by_output.sort_by(|a, b| {
        a.output_sqnr_db
            .unwrap()
            .total_cmp(&b.output_sqnr_db.unwrap())
    });
    by_output.iter().position(|t| t.tensor == tensor).unwrap()
}

fn blames_a_wide_range(t: &TensorError) -> bool {
    t.causes
        .iter()
        .any(|c| matches!(c, Cause::WideRange { .. }))
}

#[test]
fn a_planted_wide_range_mid_graph_is_flagged_among_the_three_worst_with_its_cause() {
    let (model, calibration) = max_calibrated("data/nanodet-coco-416.onnx", "data/images/calib", 4);
    let before = analysis(&model, &calibration);
    let positions: Vec<usize> = before.tensors.iter().map(|t| t.position).collect();
    assert_eq!(positions, (0..before.tensors.len()).collect::<Vec<_>>());
    assert!(
        before.tensors.len() > 20,
        "{} tensors",
        before.tensors.len()
    );

    // The convolution input in the middle of the graph.
    let read_by_layers: Vec<&TensorError> = before
        .tensors
        .iter()
        .filter(|t| !t.layers.is_empty())
        .collect();
    let planted = read_by_layers[read_by_layers.len() / 2].clone();
    let mut widened = calibration.clone();
    let range = widened.ranges.get_mut(&planted.tensor).unwrap();
    range.amax *= WIDENED;
    range.max *= WIDENED;
    range.lowest *= WIDENED;
    range.highest *= WIDENED;
    let after = analysis(&model, &widened);

    let was = &before.tensors[planted.position];
    let now = &after.tensors[planted.position];
    assert_eq!(
        now.tensor, planted.tensor,
        "the same tensors in the same order"
    );
    let (downstream_was, downstream_now) = (
        downstream_db(&before, planted.position),
        downstream_db(&after, planted.position),
    );
    eprintln!(
        "planted `{}` (#{} of {}): local {:.1} -> {:.1} dB, output {:?} -> {:?} dB, rank {} -> {}, cumulative after it {:.1} -> {:.1} dB, causes {:?}",
        planted.tensor,
        planted.position,
        after.tensors.len(),
        was.local_sqnr_db,
        now.local_sqnr_db,
        was.output_sqnr_db,
        now.output_sqnr_db,
        rank(&before, &planted.tensor),
        rank(&after, &planted.tensor),
        downstream_was,
        downstream_now,
        now.causes
    );
    assert!(now.step > was.step * WIDENED / 2.0, "the range was widened");
    assert!(now.flagged, "{now:?}");
    assert!(rank(&after, &planted.tensor) < 3);
    assert!(blames_a_wide_range(now), "{:?}", now.causes);
    assert!(after.worst().iter().any(|t| t.tensor == planted.tensor));
    assert!(downstream_now < downstream_was - 1.0);

    // Its group goes to the most sensitive end of the ranking the analysis writes for the
    // partial search.
    let ranking = group_ranking(&after, &model, Target::OrtCpu).unwrap();
    assert_eq!(
        ranking.len(),
        model_groups(&model, Target::OrtCpu).unwrap().len()
    );
    assert!(ranking.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(
        ranking
            .iter()
            .rev()
            .take(3)
            .any(|(_, db)| *db == now.severity()),
        "{:?}",
        &ranking[ranking.len() - 3..]
    );
    let text = ranking_text(&after, &ranking);
    assert_eq!(text.lines().count(), ranking.len() + 1);

    assert!(!was.flagged, "{was:?}");
    assert!(rank(&before, &planted.tensor) >= 3);
    assert!(!blames_a_wide_range(was), "{:?}", was.causes);
}
