//! `qbound inspect MODEL`.

use std::path::PathBuf;

use anyhow::Context;
use qbound_engine::onnx::proto::ValueInfoProto;
use qbound_engine::onnx::{default_opset, graph_inputs, load_model, tensor_shape};
use qbound_engine::profile::{Normalization, OutputLayout, Profile, ResizeMode, infer_profile};
use qbound_engine::quantize::{decode_tail_ops, model_layers};
use serde::Serialize;

use super::output::print_json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The ONNX model.
    #[arg(value_name = "MODEL")]
    model: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Tensor {
    name: String,
    shape: Vec<String>,
}

#[derive(Serialize)]
struct Inspection {
    opset: Option<i64>,
    inputs: Vec<Tensor>,
    outputs: Vec<Tensor>,
    /// The built-in profile the model implies, fitted to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<Profile>,
    /// Why no profile could be inferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_error: Option<String>,
    layers: Vec<qbound_engine::layers::Layer>,
    /// The ops of the decode tail, which stay float unless asked otherwise.
    decode_tail: Vec<String>,
}

fn describe(value: &ValueInfoProto) -> Tensor {
    Tensor {
        name: value.name.clone().unwrap_or_default(),
        shape: tensor_shape(value),
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let graph = model.graph.as_ref().context("the model has no graph")?;
    let (profile, profile_error) = match infer_profile(&model) {
        Ok(profile) => (Some(profile), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let inspection = Inspection {
        opset: default_opset(&model),
        inputs: graph_inputs(graph).into_iter().map(describe).collect(),
        outputs: graph.output.iter().map(describe).collect(),
        profile,
        profile_error,
        layers: model_layers(&model)?,
        decode_tail: decode_tail_ops(&model)?,
    };
    if args.json {
        return print_json(&inspection);
    }
    println!(
        "{}  (opset {})",
        args.model.display(),
        inspection.opset.map_or("?".into(), |v| v.to_string())
    );
    for (kind, tensors) in [
        ("input", &inspection.inputs),
        ("output", &inspection.outputs),
    ] {
        for t in tensors {
            println!("  {kind:<6} {}  [{}]", t.name, t.shape.join(", "));
        }
    }
    match (&inspection.profile, &inspection.profile_error) {
        (Some(profile), _) => println!("{}", describe_profile(profile)),
        (None, Some(reason)) => println!("profile: none inferred: {reason}"),
        (None, None) => {}
    }
    println!("{} quantizable layers:", inspection.layers.len());
    for layer in &inspection.layers {
        let shape: Vec<String> = layer.weight_shape.iter().map(ToString::to_string).collect();
        println!(
            "  {:>3}  {:<14} {:<32} weight [{}]  {} params",
            layer.position,
            layer.op,
            layer.name,
            shape.join("x"),
            layer.parameters
        );
    }
    let mut tail: Vec<(String, usize)> = Vec::new();
    for op in &inspection.decode_tail {
        match tail.iter_mut().find(|(seen, _)| seen == op) {
            Some((_, count)) => *count += 1,
            None => tail.push((op.clone(), 1)),
        }
    }
    let tail: Vec<String> = tail
        .iter()
        .map(|(op, count)| format!("{count} {op}"))
        .collect();
    println!(
        "decode tail (stays float; `qbound quantize --quantize-decode-tail` includes it): {} ops{}{}",
        inspection.decode_tail.len(),
        if tail.is_empty() { "" } else { ": " },
        tail.join(", ")
    );
    Ok(())
}

/// The inferred profile in a few lines: how images are fed, how outputs are read, the classes.
fn describe_profile(profile: &Profile) -> String {
    let input = &profile.input;
    let resize = match input.resize {
        ResizeMode::Stretch => "resized".to_owned(),
        ResizeMode::Letterbox { pad, anchor } => {
            format!("letterboxed (pad {pad}, {anchor:?})").to_lowercase()
        }
    };
    let scaling = match input.normalization {
        Normalization::None => "0-255".to_owned(),
        Normalization::Scale { factor } if ((1.0 / factor).round() - 1.0 / factor).abs() < 1e-3 => {
            format!("/ {}", (1.0 / factor).round())
        }
        Normalization::Scale { factor } => format!("x {factor}"),
        Normalization::MeanStd { mean, std } => format!("mean {mean:?} std {std:?}"),
    };
    let output = match &profile.output {
        OutputLayout::BoxesWithObjectness { .. } => "[B, N, 5 + C] boxes with objectness".into(),
        OutputLayout::Boxes { .. } => "[B, N, 4 + C] boxes".into(),
        OutputLayout::BoxesChannelsFirst { .. } => "[B, 4 + C, N] boxes".into(),
        OutputLayout::YoloxGrid { strides, .. } => format!("raw YOLOX grid, strides {strides:?}"),
        OutputLayout::Gfl { levels } => format!(
            "GFL levels {}",
            levels
                .iter()
                .map(|l| format!("{} ({} + {})", l.stride, l.scores, l.distributions))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let shown: Vec<&str> = profile.classes.iter().take(8).map(String::as_str).collect();
    let more = profile.classes.len().saturating_sub(shown.len());
    format!(
        "profile: `{}` (inferred)\n  input  {}x{} {resize}, {:?}, {scaling}\n  output {output}\n  {} classes: {}{}",
        profile.name,
        input.width,
        input.height,
        input.channel_order,
        profile.classes.len(),
        shown.join(", "),
        if more > 0 { format!(", ... ({more} more)") } else { String::new() }
    )
    .replace("Rgb", "RGB")
    .replace("Bgr", "BGR")
}
