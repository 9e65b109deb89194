//! A run's live events (`/api/runs/{id}/events`) through the browser's `EventSource`.

use qbound_shared::Event;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

/// An open event stream; closed when dropped.
pub(crate) struct RunEvents {
    source: EventSource,
    _on_message: Closure<dyn Fn(MessageEvent)>,
}

impl RunEvents {
    /// Subscribes to run `run_id`'s events; `on_event` gets each job and run change.
    pub(crate) fn open(run_id: i64, on_event: impl Fn(Event) + 'static) -> Option<Self> {
        // `EventSource` sends no headers: a private server reads the token from the query.
        let url = match super::stored_token() {
            Some(token) => format!("/api/runs/{run_id}/events?access_token={token}"),
            None => format!("/api/runs/{run_id}/events"),
        };
        let source = EventSource::new(&url).ok()?;
        let stream = source.clone();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
            if let Some(text) = message.data().as_string()
                && let Ok(event) = serde_json::from_str::<Event>(&text)
            {
                // The server ends the stream once the run is over; without this the
                // browser would reconnect and replay it every few seconds.
                if let Event::Run { status, .. } = &event
                    && is_final(status)
                {
                    stream.close();
                }
                on_event(event);
            }
        });
        for name in ["job", "run"] {
            let _ =
                source.add_event_listener_with_callback(name, on_message.as_ref().unchecked_ref());
        }
        Some(Self {
            source,
            _on_message: on_message,
        })
    }
}

impl Drop for RunEvents {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Whether a run or job status is final.
pub(crate) fn is_final(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled")
}
