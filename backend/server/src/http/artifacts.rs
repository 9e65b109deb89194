//! `/api/artifacts`: list, get, download (size, sha256, content type, HTTP ranges).

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;

use super::download::serve_blob;
use crate::db;
use crate::error::{AppJson, AppPath, Result};
use crate::state::AppState;
use qbound_shared::ArtifactRecord;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/artifacts", get(list_artifacts))
        .route("/artifacts/{id}", get(get_artifact))
        .route("/artifacts/{id}/download", get(download_artifact))
}

async fn list_artifacts(State(state): State<AppState>) -> Result<AppJson<Vec<ArtifactRecord>>> {
    Ok(AppJson(db::artifacts::list_artifacts(&state.pool).await?))
}

async fn get_artifact(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ArtifactRecord>> {
    Ok(AppJson(
        db::artifacts::artifact_by_id(&state.pool, id).await?,
    ))
}

async fn download_artifact(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    request: Request,
) -> Result<Response> {
    let artifact = db::artifacts::artifact_by_id(&state.pool, id).await?;
    serve_blob(
        &state,
        &artifact.sha256,
        &artifact.content_type,
        &artifact.name,
        request,
    )
    .await
}
