//! Events across replicas: on PostgreSQL every server publishes its events with
//! `pg_notify` and `LISTEN`s for everyone's, so a run's changes reach the SSE streams of
//! every replica, whichever replica made them.

use qbound_shared::Event;
use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// The PostgreSQL notification channel of qbound's events.
const CHANNEL: &str = "qbound_events";

/// PostgreSQL refuses notification payloads of 8000 bytes or more; an event's error message
/// is shortened to this many characters when the event would not fit.
const MAX_RELAYED_ERROR_CHARS: usize = 2000;

/// Starts relaying: what is sent on the returned channel is notified to every replica
/// (in order), and what any replica notifies is broadcast on `local`. Listening has begun
/// when this returns; it ends with `shutdown`.
pub(super) async fn start(
    pool: AnyPool,
    database_url: &str,
    local: broadcast::Sender<Event>,
    shutdown: CancellationToken,
) -> Result<mpsc::UnboundedSender<Event>> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    tokio::spawn(rebroadcast(listener, local, shutdown));
    let (outbox, pending) = mpsc::unbounded_channel();
    tokio::spawn(publish(pool, pending));
    Ok(outbox)
}

/// Notifies each event, one at a time so that they arrive in the order they were made.
async fn publish(pool: AnyPool, mut pending: mpsc::UnboundedReceiver<Event>) {
    while let Some(event) = pending.recv().await {
        let sent = match payload(event) {
            Ok(payload) => sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&pool)
                .await
                .map(drop)
                .map_err(Error::from),
            Err(err) => Err(err),
        };
        if let Err(err) = sent {
            tracing::warn!(error = %err, "an event could not be sent to the other replicas");
        }
    }
}

/// The event as a notification payload, its error shortened when it would not fit.
fn payload(mut event: Event) -> Result<String> {
    let encode = |event: &Event| {
        serde_json::to_string(event)
            .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))
    };
    let text = encode(&event)?;
    if text.len() < 7000 {
        return Ok(text);
    }
    if let Event::Job {
        error: Some(error), ..
    } = &mut event
    {
        *error = error.chars().take(MAX_RELAYED_ERROR_CHARS).collect();
    }
    encode(&event)
}

/// Broadcasts every replica's events to this one's streams until `shutdown`.
async fn rebroadcast(
    mut listener: PgListener,
    local: broadcast::Sender<Event>,
    shutdown: CancellationToken,
) {
    loop {
        let received = tokio::select! {
            () = shutdown.cancelled() => return,
            received = listener.recv() => received,
        };
        match received {
            Ok(notification) => match serde_json::from_str::<Event>(notification.payload()) {
                Ok(event) => {
                    let _ = local.send(event);
                }
                Err(err) => tracing::warn!(error = %err, "an unreadable event was ignored"),
            },
            Err(err) => {
                tracing::warn!(error = %err, "listening for events failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbound_shared::{JobKind, JobState};

    #[test]
    fn a_long_error_is_shortened_to_fit_a_notification() {
        let event = Event::Job {
            job_id: 1,
            run_id: 2,
            kind: JobKind::Calibrate,
            label: "calibrate".into(),
            state: JobState::Failed,
            progress: 0.5,
            error: Some("é".repeat(20_000)),
        };
        let text = payload(event).unwrap();
        assert!(text.len() < 8000, "{} bytes", text.len());
        let Event::Job { error, .. } = serde_json::from_str(&text).unwrap() else {
            panic!("a job event");
        };
        assert_eq!(error.unwrap().chars().count(), MAX_RELAYED_ERROR_CHARS);
    }
}
