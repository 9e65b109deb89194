//! API tokens, stored as sha256 hashes.

use qbound_shared::Role;
use serde::Serialize;
use sqlx::{AnyPool, Row};

use super::{ResultExt, enum_column, now_ms};
use crate::error::Result;

/// A token's record (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenRecord {
    /// The token's id.
    pub(crate) api_token_id: i64,
    /// Its unique name.
    pub(crate) name: String,
    /// What it may do.
    pub(crate) role: Role,
    /// When it was created (Unix ms).
    pub(crate) created_at: i64,
    /// When it stops working (Unix ms); never when absent.
    pub(crate) expires_at: Option<i64>,
}

fn record(row: &sqlx::any::AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        api_token_id: row.try_get("api_token_id")?,
        name: row.try_get("name")?,
        role: enum_column(&row.try_get::<String, _>("role")?, "role")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// A token to store: its name, role, hash, expiry, and whether the embedded worker owns it.
pub(crate) struct NewToken<'a> {
    pub(crate) name: &'a str,
    pub(crate) role: Role,
    pub(crate) token_hash: &'a str,
    pub(crate) expires_at: Option<i64>,
    pub(crate) embedded: bool,
}

pub(crate) async fn insert_token(pool: &AnyPool, new: &NewToken<'_>) -> Result<TokenRecord> {
    let name = new.name;
    let row = sqlx::query("INSERT INTO api_token (name, role, token_hash, created_at, expires_at, embedded) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *")
        .bind(name)
        .bind(new.role.as_str())
        .bind(new.token_hash)
        .bind(now_ms())
        .bind(new.expires_at)
        .bind(i64::from(new.embedded))
        .fetch_one(pool)
        .await
        .on_unique(|| format!("a token named `{name}` exists already; pick another name"))?;
    record(&row)
}

pub(crate) async fn token_by_hash(pool: &AnyPool, token_hash: &str) -> Result<Option<TokenRecord>> {
    let row = sqlx::query(
        "SELECT * FROM api_token WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(record).transpose()
}

pub(crate) async fn list_tokens(pool: &AnyPool) -> Result<Vec<TokenRecord>> {
    let rows = sqlx::query("SELECT * FROM api_token ORDER BY api_token_id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(record).collect()
}

pub(crate) async fn delete_token(pool: &AnyPool, api_token_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM api_token WHERE api_token_id = $1")
        .bind(api_token_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes the tokens of embedded workers (never a token a user created) that are named
/// with `own_prefix` (this server's earlier ones), or that were made before `stale_before`
/// (Unix ms) for a worker not seen since: a replica's live embedded worker keeps its token.
pub(crate) async fn delete_stale_embedded_tokens(
    pool: &AnyPool,
    own_prefix: &str,
    stale_before: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM api_token WHERE embedded = 1 AND (name LIKE $1 OR (created_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM worker w WHERE w.name = api_token.name AND w.last_seen_at >= $2)))",
    )
    .bind(format!("{own_prefix}%"))
    .bind(stale_before)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
