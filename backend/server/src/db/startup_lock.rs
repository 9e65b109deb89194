//! A lock replicas starting at once take around one-time work (registering the demo data),
//! so that only one of them does it: a transaction-scoped advisory lock on PostgreSQL,
//! released when the transaction ends however it ends. SQLite needs none: one server
//! owns its file.

use sqlx::{Any, AnyPool, Transaction};

use super::Dialect;
use crate::error::Result;

/// The advisory lock's key (any constant that other software on the database does not use).
const STARTUP_LOCK_KEY: i64 = 0x7162_6f75_6e64; // "qbound"

/// Held until [`StartupLock::release`] (or dropped, which releases it too).
pub(crate) struct StartupLock(Option<Transaction<'static, Any>>);

/// Waits for the startup lock.
pub(crate) async fn acquire(pool: &AnyPool) -> Result<StartupLock> {
    if Dialect::of_pool(pool) == Dialect::Sqlite {
        return Ok(StartupLock(None));
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(STARTUP_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(StartupLock(Some(tx)))
}

impl StartupLock {
    /// Lets the next replica in.
    pub(crate) async fn release(self) -> Result<()> {
        if let Some(tx) = self.0 {
            tx.commit().await?;
        }
        Ok(())
    }
}
