//! Exposed runs in parts: a batch run one image at a time (a tiny memory budget) returns the
//! same intermediate tensors as the batch run at once, so calibration's memory bound does
//! not change what it measures.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use ndarray::{ArrayD, Axis, concatenate};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::profile::infer_profile;
use qbound_engine::runtime::ExposedRuns;

use common::fixture;

#[test]
fn a_batch_run_in_parts_returns_what_it_returns_at_once() {
    let model = load_model(&fixture("data/nanodet-coco-416.onnx")).unwrap();
    let profile = infer_profile(&model).unwrap();
    let input = profile.input_name(&model).unwrap();
    let files: Vec<PathBuf> = list_images(&fixture("data/images/calib"))
        .unwrap()
        .into_iter()
        .take(3)
        .collect();
    let batch = profile.input_batches(&files, 3).next().unwrap().unwrap();
    let tensors: Vec<String> = model
        .graph
        .as_ref()
        .unwrap()
        .node
        .iter()
        .filter(|n| n.op_type.as_deref() == Some("Conv"))
        .take(6)
        .map(|n| n.output[0].clone())
        .collect();
    let collect = |budget: usize| {
        let mut runs = ExposedRuns::with_budget(&model, &tensors, budget).unwrap();
        let mut parts: Vec<(usize, Vec<ArrayD<f32>>)> = Vec::new();
        runs.for_each_part(&input, &batch, |part| {
            let values = tensors
                .iter()
                .map(|t| part.tensor(t).cloned())
                .collect::<Result<_, _>>()?;
            parts.push((part.images(), values));
            Ok(())
        })
        .unwrap();
        parts
    };
    let one_by_one = collect(1);
    assert_eq!(
        one_by_one.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 1, 1]
    );
    let at_once = collect(usize::MAX);
    // The first part always measures one image's share; the rest then fit one run.
    assert_eq!(
        at_once.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 2]
    );
    for (t, tensor) in tensors.iter().enumerate() {
        let joined = |parts: &[(usize, Vec<ArrayD<f32>>)]| {
            let views: Vec<_> = parts.iter().map(|(_, v)| v[t].view()).collect();
            concatenate(Axis(0), &views).unwrap()
        };
        let (a, b) = (joined(&one_by_one), joined(&at_once));
        assert_eq!(a.shape()[0], 3, "{tensor}");
        let scale = a.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let worst = a
            .iter()
            .zip(b.iter())
            .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(worst <= 1e-4 * scale, "{tensor}: {worst} (scale {scale})");
    }
}
