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
    static PROFILES: AtomicUsize = AtomicUsize::new(0);
    let prefix = std::env::temp_dir().join(format!(
        "qbound-profile-{}-{}",
        std::process::id(),
        PROFILES.fetch_add(1, Ordering::Relaxed)
    ));
    let mut builder = Session::builder(environment()?)?
        .with_optimization_level(GraphOptimizationLevel::All)
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
    for _ in 0..=runs {
        let tensor = TensorRef::from_array_view(values.view())?;
        session.run(ort::inputs![input => tensor])?;
    }
    let path = session.end_profiling()?;
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e));
    let _ = std::fs::remove_file(&path);
    let events: Vec<TraceEvent> = serde_json::from_str(&text?)
        .map_err(|e| Error::Runtime(format!("cannot read ONNX Runtime's profile: {e}")))?;
    let mut durations = BTreeMap::<String, Vec<f64>>::new();
    for event in events.iter().filter(|e| e.cat == "Node") {
        if let Some(node) = event.name.strip_suffix("_kernel_time") {
            durations
                .entry(node.to_owned())
                .or_default()
                .push(event.dur / 1000.0);
        }
    }
    Ok(durations
        .into_iter()
        .map(|(node, mut times)| {
            times.sort_by(f64::total_cmp);
            (node, times[times.len() / 2])
        })
        .collect())
}
