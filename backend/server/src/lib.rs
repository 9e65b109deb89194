//! qbound's server: the REST API, the experiment history (SQLite or PostgreSQL), the job
//! queue and its workers. The `qbound` binary's `serve`, `worker` and `token` commands call
//! into here: [`Application::build`] + [`Application::run_until_stopped`],
//! [`run_worker_until_stopped`], and [`create_api_token`]; `analyze` writes its table in the
//! API's shape through [`api_analysis`].

mod archive;
mod auth;
mod catalog;
mod db;
mod demo;
mod error;
mod events;
mod http;
mod metrics;
mod openapi;
mod queue;
mod run;
mod serve;
mod settings;
mod startup;
mod state;
mod store;
mod worker;

pub use auth::{create_api_token, create_expiring_api_token};
pub use demo::DEMO_MODEL;
pub use error::{Error, Result};
pub use qbound_shared::{Capability, JobKind, JobState, Role};
pub use run::api_analysis;
pub use settings::{Settings, WorkerSettings, detected_capabilities};
pub use startup::{Application, shutdown_signal};
pub use worker::{ExecutionOutcome, run_worker_until_stopped};

/// Sets up `tracing` output to stderr, filtered by `RUST_LOG` (default `info`); call once
/// from the binary.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
