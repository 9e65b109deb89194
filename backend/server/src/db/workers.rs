//! Workers that have talked to the server.

use sqlx::{AnyPool, Row};

use super::{json_column, now_ms, to_json};
use crate::error::Result;
use qbound_shared::{Capability, WorkerRecord};

pub(crate) async fn touch_worker(
    pool: &AnyPool,
    name: &str,
    capabilities: &[Capability],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO worker (name, capabilities, last_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET capabilities = excluded.capabilities, last_seen_at = excluded.last_seen_at",
    )
    .bind(name)
    .bind(to_json(&capabilities)?)
    .bind(now_ms())
    .execute(pool)
    .await?;
    Ok(())
}

pub(crate) async fn list_workers(pool: &AnyPool) -> Result<Vec<WorkerRecord>> {
    let rows = sqlx::query("SELECT * FROM worker ORDER BY last_seen_at DESC")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(WorkerRecord {
                worker_id: r.try_get("worker_id")?,
                name: r.try_get("name")?,
                capabilities: json_column(
                    &r.try_get::<String, _>("capabilities")?,
                    "capabilities",
                )?,
                last_seen_at: r.try_get("last_seen_at")?,
            })
        })
        .collect()
}
