//! `/api/health`, `/api/openapi.json` and `/metrics`.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use qbound_shared::Health;

use crate::db;
use crate::error::{AppJson, Result};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
}

pub(crate) fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn health(State(state): State<AppState>) -> Result<AppJson<Health>> {
    db::ping(&state.pool).await?;
    Ok(AppJson(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

async fn openapi() -> AppJson<serde_json::Value> {
    AppJson(crate::openapi::document())
}

async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let text = state.metrics.render(&state.pool).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}
