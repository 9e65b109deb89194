//! What an API token may do.

use crate::text_enum::text_enum;

text_enum!(
    /// What a token may do.
    Role("role") {
        /// Read-only access (needed for reads when the server is private).
        Read = "read",
        /// Create, change and delete models, datasets, runs and tokens.
        Write = "write",
        /// Claim jobs, report progress and results, upload artifacts.
        Worker = "worker",
    }
);
