//! SQL, in small functions with one concern each. Runtime queries only.

pub(crate) mod artifacts;
pub(crate) mod datasets;
mod dialect;
pub(crate) mod jobs;
pub(crate) mod models;
pub(crate) mod queue;
pub(crate) mod results;
pub(crate) mod runs;
pub(crate) mod startup_lock;
pub(crate) mod tokens;
pub(crate) mod workers;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

pub(crate) use dialect::Dialect;

use crate::error::{Error, Result};

/// The database file inside the data directory.
pub(crate) const DATABASE_FILE: &str = "qbound.db";

/// Opens the database, `database_url` (PostgreSQL) when given, else SQLite in `data_dir`
/// (created if missing), and brings its schema up to date with that dialect's migrations.
pub(crate) async fn connect(data_dir: &Path, database_url: Option<&str>) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let (url, dialect) = match database_url {
        None => {
            std::fs::create_dir_all(data_dir)?;
            let url = SqliteConnectOptions::new()
                .filename(data_dir.join(DATABASE_FILE))
                .create_if_missing(true)
                .to_url_lossy();
            (url.to_string(), Dialect::Sqlite)
        }
        Some(url) => (postgres_url(url)?.to_owned(), Dialect::Postgres),
    };
    let options = AnyConnectOptions::from_str(&url)
        .map_err(|e| Error::Config(format!("the database URL is not usable: {e}")))?;
    if dialect == Dialect::Postgres {
        // One connection first: its error says why (refused, a wrong password, no such
        // database), where the pool's would only say that it timed out.
        let probe = sqlx::AnyConnection::connect_with(&options)
            .await
            .map_err(|e| Error::Config(format!("cannot connect to `--database-url`: {e}")))?;
        probe.close().await?;
    }
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| match dialect {
            Dialect::Postgres => Error::Config(format!(
                "cannot connect to PostgreSQL at `--database-url`: {e}"
            )),
            Dialect::Sqlite => Error::Database(e),
        })?;
    match dialect {
        Dialect::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(&pool).await?,
        Dialect::Postgres => {
            sqlx::migrate!("../../migrations/postgres")
                .run(&pool)
                .await?
        }
    }
    Ok(pool)
}

/// `url` when it names a PostgreSQL database; otherwise an error that says what is expected.
fn postgres_url(url: &str) -> Result<&str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        Err(Error::Config(
            "`--database-url` must be a PostgreSQL URL such as \
             `postgres://user:password@host:5432/qbound` (leave it out to use SQLite in the \
             data folder)"
                .into(),
        ))
    }
}

/// Checks that the database answers.
pub(crate) async fn ping(pool: &AnyPool) -> Result<()> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parses a JSON column written by this server.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(text: &str, column: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| Error::Internal(format!("column `{column}` holds invalid JSON: {e}")))
}

/// Writes a value for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("cannot encode JSON: {e}")))
}

/// The record `record` reads from `row`, or not found (404) naming `what` when there is no
/// row.
pub(crate) fn found<T>(
    row: Option<&AnyRow>,
    record: impl FnOnce(&AnyRow) -> Result<T>,
    what: impl FnOnce() -> String,
) -> Result<T> {
    row.map(record)
        .transpose()?
        .ok_or_else(|| Error::NotFound(what()))
}

/// Parses a text column through `FromStr`.
pub(crate) fn enum_column<T: FromStr>(text: &str, column: &str) -> Result<T> {
    text.parse()
        .map_err(|_| Error::Internal(format!("column `{column}` holds unknown value `{text}`")))
}

/// Runs `delete` (a `DELETE` of one row by its id) for the `what` numbered `id`: a 404 when
/// there is none, a 409 while a run refers to it (a foreign key).
async fn delete_unless_used(
    pool: &AnyPool,
    delete: &'static str,
    what: &str,
    id: i64,
) -> Result<()> {
    let done = sqlx::query(delete)
        .bind(id)
        .execute(pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Error::Conflict(format!("{what} {id} is used by runs; delete them first"))
            }
            _ => Error::Database(e),
        })?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("{what} {id}")));
    }
    Ok(())
}

/// Maps a unique-constraint violation to a 409 with `message`.
pub(crate) trait ResultExt<T> {
    /// Turns a unique-constraint violation into [`Error::Conflict`].
    fn on_unique(self, message: impl FnOnce() -> String) -> Result<T>;
}

impl<T> ResultExt<T> for std::result::Result<T, sqlx::Error> {
    fn on_unique(self, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(message()),
            _ => Error::Database(err),
        })
    }
}

/// One page of a list and the cursor of the next, when there may be more.
#[derive(Debug, Clone)]
pub(crate) struct Page<T> {
    /// The items.
    pub(crate) items: Vec<T>,
    /// Where the next page starts.
    pub(crate) next_cursor: Option<i64>,
}

impl<T> Page<T> {
    /// A page of `items`, full at `limit`, continuing after `cursor_of` the last item.
    pub(crate) fn new(items: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> i64) -> Self {
        let full = items.len() as i64 >= limit;
        let next_cursor = items.last().filter(|_| full).map(cursor_of);
        Self { items, next_cursor }
    }
}
