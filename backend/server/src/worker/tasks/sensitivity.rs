//! The sensitivity job: every layer scored alone (one-on) or left out (one-off), ranked,
//! written as the seed's text file and as JSON.

use qbound_engine::calibrate::{Calibration, CalibrationTable};
use qbound_engine::pipeline::{accuracy_scorer, build_scorer};
use qbound_engine::quantize::{GroupSelection, quantize_model};
use qbound_engine::sensitivity::{
    GreedyPath, SearchSpace, SensitivityMode, SensitivityReport, greedy_path, layer_sensitivity,
    sensitivity_text,
};
use qbound_shared::{ArtifactKind, Boundary, Metric};

use super::{JobOutput, OutputArtifact, SCORING_BATCH, Task, write_json};
use crate::error::{Error, Result};
use crate::run::ToEngine;
use crate::run::files::JobFile;
use crate::run::protocol::{JobResult, LayerScore};
use crate::worker::job_dir::first_images;

/// Images the proxy scores on when the run does not say.
const PROXY_IMAGES: usize = 8;

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let settings = task
        .config
        .sensitivity
        .as_ref()
        .ok_or_else(|| Error::Unprocessable("the run has no sensitivity settings".into()))?;
    let mode = settings.mode.to_engine();
    let target = task.config.target.to_engine();
    let model = &task.model;
    let profile = task.profile()?;
    let amax = CalibrationTable::load(&task.dir.path(JobFile::CalibrationTable))?.calibration();
    let contents = task.dir.scoring_images()?;
    let limit = settings
        .images
        .or((settings.metric == Metric::Proxy).then_some(PROXY_IMAGES));
    let files = first_images(&contents, limit)?;
    let control = task.control;
    control.progress(
        0.0,
        format!(
            "scoring each layer {mode} by `{}` on {} images",
            settings.metric,
            files.len()
        ),
    );
    let mut scorer = build_scorer(
        settings.metric.to_engine(),
        model,
        &profile,
        &files,
        contents.annotations.as_deref(),
        SCORING_BATCH,
    )?;
    let reference = match mode {
        SensitivityMode::OneOn => scorer.score(model)?,
        SensitivityMode::OneOff => {
            let (int8, _) = quantize_model(model, GroupSelection::All, &amax, target)?;
            scorer.score(&int8)?
        }
    };
    let report = layer_sensitivity(
        model,
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
    let text_path = task.dir.path(JobFile::SensitivityText);
    std::fs::write(&text_path, sensitivity_text(&report))?;
    let json_path = task.dir.path(JobFile::SensitivityReport);
    write_json(&json_path, &report)?;
    let mut artifacts = vec![
        OutputArtifact::at(ArtifactKind::Sensitivity, text_path),
        OutputArtifact::at(ArtifactKind::Sensitivity, json_path),
    ];
    if let Boundary::Sweep { keep_float } = &task.config.boundary {
        let longest = keep_float.iter().copied().max().unwrap_or(0);
        if longest > 0 {
            let path = walk_greedy_path(task, &amax, &report.ranking(), longest)?;
            let path_file = task.dir.path(JobFile::GreedyPath);
            write_json(&path_file, &path)?;
            artifacts.push(OutputArtifact::at(ArtifactKind::Sensitivity, path_file));
        }
    }
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
        artifacts,
    })
}

/// The sweep's greedy path up to `longest` float groups, scored like the sweep's points (the
/// run's accuracy metric on every scoring image), so its prefixes never score lower.
fn walk_greedy_path(
    task: &Task<'_>,
    amax: &Calibration,
    ranking: &[String],
    longest: usize,
) -> Result<GreedyPath> {
    let model = &task.model;
    let profile = task.profile()?;
    let contents = task.dir.scoring_images()?;
    let files = first_images(&contents, None)?;
    let mut scorer = accuracy_scorer(
        model,
        &profile,
        &files,
        contents.annotations.as_deref(),
        SCORING_BATCH,
    )?;
    let space = SearchSpace {
        model,
        ranges: amax,
        target: task.config.target.to_engine(),
        ranking,
    };
    let control = task.control;
    Ok(greedy_path(
        &space,
        longest,
        &mut control.scorer(&mut scorer),
        &mut |float, score| {
            control.progress(
                1.0,
                format!("greedy path: {float} groups float, {:.4}", score.primary),
            )
        },
    )?)
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
