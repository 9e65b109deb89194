//! The JSON shapes of qbound's REST API, as the web UI reads and writes them.
//!
//! Serde only, so the crate builds for `wasm32-unknown-unknown`. Response types accept
//! fields they do not know (the server may add some); request types send only what the
//! server's `deny_unknown_fields` types accept.

mod catalog;
mod config;
mod events;
mod recommend;
mod runs;
mod workers;

pub use catalog::{ApiError, DatasetRecord, Health, LayerInfo, ModelRecord};
pub use config::{BenchmarkConfig, Boundary, RunConfig, SensitivityConfig};
pub use events::Event;
pub use recommend::{DEFAULT_MAX_DROP, Recommendation, recommend};
pub use runs::{
    ArtifactRecord, FLOAT_LABEL, JobRecord, LayerResult, RunRecord, RunUpdate, ThroughputSpread,
    TradeoffPoint,
};
pub use workers::WorkerRecord;
