//! Live progress: every job change is broadcast; `/api/jobs/{id}/events` and
//! `/api/runs/{id}/events` stream the ones that concern them as Server-Sent Events.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::db::jobs::JobRecord;
use crate::jobs::{JobKind, JobState};

/// One change, as sent to SSE clients.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Event {
    /// A job changed.
    Job {
        job_id: i64,
        run_id: i64,
        kind: JobKind,
        label: String,
        state: JobState,
        progress: f64,
        error: Option<String>,
    },
    /// A run's status changed (or was recomputed).
    Run { run_id: i64, status: String },
}

impl Event {
    pub(crate) fn run_id(&self) -> i64 {
        match self {
            Self::Job { run_id, .. } | Self::Run { run_id, .. } => *run_id,
        }
    }

    pub(crate) fn job_id(&self) -> Option<i64> {
        match self {
            Self::Job { job_id, .. } => Some(*job_id),
            Self::Run { .. } => None,
        }
    }

    /// The SSE event name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Job { .. } => "job",
            Self::Run { .. } => "run",
        }
    }
}

/// The broadcast channel behind the SSE streams.
#[derive(Debug, Clone)]
pub(crate) struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl EventBus {
    pub(crate) fn new() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    pub(crate) fn publish_job(&self, job: &JobRecord) {
        let _ = self.sender.send(job_event(job));
    }

    pub(crate) fn publish_run(&self, run_id: i64, status: &str) {
        let _ = self.sender.send(Event::Run {
            run_id,
            status: status.to_owned(),
        });
    }
}

pub(crate) fn job_event(job: &JobRecord) -> Event {
    Event::Job {
        job_id: job.job_id,
        run_id: job.run_id,
        kind: job.kind,
        label: job.label.clone(),
        state: job.state,
        progress: job.progress,
        error: job.error.clone(),
    }
}
