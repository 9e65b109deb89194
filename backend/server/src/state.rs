//! What every handler shares.

use std::sync::Arc;

use sqlx::AnyPool;

use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::BlobStore;

/// The application state behind every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: AnyPool,
    pub(crate) store: BlobStore,
    pub(crate) settings: Arc<Settings>,
    pub(crate) events: EventBus,
    pub(crate) metrics: Arc<Metrics>,
    /// One upload is validated at a time, so the memory checks take stays bounded.
    pub(crate) validations: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the server shuts down; live streams end with it.
    pub(crate) shutdown: tokio_util::sync::CancellationToken,
}
