//! The partial-quantization benchmark on the demo NanoDet, on this machine's CPU:
//!
//! 1. calibrate on `data/images/calib` (entropy);
//! 2. rank layers one-on by agreement mAP on `data/images/val`, and by the output-fidelity
//!    proxy on the first 4 val images; report both times, their Spearman correlation, and
//!    how reliable each ranking is (its rankings on even and on odd images compared);
//! 3. search `--max-drop 0.02` (agreement >= 98% of float) for the `ort-cpu` target;
//! 4. benchmark FP32, full INT8 and the chosen partial model side by side at batch 1 and 32.
//!
//! Run: `cargo run --release -p qbound-engine --example partial_quant_bench`.

use std::path::Path;
use std::time::Instant;

use qbound_engine::bench::{BenchConfig, BenchModel, benchmark};
use qbound_engine::calibrate::{CalibrationMethod, calibrate_model};
use qbound_engine::evaluate::{DetectionScorer, EvalImages};
use qbound_engine::images::list_images;
use qbound_engine::onnx::load_model;
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, Target, quantize_model};
use qbound_engine::runtime::SessionConfig;
use qbound_engine::sensitivity::{
    OutputFidelity, SearchSpace, SensitivityMode, layer_sensitivity, search_max_drop,
    spearman_rank_correlation,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let model = load_model(&data.join("nanodet-coco-416.onnx"))?;
    let profile = Profile::by_name_or_file("nanodet")?;
    let input = profile.input_name(&model)?;
    let calib_files = list_images(&data.join("images/calib"))?;
    let val_files = list_images(&data.join("images/val"))?;
    let session = SessionConfig::default();
    let target = Target::OrtCpu;

    let start = Instant::now();
    let batches = profile.input_batches(&calib_files, 8);
    let table = calibrate_model(
        &model,
        &input,
        batches,
        CalibrationMethod::Entropy,
        "demo",
        &mut |_| {},
    )?;
    let amax = table.calibration();
    println!(
        "calibration: {} images, {} tensors, {:.1} s",
        table.images,
        table.tensors.len(),
        start.elapsed().as_secs_f64()
    );

    let images = EvalImages::load(&profile, &val_files, 8)?;
    let mut agreement =
        DetectionScorer::agreement(&model, profile.clone(), images.clone(), session.clone())?;
    let by_agreement = layer_sensitivity(
        &model,
        &amax,
        target,
        SensitivityMode::OneOn,
        &mut agreement,
        &mut |_, _, _| {},
    )?;
    let proxy_batches = profile
        .input_batches(&val_files[..4], 4)
        .collect::<qbound_engine::Result<Vec<_>>>()?;
    let mut proxy = OutputFidelity::new(&model, &input, proxy_batches, session.clone())?;
    let by_proxy = layer_sensitivity(
        &model,
        &amax,
        target,
        SensitivityMode::OneOn,
        &mut proxy,
        &mut |_, _, _| {},
    )?;
    let rho = spearman_rank_correlation(&by_agreement, &by_proxy).unwrap_or(f64::NAN);
    println!(
        "sensitivity one-on: agreement {:.1} s ({} images), proxy {:.1} s (4 images): proxy costs {:.3} of agreement; Spearman {:.3}",
        by_agreement.seconds,
        val_files.len(),
        by_proxy.seconds,
        by_proxy.seconds / by_agreement.seconds,
        rho
    );
    println!(
        "agreement ranking, even vs odd val photos: Spearman {:.3}, reliability {:.3}; proxy ranking: reliability {:.3}",
        by_agreement.split_half_correlation.unwrap_or(f64::NAN),
        by_agreement.reliability.unwrap_or(f64::NAN),
        by_proxy.reliability.unwrap_or(f64::NAN)
    );
    println!(
        "most sensitive (agreement): {:?}",
        by_agreement
            .ranking()
            .iter()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
    );

    let ranking = by_agreement.ranking();
    let space = SearchSpace {
        model: &model,
        ranges: &amax,
        target,
        ranking: &ranking,
    };
    let mut search =
        DetectionScorer::agreement(&model, profile.clone(), images.clone(), session.clone())?;
    let start = Instant::now();
    let choice = search_max_drop(&space, 0.02, &mut search, &mut agreement, &mut |_, _| {})?;
    println!(
        "max-drop 0.02: keep {} float {:?}; agreement {:.4} (float {:.4}, drop {:.2}%), {:.1} s",
        choice.keep_float,
        choice.float_layers,
        choice.score.primary,
        choice.float_score.primary,
        choice.drop * 100.0,
        start.elapsed().as_secs_f64()
    );

    let (partial, _) = quantize_model(&model, choice.selection(), &amax, target)?;
    let (full, _) = quantize_model(&model, GroupSelection::All, &amax, target)?;
    let full_agreement = agreement.summary(&full)?.map();
    println!("full INT8 agreement mAP {full_agreement:.4}");
    let models = vec![
        BenchModel {
            label: "fp32".into(),
            model: model.clone(),
        },
        BenchModel {
            label: "int8".into(),
            model: full,
        },
        BenchModel {
            label: format!("partial_k{}", choice.keep_float),
            model: partial,
        },
    ];
    let config = BenchConfig {
        batch_sizes: vec![1, 32],
        warmup_runs: 2,
        timed_runs: 7,
        session,
    };
    let results = benchmark(&models, &config, &mut |_, _| {})?;
    for r in &results {
        let fp32 = results
            .iter()
            .find(|x| x.label == "fp32" && x.batch_size == r.batch_size)
            .map_or(1.0, |x| x.images_per_second);
        println!(
            "bench {:<12} bs{:<3} median {:>8.1} ms  {:>7.1} img/s  {:.2}x fp32",
            r.label,
            r.batch_size,
            r.median_ms,
            r.images_per_second,
            r.images_per_second / fp32
        );
    }
    Ok(())
}
