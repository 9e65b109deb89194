//! API tokens: random, shown once, stored hashed; roles `read`, `write` and `worker`.
//! Writes need a `write` token; the worker protocol needs a `worker` token; reads are open,
//! or need a token of any role when the server is private. Tokens may expire.

use std::path::Path;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use qbound_shared::Role;
use sha2::{Digest, Sha256};

use crate::db;
use crate::error::{Error, Result};
use crate::state::AppState;

/// A new random token: `qb_` and 64 hex digits.
pub(crate) fn generate_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(format!("no randomness available: {e}")))?;
    Ok(format!("qb_{}", hex::encode(bytes)))
}

/// The stored form of a token.
pub(crate) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token named `name` with `role` in the server's database (PostgreSQL at
/// `database_url` when given, else SQLite under `data_dir`) and returns the token itself,
/// which is shown only this once; it does not expire.
pub async fn create_api_token(
    data_dir: &Path,
    database_url: Option<&str>,
    name: &str,
    role: Role,
) -> Result<String> {
    create_expiring_api_token(data_dir, database_url, name, role, None).await
}

/// As [`create_api_token`], valid for `days` when given. Used by `qbound token create`.
pub async fn create_expiring_api_token(
    data_dir: &Path,
    database_url: Option<&str>,
    name: &str,
    role: Role,
    days: Option<u32>,
) -> Result<String> {
    let pool = db::connect(data_dir, database_url).await?;
    let (token, _) = issue_token(&pool, name, role, days).await?;
    pool.close().await;
    Ok(token)
}

/// The longest validity a token may be given, in days.
const MAX_TOKEN_DAYS: u32 = 3650;

/// Creates a token in `pool`, valid for `days` (1 to 3650) when given; returns the token and
/// its record.
pub(crate) async fn issue_token(
    pool: &sqlx::AnyPool,
    name: &str,
    role: Role,
    days: Option<u32>,
) -> Result<(String, db::tokens::TokenRecord)> {
    if days.is_some_and(|d| !(1..=MAX_TOKEN_DAYS).contains(&d)) {
        return Err(Error::BadRequest(format!(
            "`expires_in_days` must be between 1 and {MAX_TOKEN_DAYS}"
        )));
    }
    let expires_at = days.map(|d| db::now_ms() + i64::from(d) * 24 * 3600 * 1000);
    store_token(pool, name, role, expires_at, false).await
}

/// Creates the token of the server's embedded worker, removed at the next start.
pub(crate) async fn issue_embedded_worker_token(
    pool: &sqlx::AnyPool,
    name: &str,
) -> Result<String> {
    Ok(store_token(pool, name, Role::Worker, None, true).await?.0)
}

async fn store_token(
    pool: &sqlx::AnyPool,
    name: &str,
    role: Role,
    expires_at: Option<i64>,
    embedded: bool,
) -> Result<(String, db::tokens::TokenRecord)> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(Error::BadRequest(
            "a token needs a name of 1 to 100 characters".into(),
        ));
    }
    let token = generate_token()?;
    let new = db::tokens::NewToken {
        name,
        role,
        token_hash: &hash_token(&token),
        expires_at,
        embedded,
    };
    let record = db::tokens::insert_token(pool, &new).await?;
    Ok((token, record))
}

/// Who is calling, from a valid bearer token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    name: String,
    role: Role,
}

/// The caller named by the `Authorization: Bearer` header (the scheme in any case), if the
/// token is known and has not expired.
pub(crate) async fn caller(headers: &HeaderMap, state: &AppState) -> Result<Caller> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(Error::Unauthorized)?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or(Error::Unauthorized)?;
    token_holder(token, state).await
}

/// The holder of `token`, if it is known and has not expired.
pub(crate) async fn token_holder(token: &str, state: &AppState) -> Result<Caller> {
    let record = db::tokens::token_by_hash(&state.pool, &hash_token(token.trim()))
        .await?
        .ok_or(Error::TokenRejected)?;
    Ok(Caller {
        name: record.name,
        role: record.role,
    })
}

/// A caller holding a `write` token.
#[derive(Debug, Clone)]
pub(crate) struct WriteAccess;

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let caller = caller(&parts.headers, state).await?;
        if caller.role != Role::Write {
            return Err(Error::Forbidden(format!(
                "token `{}` has role `{}`; this call needs `write`",
                caller.name,
                caller.role.as_str()
            )));
        }
        Ok(Self)
    }
}

/// A caller holding a `worker` token.
#[derive(Debug, Clone)]
pub(crate) struct WorkerAccess;

impl FromRequestParts<AppState> for WorkerAccess {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let caller = caller(&parts.headers, state).await?;
        if caller.role != Role::Worker {
            return Err(Error::Forbidden(format!(
                "token `{}` has role `{}`; this call needs `worker`",
                caller.name,
                caller.role.as_str()
            )));
        }
        Ok(Self)
    }
}
