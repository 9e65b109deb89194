//! Partial quantization: per-layer sensitivity, the float/INT8 boundary, the max-drop search
//! and the accuracy-throughput sweep.

mod boundary;
mod correlation;
mod cost;
mod measure;
mod path;
mod reverts;
mod score;
mod search;
mod speed_check;
mod sweep;

pub use boundary::{FloatSelection, float_groups, read_ranking, sensitivity_text};
pub use correlation::spearman_rank_correlation;
pub use cost::GroupCosts;
pub use measure::{LayerSensitivity, SensitivityMode, SensitivityReport, layer_sensitivity};
pub use path::{GreedyPath, greedy_path};
pub use score::{OutputFidelity, Score, Scorer};
pub use search::{MaxDropChoice, MaxDropOutcome, SearchSpace, SearchStep, search_max_drop};
pub use speed_check::{SpeedCheck, SpeedEvidence};
pub use sweep::{PointKind, Throughput, TradeoffPoint, mark_pareto_frontier, sweep};
