//! `qbound inspect MODEL`.

use std::path::PathBuf;

use anyhow::Context;
use qbound_engine::onnx::proto::{
    ValueInfoProto, tensor_shape_proto::dimension::Value as Dim, type_proto,
};
use qbound_engine::onnx::{default_opset, graph_inputs, load_model};
use qbound_engine::quantize::model_layers;
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
    layers: Vec<qbound_engine::layers::Layer>,
}

fn describe(value: &ValueInfoProto) -> Tensor {
    let shape = match value.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(t)) => t
            .shape
            .as_ref()
            .map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(Dim::DimValue(v)) => v.to_string(),
                        Some(Dim::DimParam(p)) => p.clone(),
                        None => "?".into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Tensor {
        name: value.name.clone().unwrap_or_default(),
        shape,
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let graph = model.graph.as_ref().context("the model has no graph")?;
    let inspection = Inspection {
        opset: default_opset(&model),
        inputs: graph_inputs(graph).into_iter().map(describe).collect(),
        outputs: graph.output.iter().map(describe).collect(),
        layers: model_layers(&model)?,
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
    Ok(())
}
