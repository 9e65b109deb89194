//! Workers (`/api/workers`).

use serde::{Deserialize, Serialize};

/// A worker that has claimed jobs, and what it can run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerRecord {
    /// The worker.
    pub worker_id: i64,
    /// Its name.
    pub name: String,
    /// What it can run: `cpu`, `cuda`, `tensorrt`.
    pub capabilities: Vec<String>,
    /// When it last claimed or sent a heartbeat (Unix ms).
    pub last_seen_at: i64,
}
