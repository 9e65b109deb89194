//! The quantize job: the point's float set (none, the K most sensitive layers, or the
//! smallest set within a max drop), the model quantized and exported per batch size, and a
//! JSON report.

use qbound_engine::calibrate::{Calibration, CalibrationTable};
use qbound_engine::pipeline::{
    ExportTarget, FloatSet, accuracy_scorer, export_batches, quantize_point,
};
use qbound_engine::quantize::Target;
use qbound_engine::sensitivity::{
    FloatSelection, GreedyPath, MaxDropChoice, SearchSpace, read_ranking, search_max_drop,
};
use qbound_shared::{ArtifactKind, Boundary};
use serde::Serialize;

use super::{JobOutput, OutputArtifact, SCORING_BATCH, Task, file_name, write_json};
use crate::error::{Error, Result};
use crate::run::ToEngine;
use crate::run::config::file_tag;
use crate::run::files::{JobFile, export_name, report_name};
use crate::run::protocol::JobResult;
use crate::worker::job_dir::{Dataset, first_images};

/// What the point's report file says: for a max-drop point, the search's choice with what
/// it was based on (the cost table, the speed check).
#[derive(Serialize)]
struct Report<'a> {
    label: &'a str,
    target: Target,
    files: Vec<String>,
    quantized_layers: &'a [String],
    float_layers: &'a [String],
    /// The groups left float, in model order: what `qbound quantize --replay` rebuilds.
    float_groups: &'a [String],
    activation_quantizers: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_drop: Option<&'a MaxDropChoice>,
}

pub(super) fn run(task: &Task<'_>) -> Result<JobOutput> {
    let target = task.config.target.to_engine();
    let amax = CalibrationTable::load(&task.dir.path(JobFile::CalibrationTable))?.calibration();
    let float = choose_float_set(task, &amax, target)?;
    let control = task.control;
    control.progress(0.5, format!("quantizing for `{target}`"));
    let (quantized, report) = quantize_point(&task.model, &float, &amax, target)?;
    let stem = &task.job.params.artifact_stem;
    let keep_float = float
        .max_drop()
        .map(|c| c.keep_float)
        .or(task.job.params.keep_float);
    let tag = file_tag(&task.config.boundary, keep_float);
    let sizes = &task.config.export_batch_sizes;
    let targets: Vec<ExportTarget> = sizes
        .iter()
        .map(|size| {
            let batch = size.to_engine();
            ExportTarget {
                batch,
                path: task.dir.named(&export_name(stem, &tag, batch)),
            }
        })
        .collect();
    let total = targets.len() as f64;
    export_batches(&quantized, &targets, &mut |done, path| {
        control.progress(
            0.5 + 0.5 * done as f64 / total,
            format!("exported `{}`", file_name(path)),
        );
        control.check()
    })?;
    let mut artifacts: Vec<OutputArtifact> = targets
        .into_iter()
        .zip(sizes)
        .map(|(t, &size)| OutputArtifact::export(ArtifactKind::Onnx, t.path, size))
        .collect();
    let report_path = task.dir.named(&report_name(stem, &tag));
    let written = Report {
        label: &task.job.label,
        target,
        files: artifacts.iter().map(|a| a.name.clone()).collect(),
        quantized_layers: &report.quantized_layers,
        float_layers: &report.float_layers,
        float_groups: &report.float_groups,
        activation_quantizers: report.activation_quantizers,
        max_drop: float.max_drop(),
    };
    write_json(&report_path, &written)?;
    artifacts.push(OutputArtifact::at(ArtifactKind::Report, report_path));
    Ok(JobOutput {
        result: JobResult::Quantize {
            float_layers: float.float_layers(&report),
            quantized_layers: report.quantized_layers,
            drop: float.max_drop().map(|c| c.drop),
        },
        artifacts,
    })
}

/// The groups that stay float: a count from the ranking, or a max-drop search's choice
/// (searched on half the validation images, verified on all).
fn choose_float_set(task: &Task<'_>, amax: &Calibration, target: Target) -> Result<FloatSet> {
    let ranking = || read_ranking(&task.dir.path(JobFile::SensitivityText));
    if let Some(keep) = task.job.params.keep_float {
        if keep == 0 {
            return Ok(FloatSet::None);
        }
        let path_file = task.dir.path(JobFile::GreedyPath);
        if path_file.is_file() {
            let path: GreedyPath = serde_json::from_slice(&std::fs::read(&path_file)?)
                .map_err(|e| Error::Unprocessable(format!("unreadable greedy path: {e}")))?;
            return Ok(FloatSet::Ranked(path.float_set(keep)));
        }
        return Ok(FloatSet::ranked(
            &ranking()?,
            FloatSelection::KeepFloat(keep),
        )?);
    }
    let Boundary::MaxDrop { max_drop } = task.config.boundary else {
        return Err(Error::Unprocessable(
            "a quantize job needs a count of float layers".into(),
        ));
    };
    let ranking = ranking()?;
    let model = &task.model;
    let profile = task.profile()?;
    let contents = task
        .dir
        .required_dataset(Dataset::Validation, "a max-drop search")?;
    let files = first_images(&contents, None)?;
    let annotations = contents.annotations.as_deref();
    let scorer = |files| accuracy_scorer(model, &profile, files, annotations, SCORING_BATCH);
    let mut search = scorer(&files[..files.len().div_ceil(2)])?;
    let mut verify = scorer(&files)?;
    let space = SearchSpace {
        model,
        ranges: amax,
        target,
        ranking: &ranking,
    };
    let control = task.control;
    let choice = search_max_drop(
        &space,
        max_drop,
        &mut control.scorer(&mut search),
        &mut control.scorer(&mut verify),
        &mut |keep, score| {
            control.progress(0.25, format!("{keep} layers float: {:.4}", score.primary))
        },
    )?;
    control.progress(
        0.45,
        format!(
            "chose {} float layers (drop {:.2}%)",
            choice.keep_float,
            choice.drop * 100.0
        ),
    );
    Ok(FloatSet::from(choice))
}
