//! The JSON shapes of qbound's REST API and the words they use, shared by the server and
//! the web UI: records, a run's configuration with its checks, job and artifact kinds.
//!
//! Serde only, so the crate builds for `wasm32-unknown-unknown`. Response types accept
//! fields they do not know (a newer server may add some); request types refuse them.

mod analysis;
mod batch;
mod calibration;
mod catalog;
mod checks;
mod choices;
mod config;
mod events;
mod jobs;
mod recommend;
mod runs;
mod text_enum;
mod tokens;
mod workers;

pub use analysis::{CauseKind, ErrorAnalysis, ErrorCause, TensorError};
pub use batch::ExportBatchSize;
pub use calibration::CalibrationMethod;
pub use catalog::{ApiError, DatasetRecord, Health, LayerInfo, ModelRecord, TensorInfo};
pub use checks::check_tags_and_notes;
pub use choices::{Metric, PROFILES, RecoveryPass, SensitivityMode, Target};
pub use config::{BenchmarkConfig, Boundary, RunConfig, SensitivityConfig};
pub use events::Event;
pub use jobs::{ArtifactKind, Capability, JobKind, JobState};
pub use recommend::{DEFAULT_MAX_DROP, Recommendation, recommend};
pub use runs::{
    ArtifactRecord, FLOAT_LABEL, JobRecord, LayerResult, RunRecord, RunUpdate, ThroughputSpread,
    TradeoffPoint,
};
pub use text_enum::UnknownChoice;
pub use tokens::Role;
pub use workers::WorkerRecord;
