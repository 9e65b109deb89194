//! `qbound serve [--data DIR] [--store URL] [--bind ADDR]`: the web app, the API and an
//! embedded worker.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use qbound_server::{Application, Settings, init_tracing};

use super::args::DatabaseArgs;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder for the SQLite database, temporary files and (without `--store`) stored files.
    #[arg(long, default_value = "qbound-data")]
    data: PathBuf,
    /// Where models, datasets and artifacts are kept (default: `<data>/blobs`):
    /// `file:///path` (a folder replicas on one machine may share), `s3://bucket[/prefix]`
    /// (credentials and endpoint from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`), `gs://bucket[/prefix]` or
    /// `az://container[/prefix]`.
    #[arg(long, env = "QBOUND_STORE", value_name = "URL")]
    store: Option<String>,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Run no embedded worker (jobs wait for remote workers).
    #[arg(long)]
    no_worker: bool,
    /// Folder of the demo model and photos registered on first start (default: the
    /// checkout's `data/` when found).
    #[arg(long)]
    demo_data: Option<PathBuf>,
    /// Folder of the built web UI (default: the checkout's `frontend/dist` when found).
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Reads need a token too (of any role); the default when `--bind` is not a loopback
    /// address.
    #[arg(long, conflicts_with = "public")]
    private: bool,
    /// Reads need no token, even when bound beyond loopback.
    #[arg(long)]
    public: bool,
    /// A host name clients use to reach the server (besides IP addresses and `localhost`);
    /// requests for other names are refused, against DNS rebinding. Repeatable.
    #[arg(long, value_name = "NAME")]
    allowed_host: Vec<String>,
    #[command(flatten)]
    limits: Limits,
}

/// Upload limits, in MiB unless said otherwise.
#[derive(Debug, clap::Args)]
struct Limits {
    /// Largest model upload.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    max_model_mib: u64,
    /// Largest dataset archive upload.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    max_dataset_mib: u64,
    /// Most a dataset archive may unpack to.
    #[arg(long, value_name = "MIB", default_value_t = 4096)]
    max_unpacked_mib: u64,
    /// Largest single file inside a dataset archive.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    max_entry_mib: u64,
    /// How many times its own size a dataset archive may unpack to.
    #[arg(long, value_name = "RATIO", default_value_t = 50)]
    max_compression_ratio: u64,
    /// Largest artifact a worker may upload.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    max_artifact_mib: u64,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    init_tracing();
    let mut settings = Settings::new(&args.data);
    settings.store_url = args.store;
    settings.bind = args.bind;
    settings.database_url = args.database.database_url;
    settings.embedded_worker = !args.no_worker;
    settings.private = args.private || (!args.public && !args.bind.ip().is_loopback());
    settings.allowed_hosts = args.allowed_host;
    const MIB: u64 = 1024 * 1024;
    settings.max_model_bytes = args.limits.max_model_mib.saturating_mul(MIB);
    settings.max_dataset_bytes = args.limits.max_dataset_mib.saturating_mul(MIB);
    settings.max_unpacked_bytes = args.limits.max_unpacked_mib.saturating_mul(MIB);
    settings.max_entry_bytes = args.limits.max_entry_mib.saturating_mul(MIB);
    settings.max_compression_ratio = args.limits.max_compression_ratio;
    settings.max_artifact_bytes = args.limits.max_artifact_mib.saturating_mul(MIB);
    settings.demo_data = args
        .demo_data
        .or_else(|| checkout_path("data/nanodet-coco-416.onnx").map(|p| p.with_file_name("")));
    settings.static_dir = args
        .static_dir
        .or_else(|| checkout_path("frontend/dist/index.html").map(|p| p.with_file_name("")));
    tokio::runtime::Runtime::new()?.block_on(async {
        let app = Application::build(settings).await?;
        eprintln!("qbound listening on http://{}", app.address());
        app.run_until_stopped().await
    })?;
    Ok(())
}

/// `relative` inside the qbound checkout that holds the running binary or the working
/// directory, if it exists.
fn checkout_path(relative: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    exe.iter()
        .flat_map(|p| p.ancestors())
        .chain(cwd.iter().flat_map(|p| p.ancestors()))
        .map(|dir: &Path| dir.join(relative))
        .find(|p| p.exists())
}
