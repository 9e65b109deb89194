//! The two SQL dialects the server speaks: SQLite (a file in the data folder, the default)
//! and PostgreSQL (`--database-url`). Queries are written once with `$1`-style parameters,
//! which both accept; the few expressions that differ are functions here, next to nothing
//! else.

use sqlx::{AnyConnection, AnyPool};

/// Which database a pool or connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite, through its bundled library.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The dialect of `pool`.
    pub(crate) fn of_pool(pool: &AnyPool) -> Self {
        Self::of_scheme(pool.connect_options().database_url.scheme())
    }

    /// The dialect of `conn`.
    pub(crate) fn of_conn(conn: &AnyConnection) -> Self {
        if conn.backend_name() == "PostgreSQL" {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    fn of_scheme(scheme: &str) -> Self {
        if scheme.starts_with("postgres") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    /// The values of the JSON array of strings `param` (e.g. `$5`) as a one-column
    /// (`value`) table.
    pub(crate) fn json_strings(self, param: &str) -> String {
        match self {
            Self::Sqlite => format!("json_each({param})"),
            Self::Postgres => format!("json_array_elements_text(CAST({param} AS json)) AS value"),
        }
    }

    /// The ids in `column` of a group joined by commas (NULL for none).
    pub(crate) fn join_ids(self, column: &str) -> String {
        match self {
            Self::Sqlite => format!("group_concat({column})"),
            Self::Postgres => format!("string_agg(CAST({column} AS text), ',')"),
        }
    }

    /// The last `n` characters of `text`.
    pub(crate) fn tail(self, text: &str, n: u32) -> String {
        match self {
            Self::Sqlite => format!("substr({text}, -{n})"),
            Self::Postgres => format!("right({text}, {n})"),
        }
    }

    /// Whether `haystack` contains `needle` (both as given, no pattern characters).
    pub(crate) fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Self::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Self::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }

    /// The claim's row lock: PostgreSQL skips rows another replica's claim holds, so
    /// concurrent claims take different jobs without waiting; SQLite serializes writers.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE OF j SKIP LOCKED",
        }
    }
}
