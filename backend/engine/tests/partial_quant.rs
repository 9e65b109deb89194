//! Partial quantization on the real demo detector: sensitivity, boundary, max-drop, export.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qbound_engine::batch::{BatchSize, retarget_batch};
use qbound_engine::bench::BenchConfig;
use qbound_engine::calibrate::Calibration;
use qbound_engine::calibrate::{CalibrationMethod, calibrate_model};
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::images::list_images;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::onnx::{SaveOptions, encode_model, load_model, save_model};
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, Target, model_layers, quantize_model};
use qbound_engine::runtime::{SessionConfig, run_f32, session_from_bytes};
use qbound_engine::sensitivity::{
    FloatSelection, MaxDropOutcome, OutputFidelity, PointKind, Scorer, SearchSpace,
    SensitivityMode, float_groups, layer_sensitivity, search_max_drop, sweep,
};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

struct Demo {
    model: ModelProto,
    profile: Profile,
    amax: Calibration,
    val: Vec<PathBuf>,
}

/// The demo model calibrated once (max method, 8 images) for every test.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let model = load_model(&data().join("nanodet-coco-416.onnx")).unwrap();
        let profile = Profile::by_name_or_file("nanodet").unwrap();
        let calib = list_images(&data().join("images/calib")).unwrap();
        let input = profile.input_name(&model).unwrap();
        let batches = profile.input_batches(&calib[..8], 4);
        let table = calibrate_model(
            &model,
            &input,
            batches,
            CalibrationMethod::Max,
            "demo",
            &mut |_| {},
        )
        .unwrap();
        let val = list_images(&data().join("images/val")).unwrap();
        Demo {
            amax: table.calibration(),
            model,
            profile,
            val,
        }
    })
}

fn proxy(demo: &Demo) -> OutputFidelity {
    let input = demo.profile.input_name(&demo.model).unwrap();
    let batch = demo
        .profile
        .load_batch(&demo.val[..2])
        .unwrap()
        .0
        .into_dyn();
    OutputFidelity::new(&demo.model, &input, vec![batch], SessionConfig::default()).unwrap()
}

/// The demo's groups ranked one-on by the proxy for the `ort-cpu` target.
fn proxy_ranking(demo: &Demo) -> Vec<String> {
    layer_sensitivity(
        &demo.model,
        &demo.amax,
        Target::OrtCpu,
        SensitivityMode::OneOn,
        &mut proxy(demo),
        &mut |_, _, _| {},
    )
    .unwrap()
    .ranking()
}

/// The demo's `ort-cpu` search space over `ranking`.
fn ort_cpu_space<'a>(demo: &'a Demo, ranking: &'a [String]) -> SearchSpace<'a> {
    SearchSpace {
        model: &demo.model,
        ranges: &demo.amax,
        target: Target::OrtCpu,
        ranking,
    }
}

fn agreement(demo: &Demo, images: usize) -> DetectionScorer {
    let images = EvalImages::load(&demo.profile, &demo.val[..images], 4).unwrap();
    DetectionScorer::agreement(
        &demo.model,
        demo.profile.clone(),
        images,
        SessionConfig::default(),
    )
    .unwrap()
}

#[test]
fn the_ranking_is_deterministic_for_fixed_images() {
    let demo = demo();
    let rank = || {
        let mut scorer = proxy(demo);
        layer_sensitivity(
            &demo.model,
            &demo.amax,
            Target::TensorRt,
            SensitivityMode::OneOn,
            &mut scorer,
            &mut |_, _, _| {},
        )
        .unwrap()
    };
    let (first, second) = (rank(), rank());
    assert_eq!(first.ranking(), second.ranking());
    assert_eq!(first.layers.len(), 34);
    let split_half = first.split_half_correlation.unwrap();
    assert!((-1.0..=1.0).contains(&split_half), "{split_half}");
    assert_eq!(first.reliability, second.reliability);
    let scores: Vec<f64> = first.layers.iter().map(|l| l.score.primary).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "one-on: least sensitive (highest score) first"
    );
    assert!(scores.iter().all(|&s| s > 0.5 && s <= 1.0), "{scores:?}");
    assert!(scores[0] > scores[33], "layers differ in sensitivity");
}

#[test]
fn the_quant_boundary_quantizes_exactly_the_first_boundary_plus_one_layers() {
    let demo = demo();
    let mut ranking: Vec<String> = model_layers(&demo.model)
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    ranking.reverse();
    let float = float_groups(&ranking, FloatSelection::QuantBoundary(9)).unwrap();
    let (_, report) = quantize_model(
        &demo.model,
        GroupSelection::AllExcept(&float),
        &demo.amax,
        Target::TensorRt,
    )
    .unwrap();
    let quantized: HashSet<String> = report.quantized_layers.into_iter().collect();
    let expected: HashSet<String> = ranking[..10].iter().cloned().collect();
    assert_eq!(quantized, expected);
    assert_eq!(report.float_layers.len(), 24);
}

#[test]
fn max_drop_returns_a_model_whose_measured_drop_is_within_the_bound() {
    let demo = demo();
    let ranking = proxy_ranking(demo);
    let space = ort_cpu_space(demo, &ranking);
    let (mut search, mut verify) = (agreement(demo, 4), agreement(demo, 12));
    let max_drop = 0.05;
    let choice =
        search_max_drop(&space, max_drop, &mut search, &mut verify, &mut |_, _| {}).unwrap();
    assert!(choice.drop <= max_drop, "{choice:?}");
    assert_eq!(choice.float_layers.len(), choice.keep_float);
    assert_ne!(choice.outcome, MaxDropOutcome::Float, "{choice:?}");
    // Whether it is faster is decided beyond the timing noise (see `SpeedCheck::decide`); the
    // measured ratio itself is the benchmark's business, not this test's.
    assert!(
        choice.speed_check.as_ref().is_some_and(|c| c.faster),
        "{choice:?}"
    );
    // Measured again, independently, on the chosen model.
    let (chosen, _) =
        quantize_model(&demo.model, choice.selection(), &demo.amax, Target::OrtCpu).unwrap();
    let mut fresh = agreement(demo, 12);
    let float_score = fresh.score(&demo.model).unwrap().primary;
    let score = fresh.score(&chosen).unwrap().primary;
    assert!(score >= (1.0 - max_drop) * float_score, "score {score}");
    // Every float group was needed: back in INT8, any one of them breaks the budget.
    for group in &choice.float_layers {
        let fewer: HashSet<String> = choice
            .float_layers
            .iter()
            .filter(|g| *g != group)
            .cloned()
            .collect();
        let (model, _) = quantize_model(
            &demo.model,
            GroupSelection::AllExcept(&fewer),
            &demo.amax,
            Target::OrtCpu,
        )
        .unwrap();
        let without = fresh.score(&model).unwrap().primary;
        assert!(
            without < (1.0 - max_drop) * float_score,
            "`{group}` was not needed: {without} without it"
        );
    }
}

#[test]
fn the_sweep_is_monotone_and_nested_along_its_greedy_path() {
    let demo = demo();
    let ranking = proxy_ranking(demo);
    let space = ort_cpu_space(demo, &ranking);
    let bench = BenchConfig {
        batch_sizes: vec![1],
        warmup_runs: 0,
        timed_runs: 1,
        ..BenchConfig::default()
    };
    let points = sweep(
        &space,
        &[1, 2, 4],
        &mut agreement(demo, 8),
        &bench,
        &mut |_| {},
    )
    .unwrap();
    let path: Vec<_> = points
        .iter()
        .filter(|p| matches!(p.kind, PointKind::FullInt8 | PointKind::Partial))
        .collect();
    assert!(path.len() >= 2, "no revert helped: {points:?}");
    for pair in path.windows(2) {
        let (fewer, more) = (pair[0], pair[1]);
        assert!(more.keep_float > fewer.keep_float);
        assert!(
            more.score.primary > fewer.score.primary,
            "{} scores {} after {} scored {}",
            more.label,
            more.score.primary,
            fewer.label,
            fewer.score.primary
        );
        assert!(
            fewer
                .float_layers
                .iter()
                .all(|g| more.float_layers.contains(g)),
            "{} is not nested in {}",
            fewer.label,
            more.label
        );
        assert!(
            more.skipped_groups
                .iter()
                .all(|g| !more.float_layers.contains(g))
        );
    }
    assert!(points.iter().all(|p| {
        p.throughput
            .iter()
            .all(|t| t.min_ms <= t.median_ms && t.median_ms <= t.max_ms)
    }));
}

#[test]
fn every_exported_file_loads_and_runs_at_its_batch_size() {
    let demo = demo();
    let ranking: Vec<String> = model_layers(&demo.model)
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    let float = float_groups(&ranking, FloatSelection::KeepFloat(3)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for target in [Target::TensorRt, Target::OrtCpu] {
        let (partial, _) = quantize_model(
            &demo.model,
            GroupSelection::AllExcept(&float),
            &demo.amax,
            target,
        )
        .unwrap();
        for batch in [1usize, 32] {
            let path = dir
                .path()
                .join(format!("nanodet_partial_{target}_bs{batch}.onnx"));
            save_model(
                &retarget_batch(&partial, BatchSize::Fixed(batch as i64)).unwrap(),
                &path,
                &SaveOptions::default(),
            )
            .unwrap();
            let reloaded = load_model(&path).unwrap();
            let mut session =
                session_from_bytes(&encode_model(&reloaded), &SessionConfig::default()).unwrap();
            let input = ndarray::Array4::<f32>::zeros((batch, 3, 416, 416)).into_dyn();
            let outputs = run_f32(&mut session, "input_1:0", input.view(), &[]).unwrap();
            assert_eq!(outputs.len(), 6);
            assert!(
                outputs.values().all(|o| o.shape()[0] == batch),
                "{target} bs{batch}"
            );
        }
    }
}
