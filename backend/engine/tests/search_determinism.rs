//! The max-drop search on the real demo detector gives the same float set on every run, on a
//! quiet machine and beside busy threads alike, and its report rebuilds the same model.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ranges.rs"]
mod ranges;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use qbound_engine::calibrate::Calibration;
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::images::list_images;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{Target, quantize_model};
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::{
    MaxDropChoice, MaxDropOutcome, OutputFidelity, SearchSpace, SensitivityMode, layer_sensitivity,
    search_max_drop,
};

use common::fixture;
use ranges::max_calibrated;

struct Demo {
    model: ModelProto,
    ranges: Calibration,
    profile: Profile,
    val: Vec<PathBuf>,
}

fn demo() -> Demo {
    let (model, ranges) = max_calibrated("data/nanodet-coco-416.onnx", "data/images/calib", 4);
    Demo {
        model,
        ranges,
        profile: Profile::by_name_or_file("nanodet").unwrap(),
        val: list_images(&fixture("data/images/val")).unwrap(),
    }
}

/// The demo's `ort-cpu` groups ranked one-on by the output-fidelity proxy on one image.
fn ranking(demo: &Demo) -> Vec<String> {
    let input = demo.profile.input_name(&demo.model).unwrap();
    let batch = demo
        .profile
        .load_batch(&demo.val[..1])
        .unwrap()
        .0
        .into_dyn();
    let mut proxy =
        OutputFidelity::new(&demo.model, &input, vec![batch], SessionConfig::default()).unwrap();
    layer_sensitivity(
        &demo.model,
        &demo.ranges,
        Target::OrtCpu,
        SensitivityMode::OneOn,
        &mut proxy,
        &mut |_, _, _| {},
    )
    .unwrap()
    .ranking()
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

fn search(demo: &Demo, ranking: &[String]) -> MaxDropChoice {
    let space = SearchSpace {
        model: &demo.model,
        ranges: &demo.ranges,
        target: Target::OrtCpu,
        ranking,
    };
    let (mut search, mut verify) = (agreement(demo, 3), agreement(demo, 6));
    let choice = search_max_drop(&space, 0.05, &mut search, &mut verify, &mut |_, _| {}).unwrap();
    eprintln!(
        "{:?}: {} float, {} steps, {:?}",
        choice.outcome,
        choice.keep_float,
        choice.search_steps.len(),
        choice.speed_check
    );
    choice
}

/// Runs `work` while as many threads as the machine has cores spin beside it.
fn under_load<T>(work: impl FnOnce() -> T) -> T {
    let stop = AtomicBool::new(false);
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
                }
            });
        }
        let result = work();
        stop.store(true, Ordering::Relaxed);
        result
    })
}

/// What a search decided, without the timings it recorded beside it.
#[derive(Debug, PartialEq)]
struct Decisions {
    outcome: MaxDropOutcome,
    float_layers: Vec<String>,
    /// Each scored step: the group it reverted and whether it was kept.
    steps: Vec<(Option<String>, bool)>,
}

fn decisions(choice: &MaxDropChoice) -> Decisions {
    Decisions {
        outcome: choice.outcome,
        float_layers: choice.float_layers.clone(),
        steps: choice
            .search_steps
            .iter()
            .map(|s| (s.group.clone(), s.kept))
            .collect(),
    }
}

#[test]
fn the_max_drop_search_chooses_the_same_float_set_on_a_quiet_and_on_a_busy_machine() {
    let demo = demo();
    let ranking = ranking(&demo);
    let first = search(&demo, &ranking);
    let second = search(&demo, &ranking);
    let busy = under_load(|| search(&demo, &ranking));
    assert_eq!(decisions(&first), decisions(&second));
    assert_eq!(decisions(&first), decisions(&busy));
    let costs = |c: &MaxDropChoice| c.group_costs.clone().unwrap();
    assert_eq!(costs(&first).macs, costs(&busy).macs, "work is not timed");
    assert!(costs(&first).macs.values().any(|&m| m > 0));
    assert_eq!(costs(&first).input_seed, costs(&busy).input_seed);
    if first.outcome != MaxDropOutcome::Float {
        assert!(
            first.speed_check.as_ref().is_some_and(|c| c.faster),
            "{first:?}"
        );
    }

    // The report, read back, rebuilds the same model without searching.
    let replayed: MaxDropChoice =
        serde_json::from_str(&serde_json::to_string(&first).unwrap()).unwrap();
    assert_eq!(decisions(&replayed), decisions(&first));
    let groups = |choice: &MaxDropChoice| {
        quantize_model(
            &demo.model,
            choice.selection(),
            &demo.ranges,
            Target::OrtCpu,
        )
        .unwrap()
        .1
        .float_groups
    };
    assert_eq!(groups(&replayed), groups(&first));
}
