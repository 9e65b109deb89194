//! The quantize job: the point's layer set (every layer, the K most sensitive kept float, or
//! the smallest float set within a max drop), quantized and exported per batch size, with a
//! JSON report.

use std::collections::HashSet;
use std::path::Path;

use qbound_engine::batch::retarget_batch;
use qbound_engine::calibrate::CalibrationTable;
use qbound_engine::onnx::proto::ModelProto;
use qbound_engine::onnx::{encode_model, load_model};
use qbound_engine::profile::Profile;
use qbound_engine::quantize::{GroupSelection, Target, quantize_model};
use qbound_engine::sensitivity::{
    FloatSelection, MaxDropChoice, SearchSpace, float_groups, read_ranking, search_max_drop,
};
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
    let (float, choice) = choose_float_groups(job, dir, &model, &amax, target, control)?;
    control.progress(0.5, format!("quantizing for `{target}`"));
    let selection = match (&float, &choice) {
        (_, Some(choice)) => choice.selection(),
        (Some(set), None) => GroupSelection::AllExcept(set),
        (None, None) => GroupSelection::All,
    };
    let (quantized, report) = quantize_model(&model, selection, &amax, target)?;
    let stem = &job.params.artifact_stem;
    let tag = file_tag(
        &config.boundary,
        choice
            .as_ref()
            .map(|c| c.keep_float)
            .or(job.params.keep_float),
    );
    let mut artifacts = Vec::new();
    for (i, size) in config.export_batch_sizes.iter().enumerate() {
        control.check()?;
        let batch = size.to_engine();
        let exported = retarget_batch(&quantized, batch)?;
        let name = format!("{stem}_{tag}_bs{batch}.onnx");
        let path = dir.join(&name);
        std::fs::write(&path, encode_model(&exported))?;
        control.progress(
            0.5 + 0.5 * (i + 1) as f64 / config.export_batch_sizes.len() as f64,
            format!("exported `{name}`"),
        );
        artifacts.push(OutputArtifact {
            kind: ArtifactKind::Onnx,
            name,
            path,
        });
    }
    let report_name = format!("{stem}_{tag}_report.json");
    let report_path = dir.join(&report_name);
    let written = Report {
        label: &job.label,
        target,
        files: artifacts.iter().map(|a| a.name.clone()).collect(),
        quantized_layers: &report.quantized_layers,
        float_layers: &report.float_layers,
        activation_quantizers: report.activation_quantizers,
        max_drop: choice.as_ref(),
    };
    std::fs::write(&report_path, crate::db::to_json(&written)?)?;
    artifacts.push(OutputArtifact {
        kind: ArtifactKind::Report,
        name: report_name,
        path: report_path,
    });
    let float_layers = match &choice {
        Some(choice) => choice.float_layers.clone(),
        None => report.float_layers,
    };
    Ok(JobOutput {
        result: JobResult::Quantize {
            quantized_layers: report.quantized_layers,
            float_layers,
            drop: choice.map(|c| c.drop),
        },
        artifacts,
    })
}

/// The groups that stay float (`None`: none), and the search that chose them for a max drop.
fn choose_float_groups(
    job: &ClaimedJob,
    dir: &Path,
    model: &ModelProto,
    amax: &qbound_engine::calibrate::ActivationRanges,
    target: Target,
    control: &JobControl<'_>,
) -> Result<(Option<HashSet<String>>, Option<MaxDropChoice>)> {
    let config = &job.params.config;
    if let Some(keep) = job.params.keep_float {
        if keep == 0 {
            return Ok((None, None));
        }
        let ranking = read_ranking(&dir.join("sensitivity.txt"))?;
        return Ok((
            Some(float_groups(&ranking, FloatSelection::KeepFloat(keep))?),
            None,
        ));
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
    Ok((None, Some(choice)))
}
