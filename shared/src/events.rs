//! The live events of `/api/runs/{id}/events` and `/api/jobs/{id}/events` (SSE).

use serde::{Deserialize, Serialize};

use crate::jobs::{JobKind, JobState};

/// One change, the `data` of an SSE message (event name `job` or `run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A job changed.
    Job {
        /// The job.
        job_id: i64,
        /// Its run.
        run_id: i64,
        /// What it does.
        kind: JobKind,
        /// The point or step it belongs to.
        label: String,
        /// Where it is.
        state: JobState,
        /// 0 to 1.
        progress: f64,
        /// Why it failed.
        error: Option<String>,
    },
    /// A run's status changed.
    Run {
        /// The run.
        run_id: i64,
        /// Its status: `queued`, `running`, `succeeded`, `failed` or `cancelled`.
        status: String,
    },
}

impl Event {
    /// The run the change belongs to.
    pub fn run_id(&self) -> i64 {
        match self {
            Self::Job { run_id, .. } | Self::Run { run_id, .. } => *run_id,
        }
    }

    /// The job that changed, for a job event.
    pub fn job_id(&self) -> Option<i64> {
        match self {
            Self::Job { job_id, .. } => Some(*job_id),
            Self::Run { .. } => None,
        }
    }

    /// The SSE event name: `job` or `run`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Job { .. } => "job",
            Self::Run { .. } => "run",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_event_parses_from_the_server_json() {
        let text = r#"{"type":"job","job_id":3,"run_id":1,"kind":"calibrate","label":"calibrate","state":"running","progress":0.5,"error":null}"#;
        let event: Event = serde_json::from_str(text).unwrap();
        assert!(matches!(event, Event::Job { progress, .. } if progress == 0.5));
    }
}
