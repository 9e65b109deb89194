//! The REST API under `/api`, one module per resource, merged here.

mod artifacts;
mod datasets;
mod download;
mod guard;
mod health;
mod jobs;
mod models;
mod paged;
mod range;
mod runs;
mod tokens;
mod upload;
mod workers;

use axum::Router;
use axum::http::StatusCode;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::error::Error;
use crate::state::AppState;

/// The whole application: API, metrics, and the UI at `/` when it is built.
pub(crate) fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(models::router())
        .merge(datasets::router())
        .merge(runs::router())
        .merge(jobs::router())
        .merge(artifacts::router())
        .merge(tokens::router())
        .merge(workers::router())
        .fallback(|| async { Error::NotFound("this API route".into()) });
    let mut app = Router::new()
        .nest("/api", api)
        .merge(health::metrics_router());
    if let Some(dir) = state
        .settings
        .static_dir
        .clone()
        .filter(|d| d.join("index.html").is_file())
    {
        app = app
            .fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html"))));
    } else {
        app = app.fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "the UI is not built; the API is under /api",
            )
        });
    }
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        guard::guard,
    ))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}
