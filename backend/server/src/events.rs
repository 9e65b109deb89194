//! Live progress: every job change is broadcast; `/api/jobs/{id}/events` and
//! `/api/runs/{id}/events` stream the ones that concern them as Server-Sent Events.

use qbound_shared::{Event, JobRecord};
use tokio::sync::broadcast;

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
