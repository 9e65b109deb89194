//! Partial quantization: per-layer sensitivity, the float/INT8 boundary, the max-drop search
//! and the accuracy-throughput sweep.

mod boundary;
mod measure;
mod score;
mod search;
mod sweep;

pub use boundary::{quantized_layers, read_ranking, sensitivity_text, FloatSelection};
pub use measure::{layer_sensitivity, LayerSensitivity, SensitivityMode, SensitivityReport};
pub use score::{OutputFidelity, Score, Scorer};
pub use search::{search_max_drop, MaxDropChoice, SearchSpace};
pub use sweep::{mark_pareto_frontier, sweep, PointKind, Throughput, TradeoffPoint};
