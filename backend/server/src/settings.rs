//! What `qbound serve` and `qbound worker` are configured with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::archive::ExtractLimits;
use qbound_shared::Capability;

/// Settings of the server (`qbound serve`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Holds the SQLite database (`qbound.db`, unless `database_url` is set), temporary
    /// files, and the blob store unless [`Settings::store_url`] puts it elsewhere.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://user:password@host/db`) to keep the records in instead
    /// of SQLite in `data_dir`; several servers on one such database act as one service.
    pub database_url: Option<String>,
    /// Where models, datasets and artifacts are kept, by content: `None` for
    /// `<data dir>/blobs`; `file:///path` for the same layout in another folder (replicas on
    /// one machine may share it); `s3://bucket[/prefix]`, `gs://bucket[/prefix]` or
    /// `az://container[/prefix]` for an object store, configured from the provider's
    /// environment variables (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, …).
    pub store_url: Option<String>,
    /// Where the API listens; port 0 picks a free port. Defaults to 127.0.0.1:8080.
    pub bind: SocketAddr,
    /// Whether to run a CPU worker inside the server.
    pub embedded_worker: bool,
    /// How long a claimed job stays with its worker without a heartbeat.
    pub lease: Duration,
    /// How long a client may take to send its request headers.
    pub header_read_timeout: Duration,
    /// How many times a job is tried before it fails for good.
    pub max_attempts: i64,
    /// The largest model upload accepted, in bytes.
    pub max_model_bytes: u64,
    /// The largest dataset archive accepted, in bytes.
    pub max_dataset_bytes: u64,
    /// The largest artifact a worker may upload, in bytes.
    pub max_artifact_bytes: u64,
    /// The most one dataset archive may unpack to, in bytes.
    pub max_unpacked_bytes: u64,
    /// The largest file inside a dataset archive, in bytes.
    pub max_entry_bytes: u64,
    /// How many times its own size a dataset archive may unpack to.
    pub max_compression_ratio: u64,
    /// Whether reads need a token too (any role); writes always need one.
    pub private: bool,
    /// Host names, besides IP addresses and `localhost`, that requests may be addressed to.
    pub allowed_hosts: Vec<String>,
    /// A folder with the demo model and photos (`nanodet-coco-416.onnx`, `images/calib`,
    /// `images/val`), registered on first start with an empty data directory.
    pub demo_data: Option<PathBuf>,
    /// The built UI, served at `/` when present.
    pub static_dir: Option<PathBuf>,
}

impl Settings {
    /// Defaults for a server keeping its data in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            store_url: None,
            database_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            embedded_worker: true,
            lease: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_attempts: 3,
            max_model_bytes: 512 * 1024 * 1024,
            max_dataset_bytes: 2 * 1024 * 1024 * 1024,
            max_artifact_bytes: 2 * 1024 * 1024 * 1024,
            max_unpacked_bytes: 4 * 1024 * 1024 * 1024,
            max_entry_bytes: 64 * 1024 * 1024,
            max_compression_ratio: 50,
            private: false,
            allowed_hosts: Vec::new(),
            demo_data: None,
            static_dir: None,
        }
    }
}

impl Settings {
    /// The caps on unpacking an uploaded dataset archive.
    pub(crate) fn extract_limits(&self) -> ExtractLimits {
        ExtractLimits {
            total_bytes: self.max_unpacked_bytes,
            entry_bytes: self.max_entry_bytes,
            max_ratio: self.max_compression_ratio,
        }
    }
}

/// Settings of a worker (`qbound worker`, or the server's embedded one).
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// Other replicas of the same service (servers on one PostgreSQL database), tried in
    /// turn when the one in use cannot be reached.
    pub other_servers: Vec<String>,
    /// A token with the `worker` role.
    pub token: String,
    /// How the worker is named in job records.
    pub name: String,
    /// What this worker can run.
    pub capabilities: Vec<Capability>,
    /// Where inputs are cached and job files are written.
    pub work_dir: PathBuf,
    /// How long to wait between claims when the queue is empty.
    pub poll_interval: Duration,
}

impl WorkerSettings {
    /// A worker for `server` with `token`, working in `work_dir`, offering what this machine
    /// has ([`detected_capabilities`]).
    pub fn new(
        server: impl Into<String>,
        token: impl Into<String>,
        work_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            server: server.into(),
            other_servers: Vec::new(),
            token: token.into(),
            name: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            capabilities: detected_capabilities(),
            work_dir: work_dir.into(),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// What this machine can run: `cpu` always, `cuda` and `tensorrt` when the engine's probe
/// sessions build and run on them (probed once per process).
pub fn detected_capabilities() -> Vec<Capability> {
    use qbound_engine::runtime::{Provider, detect_capabilities};
    detect_capabilities()
        .available
        .into_iter()
        .map(|provider| match provider {
            Provider::Cpu => Capability::Cpu,
            Provider::Cuda => Capability::Cuda,
            Provider::TensorRt => Capability::Tensorrt,
        })
        .collect()
}
