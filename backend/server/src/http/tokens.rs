//! `/api/tokens`: create (the token is shown once), list, delete. Needs a `write` token.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};

use qbound_shared::Role;

use crate::auth::{WriteAccess, issue_token};
use crate::db;
use crate::db::tokens::TokenRecord;
use crate::error::{AppJson, AppPath, Error, Result};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(delete_token))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: Role,
    /// Days until the token expires (1 to 3650); never when absent.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize)]
struct CreatedToken {
    token: String,
    #[serde(flatten)]
    record: TokenRecord,
}

async fn create_token(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppJson(new): AppJson<NewToken>,
) -> Result<(StatusCode, AppJson<CreatedToken>)> {
    let (token, record) =
        issue_token(&state.pool, &new.name, new.role, new.expires_in_days).await?;
    Ok((StatusCode::CREATED, AppJson(CreatedToken { token, record })))
}

async fn list_tokens(
    State(state): State<AppState>,
    _access: WriteAccess,
) -> Result<AppJson<Vec<TokenRecord>>> {
    Ok(AppJson(db::tokens::list_tokens(&state.pool).await?))
}

async fn delete_token(
    State(state): State<AppState>,
    _access: WriteAccess,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode> {
    if !db::tokens::delete_token(&state.pool, id).await? {
        return Err(Error::NotFound(format!("token {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}
