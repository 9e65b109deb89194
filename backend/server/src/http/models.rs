//! `/api/models`: upload (multipart ONNX), list, inspect, layers, download, delete.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::download::serve_blob;
use super::upload::receive_upload;
use crate::auth::WriteAccess;
use crate::catalog::register_model;
use crate::db;
use crate::error::{AppJson, AppPath, Result};
use crate::state::AppState;
use qbound_shared::{LayerInfo, ModelRecord};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/models",
            get(list_models)
                .post(upload_model)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/models/{id}", get(get_model).delete(delete_model))
        .route("/models/{id}/layers", get(model_layers))
        .route("/models/{id}/download", get(download_model))
}

async fn list_models(State(state): State<AppState>) -> Result<AppJson<Vec<ModelRecord>>> {
    Ok(AppJson(db::models::list_models(&state.pool).await?))
}

async fn upload_model(
    State(state): State<AppState>,
    _access: WriteAccess,
    request: Request,
) -> Result<(StatusCode, AppJson<ModelRecord>)> {
    let upload = receive_upload(request, &state.store, state.settings.max_model_bytes).await?;
    let name = upload.name.unwrap_or_else(|| "model.onnx".into());
    let model = register_model(&state, &name, upload.blob).await?;
    Ok((StatusCode::CREATED, AppJson(model)))
}

async fn get_model(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ModelRecord>> {
    Ok(AppJson(db::models::model_by_id(&state.pool, id).await?))
}

async fn model_layers(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Vec<LayerInfo>>> {
    Ok(AppJson(
        db::models::model_by_id(&state.pool, id).await?.layers,
    ))
}

async fn delete_model(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode> {
    db::models::delete_model(&state.pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn download_model(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    request: Request,
) -> Result<Response> {
    let model = db::models::model_by_id(&state.pool, id).await?;
    serve_blob(
        &state,
        &model.sha256,
        "application/octet-stream",
        &format!("model-{id}.onnx"),
        request,
    )
    .await
}
