//! Per-node kernel times from ONNX Runtime's own profiler, on the CPU provider.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::ArrayViewD;
use ort::session::{Session, builder::GraphOptimizationLevel};
use ort::value::TensorRef;
use serde::Deserialize;

use super::environment;
use crate::{Error, Result};

/// One event of ONNX Runtime's profile (a Chrome trace); only what is read here.
#[derive(Deserialize)]
struct TraceEvent {
    #[serde(default)]
    cat: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    dur: f64,
    #[serde(default)]
    args: NodeArgs,
}

/// What a node event records besides its time: the shapes it read and wrote, by element
/// type (`[{"float": [1, 3, 416, 416]}, …]`).
#[derive(Deserialize, Default)]
struct NodeArgs {
    #[serde(default)]
    op_name: String,
    #[serde(default)]
    input_type_shape: Vec<BTreeMap<String, Vec<i64>>>,
    #[serde(default)]
    output_type_shape: Vec<BTreeMap<String, Vec<i64>>>,
}

/// Runs `model` (fully optimized, as a CPU session runs it) `runs` times on `input` after one
/// warm-up run and returns each node's median kernel time in milliseconds, by the node
/// name ONNX Runtime gives it in its optimized graph (fused nodes get derived names, e.g.
/// `Conv_12_token_3`).
pub fn node_kernel_times(
    model: &[u8],
    input: &str,
    values: ArrayViewD<'_, f32>,
    runs: usize,
    threads: Option<usize>,
) -> Result<BTreeMap<String, f64>> {
    let events = profile(
        model,
        (input, values),
        runs + 1,
        threads,
        GraphOptimizationLevel::All,
    )?;
    let mut durations = BTreeMap::<String, Vec<f64>>::new();
    for (node, event) in node_events(&events) {
        durations
            .entry(node.to_owned())
            .or_default()
            .push(event.dur / 1000.0);
    }
    Ok(durations
        .into_iter()
        .map(|(node, mut times)| {
            times.sort_by(f64::total_cmp);
            (node, times[times.len() / 2])
        })
        .collect())
}

/// Each node's multiply-accumulates in one run of `model` as written (no graph optimization,
/// so the names are the model's own), from the shapes ONNX Runtime records: for `Conv`, the
/// output's elements times each one's kernel volume; for `MatMul` and `Gemm`, the output's
/// elements times the reduced dimension; 0 for every other op. Shapes depend only on the
/// model and the input's shape, never on timing.
pub fn node_macs(
    model: &[u8],
    input: &str,
    values: ArrayViewD<'_, f32>,
) -> Result<BTreeMap<String, u64>> {
    let events = profile(
        model,
        (input, values),
        1,
        Some(1),
        GraphOptimizationLevel::Disable,
    )?;
    Ok(node_events(&events)
        .map(|(node, event)| (node.to_owned(), macs(&event.args)))
        .collect())
}

/// Runs a profiling session `runs` times and reads back its events.
fn profile(
    model: &[u8],
    (input, values): (&str, ArrayViewD<'_, f32>),
    runs: usize,
    threads: Option<usize>,
    level: GraphOptimizationLevel,
) -> Result<Vec<TraceEvent>> {
    static PROFILES: AtomicUsize = AtomicUsize::new(0);
    let prefix = std::env::temp_dir().join(format!(
        "qbound-profile-{}-{}",
        std::process::id(),
        PROFILES.fetch_add(1, Ordering::Relaxed)
    ));
    let mut builder = Session::builder(environment()?)?
        .with_optimization_level(level)
        .map_err(ort::Error::from)?
        .with_intra_op_spinning(false)
        .map_err(ort::Error::from)?
        .with_profiling(&prefix)
        .map_err(ort::Error::from)?;
    if let Some(threads) = threads {
        builder = builder
            .with_intra_threads(threads)
            .map_err(ort::Error::from)?;
    }
    let mut session = builder
        .commit_from_memory(model)
        .map_err(|e| Error::Runtime(format!("cannot load the model: {e}")))?;
    for _ in 0..runs {
        let tensor = TensorRef::from_array_view(values.view())?;
        session.run(ort::inputs![input => tensor])?;
    }
    let path = session.end_profiling()?;
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e));
    let _ = std::fs::remove_file(&path);
    serde_json::from_str(&text?)
        .map_err(|e| Error::Runtime(format!("cannot read ONNX Runtime's profile: {e}")))
}

/// The kernel events, by node name.
fn node_events(events: &[TraceEvent]) -> impl Iterator<Item = (&str, &TraceEvent)> {
    events
        .iter()
        .filter(|e| e.cat == "Node")
        .filter_map(|e| Some((e.name.strip_suffix("_kernel_time")?, e)))
}

fn macs(args: &NodeArgs) -> u64 {
    let shape = |shapes: &[BTreeMap<String, Vec<i64>>], i: usize| -> Vec<u64> {
        shapes
            .get(i)
            .and_then(|typed| typed.values().next())
            .map(|dims| dims.iter().map(|&d| d.max(0) as u64).collect())
            .unwrap_or_default()
    };
    let elements = |dims: &[u64]| dims.iter().product::<u64>();
    let output = shape(&args.output_type_shape, 0);
    match args.op_name.as_str() {
        "Conv" => {
            elements(&output)
                * elements(
                    shape(&args.input_type_shape, 1)
                        .get(1..)
                        .unwrap_or_default(),
                )
        }
        "MatMul" | "Gemm" => {
            elements(&output)
                * shape(&args.input_type_shape, 0)
                    .last()
                    .copied()
                    .unwrap_or(0)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(op: &str, inputs: &[&[i64]], output: &[i64]) -> NodeArgs {
        let typed = |dims: &[i64]| BTreeMap::from([("float".to_owned(), dims.to_vec())]);
        NodeArgs {
            op_name: op.to_owned(),
            input_type_shape: inputs.iter().map(|d| typed(d)).collect(),
            output_type_shape: vec![typed(output)],
        }
    }

    #[test]
    fn a_conv_costs_its_output_times_its_kernel_volume() {
        let conv = args(
            "Conv",
            &[&[1, 3, 416, 416], &[32, 3, 3, 3], &[32]],
            &[1, 32, 208, 208],
        );
        assert_eq!(macs(&conv), 32 * 208 * 208 * 27);
        let depthwise = args("Conv", &[&[1, 8, 4, 4], &[8, 1, 3, 3]], &[1, 8, 4, 4]);
        assert_eq!(macs(&depthwise), 8 * 16 * 9);
    }

    #[test]
    fn a_matmul_costs_its_output_times_the_reduced_dimension() {
        let matmul = args("MatMul", &[&[2, 5, 7], &[7, 3]], &[2, 5, 3]);
        assert_eq!(macs(&matmul), 2 * 5 * 3 * 7);
        assert_eq!(macs(&args("Add", &[&[1, 4], &[1, 4]], &[1, 4])), 0);
    }
}
