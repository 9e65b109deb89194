//! Live progress: every job change is broadcast; `/api/jobs/{id}/events` and
//! `/api/runs/{id}/events` stream the ones that concern them as Server-Sent Events
//! ([`event_stream`]).

use std::convert::Infallible;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use qbound_shared::{Event, JobRecord};
use sqlx::AnyPool;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

use crate::error::Result;

mod relay;

/// The broadcast channel behind the SSE streams; on PostgreSQL, shared by every replica
/// through the database ([`relay`]).
#[derive(Debug, Clone)]
pub(crate) struct EventBus {
    sender: broadcast::Sender<Event>,
    /// Where events go to reach every replica, this one included; None with SQLite.
    relay: Option<mpsc::UnboundedSender<Event>>,
}

impl EventBus {
    /// A bus for this process alone.
    pub(crate) fn new() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
            relay: None,
        }
    }

    /// A bus shared by every server on the PostgreSQL database at `database_url`; it
    /// listens until `shutdown`.
    pub(crate) async fn shared(
        pool: AnyPool,
        database_url: &str,
        shutdown: CancellationToken,
    ) -> Result<Self> {
        let sender = broadcast::channel(1024).0;
        let relay = relay::start(pool, database_url, sender.clone(), shutdown).await?;
        Ok(Self {
            sender,
            relay: Some(relay),
        })
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    pub(crate) fn publish_job(&self, job: &JobRecord) {
        self.publish(job_event(job));
    }

    pub(crate) fn publish_run(&self, run_id: i64, status: &str) {
        self.publish(Event::Run {
            run_id,
            status: status.to_owned(),
        });
    }

    fn publish(&self, event: Event) {
        match &self.relay {
            Some(relay) => {
                let _ = relay.send(event);
            }
            None => {
                let _ = self.sender.send(event);
            }
        }
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
