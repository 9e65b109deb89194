//! Building and running the server: database, store, API, embedded worker, lease ticker,
//! graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::issue_embedded_worker_token;
use crate::db;
use crate::error::Result;
use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::settings::{Settings, WorkerSettings};
use crate::state::AppState;
use crate::store::BlobStore;
use crate::worker::run_worker_until_stopped;

/// Token names of embedded workers start with this.
const EMBEDDED_WORKER_PREFIX: &str = "embedded-worker-";

/// How long shutdown waits for the embedded worker to give its job back.
const WORKER_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    embedded_worker: Option<WorkerSettings>,
}

impl Application {
    /// Opens the data directory (database, migrations) and the blob store, registers the demo data
    /// on first start, and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self> {
        let pool = db::connect(&settings.data_dir, settings.database_url.as_deref()).await?;
        let store = BlobStore::open(&settings.data_dir, settings.store_url.as_deref()).await?;
        let listener = TcpListener::bind(settings.bind).await?;
        let address = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let events = match &settings.database_url {
            Some(url) => EventBus::shared(pool.clone(), url, shutdown.clone()).await?,
            None => EventBus::new(),
        };
        let replica = replica_id(&settings.data_dir)?;
        let state = AppState {
            pool,
            store,
            settings: Arc::new(settings),
            events,
            metrics: Arc::new(Metrics::default()),
            validations: Arc::new(tokio::sync::Semaphore::new(1)),
            shutdown,
        };
        if let Some(demo) = state.settings.demo_data.clone() {
            crate::demo::register_demo_data(&state, &demo).await?;
        }
        // Only this server's earlier embedded workers' tokens, and those of workers gone
        // for a day: other replicas' embedded workers keep theirs.
        let own_prefix = format!("{EMBEDDED_WORKER_PREFIX}{replica}-");
        let day_ago = db::now_ms() - 24 * 3600 * 1000;
        db::tokens::delete_stale_embedded_tokens(&state.pool, &own_prefix, day_ago).await?;
        let embedded_worker = if state.settings.embedded_worker {
            let name = format!("{own_prefix}{}", uuid::Uuid::new_v4().simple());
            let token = issue_embedded_worker_token(&state.pool, &name).await?;
            let mut worker = WorkerSettings::new(
                format!("http://{address}"),
                token,
                state.settings.data_dir.join("worker"),
            );
            worker.name = name;
            worker.capabilities = vec![qbound_shared::Capability::Cpu];
            Some(worker)
        } else {
            None
        };
        Ok(Self {
            listener,
            address,
            state,
            embedded_worker,
        })
    }

    /// The port the server listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves, then stops taking requests, ends live event
    /// streams, stops the embedded worker and the lease ticker, and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let token = self.state.shutdown.clone();
        let app = crate::http::app(self.state.clone());
        tracing::info!(address = %self.address, "qbound server listening");
        let server = tokio::spawn(crate::serve::serve(
            self.listener,
            app,
            self.state.settings.header_read_timeout,
            token.clone(),
        ));
        let worker_stop = CancellationToken::new();
        let worker = self.embedded_worker.map(|settings| {
            let stop = worker_stop.clone();
            tokio::spawn(
                async move { run_worker_until_stopped(settings, stop.cancelled_owned()).await },
            )
        });
        let ticker = tokio::spawn(requeue_lapsed_leases(self.state.clone()));
        shutdown.await;
        tracing::info!("shutting down");
        // The worker first, while the API still answers, so its job goes back to the queue.
        worker_stop.cancel();
        if let Some(worker) = worker {
            match tokio::time::timeout(WORKER_STOP_TIMEOUT, worker).await {
                Ok(Ok(Err(err))) => {
                    tracing::warn!(error = %err, "embedded worker stopped with an error")
                }
                Err(_) => tracing::warn!("the embedded worker did not stop in time"),
                Ok(_) => {}
            }
        }
        token.cancel();
        ticker.abort();
        server
            .await
            .map_err(|e| crate::error::Error::Internal(format!("server task: {e}")))?;
        self.state.pool.close().await;
        Ok(())
    }
}

/// The name of the server that keeps its files in `data_dir`, kept in `<data_dir>/replica-id`
/// (written on the first start): what tells its embedded workers' tokens from other
/// replicas'.
fn replica_id(data_dir: &std::path::Path) -> Result<String> {
    let path = data_dir.join("replica-id");
    if let Ok(id) = std::fs::read_to_string(&path)
        && !id.trim().is_empty()
    {
        return Ok(id.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)?;
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    std::fs::write(&path, &id)?;
    Ok(id)
}

/// Returns lapsed leases to the queue every half lease.
async fn requeue_lapsed_leases(state: AppState) {
    let period = (state.settings.lease / 2).max(std::time::Duration::from_millis(100));
    loop {
        tokio::time::sleep(period).await;
        if let Err(err) = crate::queue::requeue_lapsed(&state).await {
            tracing::warn!(error = %err, "requeueing lapsed leases failed");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
