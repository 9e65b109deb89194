//! `qbound serve [--data DIR] [--bind ADDR]`: the web app, the API and an embedded worker.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use qbound_server::{Application, Settings, init_tracing};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder for the SQLite database and stored files.
    #[arg(long, default_value = "qbound-data")]
    data: PathBuf,
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
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    init_tracing();
    let mut settings = Settings::new(&args.data);
    settings.bind = args.bind;
    settings.embedded_worker = !args.no_worker;
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
