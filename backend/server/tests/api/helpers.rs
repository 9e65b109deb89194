//! `spawn_app()` and typed request helpers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use qbound_server::{
    Application, Role, Settings, WorkerSettings, create_api_token, run_worker_until_stopped,
};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn demo_model() -> PathBuf {
    repo_root().join("data/nanodet-coco-416.onnx")
}

/// The first `n` demo photos of `set` (`calib` or `val`).
pub(crate) fn demo_images(set: &str, n: usize) -> Vec<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(repo_root().join("data/images").join(set))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    images.sort();
    images.truncate(n);
    images
}

/// A tar of `files`, each under `prefix` + its base name.
pub(crate) fn tar_of(files: &[PathBuf], prefix: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for file in files {
        let name = format!("{prefix}{}", file.file_name().unwrap().to_str().unwrap());
        builder.append_path_with_name(file, name).unwrap();
    }
    builder.into_inner().unwrap()
}

/// The PostgreSQL cluster the API tests run on, named by `QBOUND_TEST_POSTGRES_URL`
/// (`scripts/test.sh` starts one and runs the suite a second time with it); unset, they run
/// on SQLite.
pub(crate) fn test_postgres() -> Option<String> {
    std::env::var("QBOUND_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A new, empty database on the test cluster for one test (its URL), or None on SQLite.
pub(crate) async fn fresh_database() -> Option<String> {
    use sqlx::Connection;
    let cluster = test_postgres()?;
    let name = format!("qbound_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&cluster)
        .await
        .expect("QBOUND_TEST_POSTGRES_URL names a PostgreSQL server that answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (server, _) = cluster
        .rsplit_once('/')
        .expect("a URL with a database name");
    Some(format!("{server}/{name}"))
}

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    pub(crate) write_token: String,
    pub(crate) worker_token: String,
    pub(crate) data_dir: PathBuf,
    /// The PostgreSQL database, when the suite runs on one.
    pub(crate) database_url: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

pub(crate) struct Options {
    pub(crate) embedded_worker: bool,
    pub(crate) lease: Duration,
    pub(crate) max_model_bytes: u64,
    pub(crate) demo_data: Option<PathBuf>,
    pub(crate) static_dir: Option<PathBuf>,
    pub(crate) private: bool,
    pub(crate) header_read_timeout: Duration,
    pub(crate) store_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            embedded_worker: true,
            lease: Duration::from_secs(10),
            max_model_bytes: 64 * 1024 * 1024,
            demo_data: None,
            static_dir: None,
            private: false,
            header_read_timeout: Duration::from_secs(10),
            store_url: None,
        }
    }
}

pub(crate) async fn spawn_app() -> (TestApp, TempDir) {
    spawn_app_with(Options::default()).await
}

pub(crate) async fn spawn_app_with(options: Options) -> (TestApp, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let database_url = fresh_database().await;
    let write_token = create_api_token(&data_dir, database_url.as_deref(), "tester", Role::Write)
        .await
        .unwrap();
    let worker_token = create_api_token(
        &data_dir,
        database_url.as_deref(),
        "remote-worker",
        Role::Worker,
    )
    .await
    .unwrap();
    let app = start_server(&data_dir, database_url, &options, write_token, worker_token).await;
    (app, dir)
}

pub(crate) async fn start_server(
    data_dir: &Path,
    database_url: Option<String>,
    options: &Options,
    write_token: String,
    worker_token: String,
) -> TestApp {
    let mut settings = Settings::new(data_dir);
    settings.database_url = database_url.clone();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.embedded_worker = options.embedded_worker;
    settings.lease = options.lease;
    settings.max_model_bytes = options.max_model_bytes;
    settings.max_dataset_bytes = 64 * 1024 * 1024;
    settings.demo_data = options.demo_data.clone();
    settings.static_dir = options.static_dir.clone();
    settings.private = options.private;
    settings.header_read_timeout = options.header_read_timeout;
    settings.store_url = options.store_url.clone();
    let application = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", application.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        application
            .run_until(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    TestApp {
        address,
        client: reqwest::Client::new(),
        write_token,
        worker_token,
        data_dir: data_dir.to_path_buf(),
        database_url,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    /// A client of a server run elsewhere (another process) at `address`, on `data_dir` and
    /// `database_url`, with its tokens.
    pub(crate) fn at(
        address: String,
        data_dir: &Path,
        database_url: Option<String>,
        write_token: String,
        worker_token: String,
    ) -> TestApp {
        TestApp {
            address,
            client: reqwest::Client::new(),
            write_token,
            worker_token,
            data_dir: data_dir.to_path_buf(),
            database_url,
            stop: None,
            server: None,
        }
    }

    /// A new server on this one's data folder, with the same tokens (stop this one first).
    pub(crate) async fn restarted(&self, options: &Options) -> TestApp {
        start_server(
            &self.data_dir,
            self.database_url.clone(),
            options,
            self.write_token.clone(),
            self.worker_token.clone(),
        )
        .await
    }

    /// Runs `sql` on this server's database (SQLite or PostgreSQL), as an operator would.
    pub(crate) async fn execute_sql(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("qbound.db").display()),
        };
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }

    /// Claims the next job by hand with the worker token.
    pub(crate) async fn claim_by_hand(&self) -> Value {
        let response = self
            .client
            .post(self.url("/api/jobs/claim"))
            .bearer_auth(&self.worker_token)
            .json(&json!({ "worker_name": "hand", "capabilities": ["cpu"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub(crate) async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.write_token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn upload(&self, path: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        self.client
            .post(self.url(path))
            .bearer_auth(&self.write_token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads the demo model and `n` calibration photos; returns (model_id, dataset_id).
    pub(crate) async fn upload_demo(&self, n: usize) -> (i64, i64) {
        let model = self
            .upload(
                "/api/models",
                "nanodet.onnx",
                std::fs::read(demo_model()).unwrap(),
            )
            .await;
        assert_eq!(model.status(), 201);
        let model: Value = model.json().await.unwrap();
        let dataset = self
            .upload(
                "/api/datasets",
                "calib.tar",
                tar_of(&demo_images("calib", n), "photos/"),
            )
            .await;
        assert_eq!(dataset.status(), 201);
        let dataset: Value = dataset.json().await.unwrap();
        (
            model["model_id"].as_i64().unwrap(),
            dataset["dataset_id"].as_i64().unwrap(),
        )
    }

    /// Uploads `n` validation photos; returns the dataset id.
    pub(crate) async fn upload_validation(&self, n: usize) -> i64 {
        let dataset = self
            .upload(
                "/api/datasets",
                "val.tar",
                tar_of(&demo_images("val", n), "val/"),
            )
            .await;
        assert_eq!(dataset.status(), 201);
        let dataset: Value = dataset.json().await.unwrap();
        dataset["dataset_id"].as_i64().unwrap()
    }

    /// Creates a run from `config`; returns its id.
    pub(crate) async fn create_run(&self, config: &Value) -> i64 {
        let response = self.post_json("/api/runs", config).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        let run: Value = response.json().await.unwrap();
        run["run_id"].as_i64().unwrap()
    }

    /// Polls until `done` holds for the run's jobs, or panics after `timeout`.
    pub(crate) async fn wait_for_jobs(
        &self,
        run_id: i64,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let jobs = self.get_json(&format!("/api/runs/{run_id}/jobs")).await;
            let jobs = jobs.as_array().unwrap().clone();
            if done(&jobs) {
                return jobs;
            }
            assert!(tokio::time::Instant::now() < deadline, "{what}: {jobs:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A small run: every layer INT8, exported at batch 1 and 32, timed at batch 1.
    pub(crate) async fn create_small_run(&self, model_id: i64, dataset_id: i64) -> i64 {
        let config = json!({
            "model_id": model_id,
            "calibration_dataset_id": dataset_id,
            "profile": "nanodet",
            "calibration_method": "max",
            "boundary": { "kind": "sweep", "keep_float": [0] },
            "target": "tensorrt",
            "export_batch_sizes": ["1", "32"],
            "benchmark": { "batch_sizes": [1], "warmup_runs": 1, "timed_runs": 2 },
            "tags": ["test"]
        });
        let response = self.post_json("/api/runs", &config).await;
        assert_eq!(response.status(), 201);
        let run: Value = response.json().await.unwrap();
        run["run_id"].as_i64().unwrap()
    }

    /// Polls until the run reaches a final status or `timeout` passes.
    pub(crate) async fn wait_for_run(&self, run_id: i64, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let run = self.get_json(&format!("/api/runs/{run_id}")).await;
            let status = run["status"].as_str().unwrap().to_owned();
            if ["succeeded", "failed", "cancelled"].contains(&status.as_str())
                || tokio::time::Instant::now() > deadline
            {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A remote worker in this process, stopped by dropping or aborting its task.
    pub(crate) fn spawn_worker(&self, name: &str, work_dir: &Path) -> JoinHandle<()> {
        let mut settings = WorkerSettings::new(&self.address, &self.worker_token, work_dir);
        settings.name = name.to_owned();
        settings.poll_interval = Duration::from_millis(100);
        tokio::spawn(async move {
            run_worker_until_stopped(settings, std::future::pending())
                .await
                .unwrap();
        })
    }

    /// Stops the server gracefully and waits for it.
    pub(crate) async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .unwrap()
                .unwrap();
        }
    }
}

/// Asserts a 4xx with a JSON `error` message and returns the message.
pub(crate) async fn assert_json_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    body["error"]
        .as_str()
        .expect("a JSON error message")
        .to_owned()
}

/// Reads a run's SSE stream to its end; returns the (event, data) pairs.
pub(crate) async fn watch_run(app: &TestApp, run_id: i64) -> Vec<(String, Value)> {
    let response = app.get(&format!("/api/runs/{run_id}/events")).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    };
    tokio::time::timeout(Duration::from_secs(300), read)
        .await
        .expect("the event stream ends with the run");
    text.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

/// Reads a run's SSE stream to its end and checks that the run succeeded and that a job of
/// `kind` was announced running on the way; the events read.
pub(crate) async fn watch_run_succeed(
    app: &TestApp,
    run_id: i64,
    kind: &str,
) -> Vec<(String, Value)> {
    let events = watch_run(app, run_id).await;
    let (last_kind, last) = events.last().expect("the stream has events");
    assert_eq!(last_kind, "run");
    assert_eq!(last["status"], "succeeded", "{events:?}");
    assert!(
        events
            .iter()
            .any(|(k, e)| k == "job" && e["kind"] == kind && e["state"] == "running"),
        "no running `{kind}` job announced: {events:?}"
    );
    events
}

/// The kinds of a list of jobs, in order.
pub(crate) fn job_kinds(jobs: &Value) -> Vec<&str> {
    jobs.as_array()
        .expect("a list of jobs")
        .iter()
        .map(|j| j["kind"].as_str().expect("a job kind"))
        .collect()
}

/// Downloads the artifact at `url`, checks its size and checksum headers, and runs it once
/// in ONNX Runtime at `batch`.
pub(crate) async fn download_and_run(app: &TestApp, artifact: &Value, batch: i64) {
    let response = app.get(artifact["download_url"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-checksum-sha256"],
        artifact["sha256"].as_str().unwrap()
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, artifact["size"].as_i64().unwrap());
    let model = qbound_engine::onnx::decode_model(&bytes).unwrap();
    let config = qbound_engine::bench::BenchConfig {
        batch_sizes: vec![batch],
        warmup_runs: 0,
        timed_runs: 1,
        ..qbound_engine::bench::BenchConfig::default()
    };
    let results = tokio::task::spawn_blocking(move || {
        qbound_engine::bench::benchmark(
            &[qbound_engine::bench::BenchModel {
                label: "downloaded".into(),
                model,
            }],
            &config,
            &mut |_, _| {},
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(results[0].batch_size, batch);
    assert!(results[0].images_per_second > 0.0);
}

/// The element of `items` whose `key` is `value`.
pub(crate) fn find<'a>(items: &'a Value, key: &str, value: &str) -> &'a Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {items:#}"))
}

/// This process's resident memory, in bytes (the test server runs in it).
pub(crate) fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

/// The files under `dir`, recursively (none when it does not exist).
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flat_map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}
