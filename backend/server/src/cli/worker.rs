//! `qbound worker --server URL [--server URL...] --token T`: a remote worker that takes jobs
//! from a server (or from the first of its replicas that answers).

use std::path::PathBuf;

use qbound_server::{
    Capability, WorkerSettings, init_tracing, run_worker_until_stopped, shutdown_signal,
};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server's base URL, e.g. http://127.0.0.1:8080. Repeat it for the replicas of
    /// one service (servers on one PostgreSQL database): the worker moves to the next when
    /// the one in use cannot be reached.
    #[arg(long, required = true)]
    server: Vec<String>,
    /// A `worker` API token (`qbound token create --role worker`).
    #[arg(long, env = "QBOUND_TOKEN")]
    token: String,
    /// Folder for downloaded inputs and results.
    #[arg(long, default_value = "qbound-worker")]
    work_dir: PathBuf,
    /// This worker's name as the server shows it (default: the host name).
    #[arg(long)]
    name: Option<String>,
    /// Capabilities to offer, comma-separated (cpu, cuda, tensorrt); default: the providers
    /// that really initialise on this node.
    #[arg(long, value_delimiter = ',')]
    capabilities: Option<Vec<Capability>>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    init_tracing();
    let mut servers = args.server.into_iter();
    let first = servers.next().unwrap_or_default();
    let mut settings = WorkerSettings::new(first, args.token, args.work_dir);
    settings.other_servers = servers.collect();
    if let Some(name) = args.name {
        settings.name = name;
    }
    if let Some(capabilities) = args.capabilities {
        settings.capabilities = capabilities;
    }
    tokio::runtime::Runtime::new()?
        .block_on(run_worker_until_stopped(settings, shutdown_signal()))?;
    Ok(())
}
