//! The job queue's vocabulary: what a run becomes (plan), what workers and the server say to
//! each other (protocol), and what a job does (execute).

pub(crate) mod apply;
pub(crate) mod config;
pub(crate) mod control;
mod engine;
mod evaluate;
pub(crate) mod execute;
pub(crate) mod plan;
pub(crate) mod protocol;
mod quantize;
mod scoring;
mod sensitivity;

mod engine_terms;

pub(crate) use engine_terms::ToEngine;
pub use qbound_shared::{Capability, JobKind, JobState};
