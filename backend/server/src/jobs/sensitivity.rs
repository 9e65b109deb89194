//! The sensitivity job: every layer scored alone (one-on) or left out (one-off), ranked,
//! written as the seed's text file and as JSON.

use std::path::Path;

use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::load_model;
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, quantize_model};
use qbound_engine::sensitivity::{
    SensitivityMode, SensitivityReport, layer_sensitivity, sensitivity_text,
};
use qbound_shared::{ArtifactKind, Metric};

use super::ToEngine;
use super::control::JobControl;
use super::execute::{JobOutput, OutputArtifact};
use super::protocol::{ClaimedJob, JobResult, LayerScore};
use super::scoring::{first_images, scoring_images, sensitivity_scorer};
use crate::error::{Error, Result};

/// Images the proxy scores on when the run does not say.
const PROXY_IMAGES: usize = 8;

pub(crate) fn sensitivity(
    job: &ClaimedJob,
    dir: &Path,
    control: &JobControl<'_>,
) -> Result<JobOutput> {
    let config = &job.params.config;
    let settings = config
        .sensitivity
        .as_ref()
        .ok_or_else(|| Error::Unprocessable("the run has no sensitivity settings".into()))?;
    let mode = settings.mode.to_engine();
    let target = config.target.to_engine();
    let model = load_model(&dir.join("model.onnx"))?;
    let profile = Profile::for_model(Some(&config.profile), &model)?;
    let amax = CalibrationTable::load(&dir.join("calibration.json"))?.ranges();
    let contents = scoring_images(dir)?;
    let limit = settings
        .images
        .or((settings.metric == Metric::Proxy).then_some(PROXY_IMAGES));
    let files = first_images(&contents, limit)?;
    control.progress(
        0.0,
        format!(
            "scoring each layer {} by `{}` on {} images",
            mode,
            settings.metric,
            files.len()
        ),
    );
    let mut scorer = sensitivity_scorer(
        settings.metric,
        &model,
        &profile,
        &files,
        contents.annotations.as_deref(),
    )?;
    let reference = match mode {
        SensitivityMode::OneOn => scorer.score(&model)?,
        SensitivityMode::OneOff => {
            let (int8, _) = quantize_model(&model, GroupSelection::All, &amax, target)?;
            scorer.score(&int8)?
        }
    };
    let report = layer_sensitivity(
        &model,
        &amax,
        target,
        mode,
        &mut control.scorer(scorer.as_mut()),
        &mut |done, total, layer| {
            control.progress(
                done as f64 / total.max(1) as f64,
                format!("{done}/{total} {} {:.4}", layer.name, layer.score.primary),
            )
        },
    )?;
    let text_path = dir.join("sensitivity.txt");
    std::fs::write(&text_path, sensitivity_text(&report))?;
    let json_path = dir.join("sensitivity.json");
    std::fs::write(&json_path, crate::db::to_json(&report)?)?;
    Ok(JobOutput {
        result: JobResult::Sensitivity {
            metric: settings.metric,
            mode: settings.mode,
            reference_score: reference.primary,
            layers: layer_scores(&report, reference.primary),
            seconds: report.seconds,
            split_half_correlation: report.split_half_correlation,
            reliability: report.reliability,
        },
        artifacts: vec![
            OutputArtifact {
                kind: ArtifactKind::Sensitivity,
                name: "sensitivity.txt".into(),
                path: text_path,
            },
            OutputArtifact {
                kind: ArtifactKind::Sensitivity,
                name: "sensitivity.json".into(),
                path: json_path,
            },
        ],
    })
}

/// The report's layers with a sensitivity (higher = suffers more from INT8) and a rank
/// from 1 (most sensitive).
fn layer_scores(report: &SensitivityReport, reference: f64) -> Vec<LayerScore> {
    let count = report.layers.len();
    report
        .layers
        .iter()
        .map(|l| LayerScore {
            name: l.name.clone(),
            op: l.op.clone(),
            position: l.position,
            score: l.score.primary,
            score_secondary: l.score.secondary,
            sensitivity: match report.mode {
                SensitivityMode::OneOn => reference - l.score.primary,
                SensitivityMode::OneOff => l.score.primary - reference,
            },
            rank: count - l.rank,
            seconds: l.seconds,
        })
        .collect()
}
