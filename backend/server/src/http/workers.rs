//! `/api/workers`: the workers that have claimed jobs, and when they were last seen.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use qbound_shared::WorkerRecord;

use crate::db;
use crate::error::{AppJson, Result};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/workers", get(list_workers))
}

async fn list_workers(State(state): State<AppState>) -> Result<AppJson<Vec<WorkerRecord>>> {
    Ok(AppJson(db::workers::list_workers(&state.pool).await?))
}
