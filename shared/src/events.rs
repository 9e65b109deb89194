//! The live events of `/api/runs/{id}/events` and `/api/jobs/{id}/events` (SSE).

use serde::{Deserialize, Serialize};

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
        /// `calibrate`, `sensitivity`, `quantize`, `evaluate`, `benchmark` or `engine`.
        kind: String,
        /// The point or step it belongs to.
        label: String,
        /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
        state: String,
        /// 0 to 1.
        progress: f64,
        /// Why it failed.
        error: Option<String>,
    },
    /// A run's status changed.
    Run {
        /// The run.
        run_id: i64,
        /// Its status.
        status: String,
    },
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
