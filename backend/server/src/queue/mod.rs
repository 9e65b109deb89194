//! The server side of the job queue: a run submitted as jobs, what workers report applied
//! (claims, heartbeats, results, failures, artifacts), cancels and retries; every change is
//! announced on the event bus.

mod announce;
pub(crate) mod artifacts;
pub(crate) mod cancel;
pub(crate) mod claim;
mod inputs;
pub(crate) mod report;
mod results;
pub(crate) mod submit;

pub(crate) use announce::requeue_lapsed;
