//! The accuracy-recovery passes on real fixture models through ONNX Runtime: each makes the
//! full-INT8 model's outputs closer to the float model's on images it never saw, the float
//! model is untouched, and the same inputs give the same table.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use ndarray::ArrayD;
use qbound_engine::calibrate::{CalibrationMethod, CalibrationTable, calibrate_model};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::profile::{Profile, infer_profile};
use qbound_engine::quantize::{GroupSelection, Target, quantize_model};
use qbound_engine::recover::{RecoveryPass, recover};
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::{OutputFidelity, Scorer};

use common::fixture;

/// A fixture family, calibrated by percentile on its first calibration images.
struct Calibrated {
    model: ModelProto,
    input: String,
    batches: Vec<ArrayD<f32>>,
    table: CalibrationTable,
    held_out: Vec<ArrayD<f32>>,
}

fn calibrated(model: &str, calib: &str, val: &str, images: usize) -> Calibrated {
    let model = load_model(&fixture(model)).unwrap();
    let profile = infer_profile(&model).unwrap();
    let input = profile.input_name(&model).unwrap();
    let batches = batches_from(&profile, calib, images);
    let table = calibrate_model(
        &model,
        &input,
        batches.iter().cloned().map(Ok),
        CalibrationMethod::Percentile(99.999),
        "test",
        &mut |_| {},
    )
    .unwrap();
    Calibrated {
        held_out: batches_from(&profile, val, 4),
        model,
        input,
        batches,
        table,
    }
}

fn batches_from(profile: &Profile, folder: &str, count: usize) -> Vec<ArrayD<f32>> {
    let files: Vec<PathBuf> = list_images(&fixture(folder))
        .unwrap()
        .into_iter()
        .take(count)
        .collect();
    profile
        .input_batches(&files, 2)
        .collect::<Result<_, _>>()
        .unwrap()
}

impl Calibrated {
    /// The table after `passes`.
    fn recovered(&self, passes: &[RecoveryPass]) -> CalibrationTable {
        let mut table = self.table.clone();
        recover(
            &mut table,
            &self.model,
            &self.input,
            &self.batches,
            passes,
            &mut |_| {},
        )
        .unwrap();
        table
    }

    /// The pooled output signal-to-noise ratio (dB) of the full-INT8 `ort-cpu` model with
    /// `table`, on the held-out images.
    fn held_out_snr(&self, table: &CalibrationTable) -> f64 {
        let (quantized, _) = quantize_model(
            &self.model,
            GroupSelection::All,
            &table.calibration(),
            Target::OrtCpu,
        )
        .unwrap();
        let mut fidelity = OutputFidelity::new(
            &self.model,
            &self.input,
            self.held_out.clone(),
            SessionConfig::default(),
        )
        .unwrap();
        fidelity.score(&quantized).unwrap().secondary
    }
}

#[test]
fn each_pass_brings_the_demo_models_int8_outputs_closer_on_held_out_photos() {
    let demo = calibrated(
        "data/nanodet-coco-416.onnx",
        "data/images/calib",
        "data/images/val",
        8,
    );
    let none = demo.held_out_snr(&demo.table);
    let ranges = demo.held_out_snr(&demo.recovered(&[RecoveryPass::Ranges]));
    let both = demo.held_out_snr(&demo.recovered(&[RecoveryPass::Ranges, RecoveryPass::Bias]));
    eprintln!(
        "demo held-out output SNR: none {none:.2} dB, ranges {ranges:.2}, ranges+bias {both:.2}"
    );
    assert!(ranges > none, "ranges {ranges:.2} dB vs none {none:.2} dB");
    assert!(
        both > ranges + 1.0,
        "ranges+bias {both:.2} dB vs ranges {ranges:.2} dB"
    );
}

#[test]
fn adaptive_rounding_brings_the_demo_models_int8_outputs_closer_on_held_out_photos() {
    let demo = calibrated(
        "data/nanodet-coco-416.onnx",
        "data/images/calib",
        "data/images/val",
        8,
    );
    let none = demo.held_out_snr(&demo.table);
    let rounded = demo.recovered(&[RecoveryPass::Adaround]);
    let gain = rounded.recovery.rounding_gain.unwrap();
    assert!(gain.flipped > 0 && gain.chosen_error < gain.nearest_error);
    let adaround = demo.held_out_snr(&rounded);
    eprintln!("demo held-out output SNR: none {none:.2} dB, adaround {adaround:.2}");
    assert!(
        adaround > none,
        "adaround {adaround:.2} dB vs none {none:.2} dB"
    );
}

#[test]
fn the_ranges_pass_helps_a_hard_swish_family_and_leaves_the_float_model_alone() {
    let picodet = calibrated(
        "data/models/picodet-layout-cdla.onnx",
        "data/pages/calib",
        "data/pages/val",
        2,
    );
    let before = qbound_engine::onnx::encode_model(&picodet.model);
    let table = picodet.recovered(&[RecoveryPass::Ranges]);
    assert_eq!(qbound_engine::onnx::encode_model(&picodet.model), before);
    let clipped = table.tensors.values().filter(|r| r.clip.is_some()).count();
    assert!(clipped > 0, "no tensor got new bounds");
    let none = picodet.held_out_snr(&picodet.table);
    let ranges = picodet.held_out_snr(&table);
    eprintln!(
        "picodet held-out output SNR: none {none:.2} dB, ranges {ranges:.2} ({clipped} tensors)"
    );
    assert!(ranges > none, "ranges {ranges:.2} dB vs none {none:.2} dB");
}

#[test]
fn the_same_inputs_give_the_same_recovered_table() {
    let demo = calibrated(
        "data/nanodet-coco-416.onnx",
        "data/images/calib",
        "data/images/val",
        4,
    );
    let passes = [
        RecoveryPass::Ranges,
        RecoveryPass::Adaround,
        RecoveryPass::Bias,
    ];
    let first = demo.recovered(&passes);
    assert_eq!(first, demo.recovered(&passes));
    assert_eq!(first.recovery.passes, passes.to_vec());
    assert!(!first.recovery.bias.is_empty());
    assert!(!first.recovery.rounding.is_empty());
    let none = demo.recovered(&[]);
    assert!(none.recovery.is_empty());
    assert!(none.tensors.values().all(|r| r.clip.is_none()));
}
