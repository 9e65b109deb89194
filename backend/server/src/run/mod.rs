//! The vocabulary of a run as the queue knows it: its configuration's checks and point
//! labels, the jobs it becomes (plan), the file names of a job's folder, what workers and
//! the server say to each other (protocol), the settings as the engine takes them, and the
//! engine's error analysis as the API gives it.

mod analysis;
pub(crate) mod config;
mod engine_terms;
pub(crate) mod files;
pub(crate) mod plan;
pub(crate) mod protocol;

pub use analysis::api_analysis;
pub(crate) use engine_terms::ToEngine;
