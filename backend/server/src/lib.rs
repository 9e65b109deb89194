//! qbound's server: the REST API, the SQLite experiment history, the job queue and its
//! workers. The `qbound` binary's `serve`, `worker` and `token` commands call into here.
