//! Live progress: every job change is broadcast; `/api/jobs/{id}/events` and
//! `/api/runs/{id}/events` stream the ones that concern them as Server-Sent Events
//! ([`event_stream`]).

use std::convert::Infallible;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use qbound_shared::{Event, JobRecord};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

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

/// The SSE stream of a run (`job_id` None) or of one of its jobs: `initial` first (the
/// current state), then the live changes that concern it, ending once the run or job
/// reaches a final state, or when the server shuts down.
pub(crate) fn event_stream(
    receiver: broadcast::Receiver<Event>,
    run_id: i64,
    job_id: Option<i64>,
    initial: Vec<Event>,
    shutdown: CancellationToken,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let live = BroadcastStream::new(receiver).filter_map(move |event| {
        let wanted = event
            .ok()
            .filter(|e| e.run_id() == run_id && (job_id.is_none() || e.job_id() == job_id));
        std::future::ready(wanted)
    });
    // The stream ends right after the final event (the job's, or the run's), without
    // waiting for another event to arrive: each event is followed by `None` when final.
    let stream = futures_util::stream::iter(initial)
        .chain(live)
        .flat_map(move |event| {
            let last = match (&event, job_id) {
                (Event::Job { state, .. }, Some(_)) => state.is_terminal(),
                (Event::Run { status, .. }, None) => {
                    ["succeeded", "failed", "cancelled"].contains(&status.as_str())
                }
                _ => false,
            };
            let sse = SseEvent::default()
                .event(event.name())
                .json_data(&event)
                .unwrap_or_else(|_| SseEvent::default().comment("unencodable event"));
            futures_util::stream::iter(std::iter::once(Some(sse)).chain(last.then_some(None)))
        })
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(|item| std::future::ready(item.map(Ok)));
    Sse::new(stream.take_until(shutdown.cancelled_owned())).keep_alive(KeepAlive::default())
}
