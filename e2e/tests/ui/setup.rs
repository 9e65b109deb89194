//! The world a browser test runs in: the built UI, a real server, chromedriver and
//! headless Chromium.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use qbound_server::{Application, Role, Settings, create_api_token};
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::checks::eventually;

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// `frontend/dist`, built with `scripts/build-frontend.sh` when it is missing.
pub(crate) fn built_ui() -> PathBuf {
    let root = repo_root();
    let dist = root.join("frontend/dist");
    if !dist.join("index.html").is_file() {
        let status = Command::new(root.join("scripts/build-frontend.sh"))
            .current_dir(&root)
            .status()
            .expect("cannot run scripts/build-frontend.sh");
        assert!(
            status.success(),
            "scripts/build-frontend.sh failed; run it by hand to see why"
        );
    }
    dist
}

/// A running server with the demo data and the built UI.
pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) write_token: String,
    pub(crate) worker_token: String,
    _data: TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Server {
    /// With an embedded worker that runs the jobs for real.
    pub(crate) async fn start() -> Self {
        Self::start_with(true).await
    }

    /// Without a worker: jobs wait for one the test plays (`scripted::play_run`).
    pub(crate) async fn start_without_worker() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(embedded_worker: bool) -> Self {
        let dist = built_ui();
        let data = tempfile::tempdir().unwrap();
        let data_dir = data.path().join("data");
        let write_token = create_api_token(&data_dir, None, "e2e", Role::Write)
            .await
            .unwrap();
        let worker_token = create_api_token(&data_dir, None, "e2e-worker", Role::Worker)
            .await
            .unwrap();
        let mut settings = Settings::new(&data_dir);
        settings.embedded_worker = embedded_worker;
        settings.bind = "127.0.0.1:0".parse().unwrap();
        settings.demo_data = Some(repo_root().join("data"));
        settings.static_dir = Some(dist);
        let app = Application::build(settings).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            app.run_until(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            write_token,
            worker_token,
            _data: data,
            stop: Some(stop),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// chromedriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    pub(crate) url: String,
    profile: TempDir,
    pub(crate) downloads: TempDir,
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

impl Driver {
    pub(crate) async fn start() -> Self {
        let (Some(driver), Some(_)) = (which("chromedriver"), which("chromium")) else {
            panic!("chromium and chromedriver are needed: run `scripts/setup-browser.sh`");
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        eventually(
            Duration::from_secs(20),
            "chromedriver to listen",
            || async {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
        Self {
            child,
            url,
            profile: tempfile::tempdir().unwrap(),
            downloads: tempfile::tempdir().unwrap(),
        }
    }

    /// A headless Chromium session with the flags RECIPES.md lists, downloads going to
    /// `self.downloads`.
    pub(crate) async fn browser(&self) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1400,1000", "--hide-scrollbars",
                    format!("--user-data-dir={}", self.profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": self.downloads.path().to_str().unwrap(),
                    "download.prompt_for_download": false,
                    "safebrowsing.enabled": false,
                },
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
