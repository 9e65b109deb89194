//! `/api/datasets`: upload (zip or tar of images, optional COCO annotations), list, get,
//! download (the normalised tar), delete.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::download::serve_blob;
use super::upload::receive_upload;
use crate::auth::WriteAccess;
use crate::catalog::register_dataset;
use crate::db;
use crate::error::{AppJson, AppPath, Result};
use crate::state::AppState;
use qbound_shared::DatasetRecord;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/datasets",
            get(list_datasets)
                .post(upload_dataset)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/datasets/{id}", get(get_dataset).delete(delete_dataset))
        .route("/datasets/{id}/download", get(download_dataset))
}

async fn list_datasets(State(state): State<AppState>) -> Result<AppJson<Vec<DatasetRecord>>> {
    Ok(AppJson(db::datasets::list_datasets(&state.pool).await?))
}

async fn upload_dataset(
    State(state): State<AppState>,
    _access: WriteAccess,
    request: Request,
) -> Result<(StatusCode, AppJson<DatasetRecord>)> {
    let upload = receive_upload(request, &state.store, state.settings.max_dataset_bytes).await?;
    let name = upload.name.unwrap_or_else(|| "dataset".into());
    let dataset = register_dataset(&state, &name, upload.blob).await?;
    Ok((StatusCode::CREATED, AppJson(dataset)))
}

async fn get_dataset(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<DatasetRecord>> {
    Ok(AppJson(db::datasets::dataset_by_id(&state.pool, id).await?))
}

async fn delete_dataset(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode> {
    db::datasets::delete_dataset(&state.pool, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn download_dataset(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    request: Request,
) -> Result<Response> {
    let dataset = db::datasets::dataset_by_id(&state.pool, id).await?;
    serve_blob(
        &state,
        &dataset.sha256,
        "application/x-tar",
        &format!("dataset-{id}.tar"),
        request,
    )
    .await
}
