//! The quantize job: the point's layer set (every layer, the K most sensitive kept float, or
//! the smallest float set within a max drop), quantized and exported per batch size, with a
//! JSON report.

use std::path::Path;

use qbound_engine::calibrate::{ActivationRanges, CalibrationTable};
use qbound_engine::onnx::load_model;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::pipeline::{ExportTarget, FloatSet, export_batches, quantize_point};
use qbound_engine::profile::Profile;
use qbound_engine::quantize::Target;
use qbound_engine::sensitivity::{FloatSelection, MaxDropChoice, SearchSpace, read_ranking};
use qbound_shared::{ArtifactKind, Boundary};
use serde::Serialize;

use super::ToEngine;
use super::config::file_tag;
use super::control::JobControl;
use super::execute::{JobOutput, OutputArtifact};
use super::protocol::{ClaimedJob, JobResult};
use super::scoring::{dataset, detection_scorer, first_images};
use crate::error::{Error, Result};

#[derive(Serialize)]
struct Report<'a> {
    label: &'a str,
    target: Target,
    files: Vec<String>,
    quantized_layers: &'a [String],
    float_layers: &'a [String],
    activation_quantizers: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_drop: Option<&'a MaxDropChoice>,
}

pub(crate) fn quantize(
    job: &ClaimedJob,
    dir: &Path,
    control: &JobControl<'_>,
) -> Result<JobOutput> {
    let config = &job.params.config;
    let target = config.target.to_engine();
    let model = load_model(&dir.join("model.onnx"))?;
    let table = CalibrationTable::load(&dir.join("calibration.json"))?;
    let amax = table.ranges();
    let float = choose_float_set(job, dir, &model, &amax, target, control)?;
    control.progress(0.5, format!("quantizing for `{target}`"));
    let (quantized, report) = quantize_point(&model, &float, &amax, target)?;
    let stem = &job.params.artifact_stem;
    let keep_float = float
        .max_drop()
        .map(|c| c.keep_float)
        .or(job.params.keep_float);
    let tag = file_tag(&config.boundary, keep_float);
    let targets: Vec<ExportTarget> = config
        .export_batch_sizes
        .iter()
        .map(|size| {
            let batch = size.to_engine();
            ExportTarget {
                batch,
                path: dir.join(format!("{stem}_{tag}_bs{batch}.onnx")),
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
        .map(|t| OutputArtifact {
            kind: ArtifactKind::Onnx,
            name: file_name(&t.path),
            path: t.path,
        })
        .collect();
    let report_name = format!("{stem}_{tag}_report.json");
    let report_path = dir.join(&report_name);
    let written = Report {
        label: &job.label,
        target,
        files: artifacts.iter().map(|a| a.name.clone()).collect(),
        quantized_layers: &report.quantized_layers,
        float_layers: &report.float_layers,
        activation_quantizers: report.activation_quantizers,
        max_drop: float.max_drop(),
    };
    std::fs::write(&report_path, crate::db::to_json(&written)?)?;
    artifacts.push(OutputArtifact {
        kind: ArtifactKind::Report,
        name: report_name,
        path: report_path,
    });
    Ok(JobOutput {
        result: JobResult::Quantize {
            float_layers: float.float_layers(&report),
            quantized_layers: report.quantized_layers,
            drop: float.max_drop().map(|c| c.drop),
        },
        artifacts,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The groups that stay float: a count from the ranking, or a max-drop search's choice.
fn choose_float_set(
    job: &ClaimedJob,
    dir: &Path,
    model: &ModelProto,
    amax: &ActivationRanges,
    target: Target,
    control: &JobControl<'_>,
) -> Result<FloatSet> {
    let config = &job.params.config;
    if let Some(keep) = job.params.keep_float {
        if keep == 0 {
            return Ok(FloatSet::None);
        }
        let ranking = read_ranking(&dir.join("sensitivity.txt"))?;
        return Ok(FloatSet::ranked(&ranking, FloatSelection::KeepFloat(keep))?);
    }
    let Boundary::MaxDrop { max_drop } = config.boundary else {
        return Err(Error::Unprocessable(
            "a quantize job needs a count of float layers".into(),
        ));
    };
    let ranking = read_ranking(&dir.join("sensitivity.txt"))?;
    let profile = Profile::for_model(Some(&config.profile), model)?;
    let contents = dataset(dir, "validation")?
        .ok_or_else(|| Error::Unprocessable("a max-drop search needs validation images".into()))?;
    let files = first_images(&contents, None)?;
    let annotations = contents.annotations.as_deref();
    let search_files = &files[..files.len().div_ceil(2)];
    let mut search = detection_scorer(model, &profile, search_files, annotations)?;
    let mut verify = detection_scorer(model, &profile, &files, annotations)?;
    let space = SearchSpace {
        model,
        ranges: amax,
        target,
        ranking: &ranking,
    };
    let float = FloatSet::searched(
        &space,
        max_drop,
        &mut control.scorer(&mut search),
        &mut control.scorer(&mut verify),
        &mut |keep, score| {
            control.progress(0.25, format!("{keep} layers float: {:.4}", score.primary))
        },
    )?;
    if let Some(choice) = float.max_drop() {
        control.progress(
            0.45,
            format!(
                "chose {} float layers (drop {:.2}%)",
                choice.keep_float,
                choice.drop * 100.0
            ),
        );
    }
    Ok(float)
}
