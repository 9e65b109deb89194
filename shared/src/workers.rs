//! Workers (`/api/workers`).

use serde::{Deserialize, Serialize};

use crate::jobs::Capability;

/// A worker that has claimed jobs, and what it can run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerRecord {
    /// The worker.
    pub worker_id: i64,
    /// Its name.
    pub name: String,
    /// What it can run.
    pub capabilities: Vec<Capability>,
    /// When it last claimed or sent a heartbeat (Unix ms).
    pub last_seen_at: i64,
}
