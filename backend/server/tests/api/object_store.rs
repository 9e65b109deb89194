//! The blob store beyond `<data dir>/blobs`: a `file://` folder shared by two servers, and
//! an S3 bucket served by moto's S3 emulator (`.tools/pyenv/bin/moto_server`, installed by
//! `scripts/setup-python.sh`). The S3 server runs as its own `qbound serve` process, since
//! `--store s3://` reads its endpoint and credentials from the environment. A store that is
//! wrong or does not answer stops the server at start with the reason.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qbound_server::{Application, Role, Settings, create_api_token};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{
    Options, TestApp, demo_model, files_under, find, fresh_database, repo_root, spawn_app_with,
};

/// A child process killed when the test ends, passing or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// moto's S3 emulator on a free port, and its endpoint; `None` (with a message) when the
/// checker venv lacks moto.
async fn start_moto() -> Option<(Killed, String)> {
    let moto = repo_root().join(".tools/pyenv/bin/moto_server");
    if !moto.is_file() {
        eprintln!(
            "skipped: {} is missing (run scripts/setup-python.sh)",
            moto.display()
        );
        return None;
    }
    let port = free_port();
    let child = Command::new(moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Killed(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(&endpoint).send().await.is_ok() {
            return Some((moto, endpoint));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto did not answer at {endpoint} within 30 s");
}

async fn create_bucket(endpoint: &str, bucket: &str) {
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");
}

/// The keys under `prefix` in `bucket`, listed through the emulator's S3 API.
async fn bucket_keys(endpoint: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let listing = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    listing
        .split("<Key>")
        .skip(1)
        .filter_map(|s| s.split_once("</Key>").map(|(key, _)| key.to_owned()))
        .collect()
}

/// `qbound serve` on a free port with its blobs in `store`, moto's endpoint and test
/// credentials in its environment, and no demo data.
fn serve_command(
    data_dir: &Path,
    database_url: Option<&str>,
    store: &str,
    endpoint: &str,
) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qbound"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--store", store])
        .args(database_url.map(|url| format!("--database-url={url}")))
        .arg("--data")
        .arg(data_dir)
        .arg("--demo-data")
        .arg(data_dir.join("no-demo"))
        .env("AWS_ENDPOINT", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ALLOW_HTTP", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Starts `command` and waits for its "listening" line; returns the process, its address,
/// and its stderr as it goes on.
fn start_serving(mut command: Command) -> (Killed, String, Arc<Mutex<Vec<String>>>) {
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Killed(child);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let kept = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("qbound listening on ") {
                let _ = address_tx.send(address.to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let address = address_rx
        .recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("the server did not start: {:?}", lines.lock().unwrap()));
    (server, address, lines)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn blob_key(prefix: &str, sha256: &str) -> String {
    format!("{prefix}blobs/{}/{sha256}", &sha256[..2])
}

#[tokio::test]
async fn a_run_keeps_its_model_dataset_and_artifacts_in_an_s3_bucket() {
    let Some((_moto, endpoint)) = start_moto().await else {
        return;
    };
    create_bucket(&endpoint, "qbound-test").await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // On the PostgreSQL pass, the team setup: records in PostgreSQL, blobs in the bucket.
    let database_url = fresh_database().await;
    let token =
        |name: &'static str, role| create_api_token(&data_dir, database_url.as_deref(), name, role);
    let write_token = token("tester", Role::Write).await.unwrap();
    let worker_token = token("remote-worker", Role::Worker).await.unwrap();
    let command = serve_command(
        &data_dir,
        database_url.as_deref(),
        "s3://qbound-test/team",
        &endpoint,
    );
    let (_server, address, log) = start_serving(command);
    let app = TestApp::at(address, &data_dir, database_url, write_token, worker_token);

    let (model_id, dataset_id) = app.upload_demo(2).await;
    let run_id = app.create_small_run(model_id, dataset_id).await;
    let run = app.wait_for_run(run_id, Duration::from_secs(600)).await;
    assert_eq!(run["status"], "succeeded", "{run:#}\n{:?}", log.lock());

    let artifacts = app.get_json(&format!("/api/runs/{run_id}/artifacts")).await;
    let exported = find(&artifacts, "name", "nanodet_int8_bs32.onnx");
    let response = app.get(exported["download_url"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    let recorded = exported["sha256"].as_str().unwrap();
    assert_eq!(response.headers()["x-checksum-sha256"], recorded);
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, exported["size"].as_i64().unwrap());
    assert_eq!(sha256_hex(&bytes), recorded);
    qbound_engine::onnx::decode_model(&bytes).unwrap();

    let tail = app
        .client
        .get(app.url(exported["download_url"].as_str().unwrap()))
        .header("range", "bytes=-100")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), bytes[bytes.len() - 100..]);

    let model = app.get_json(&format!("/api/models/{model_id}")).await;
    let dataset = app.get_json(&format!("/api/datasets/{dataset_id}")).await;
    let keys = bucket_keys(&endpoint, "qbound-test", "team/blobs/").await;
    for sha256 in [
        model["sha256"].as_str().unwrap(),
        dataset["sha256"].as_str().unwrap(),
        recorded,
    ] {
        assert!(
            keys.contains(&blob_key("team/", sha256)),
            "{sha256} not in {keys:?}"
        );
    }
    assert!(files_under(&data_dir.join("blobs")).is_empty());

    // The model (15 MB) went up in parts and comes back whole; sent again, it is not stored
    // twice.
    let url = format!("/api/models/{model_id}/download");
    let downloaded = app.get(&url).await.bytes().await.unwrap();
    assert_eq!(downloaded, std::fs::read(demo_model()).unwrap());
    assert_eq!(upload_model(&app).await, model["sha256"].as_str().unwrap());
    assert_eq!(
        bucket_keys(&endpoint, "qbound-test", "team/blobs/").await,
        keys
    );
}

/// What `qbound serve --store store` against `endpoint` printed when it failed to start.
async fn refused_start(store: &str, endpoint: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve_command(&dir.path().join("data"), None, store, endpoint);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_bucket_that_does_not_exist_stops_the_server_with_its_name() {
    let Some((_moto, endpoint)) = start_moto().await else {
        return;
    };
    let stderr = refused_start("s3://no-such-bucket", &endpoint).await;
    assert!(
        stderr.contains("`s3://no-such-bucket` cannot be read"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_s3_endpoint_that_does_not_answer_stops_the_server_with_the_reason() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let stderr = refused_start("s3://qbound/team", &closed).await;
    assert!(
        stderr.contains("`s3://qbound/team` cannot be read"),
        "{stderr}"
    );
    assert!(stderr.contains(&closed), "{stderr}");
}

fn store_options(store: &Path) -> Options {
    Options {
        embedded_worker: false,
        store_url: Some(format!("file://{}", store.display())),
        ..Options::default()
    }
}

/// Uploads the demo model; its recorded sha256.
async fn upload_model(app: &TestApp) -> String {
    let bytes = std::fs::read(demo_model()).unwrap();
    let response = app.upload("/api/models", "nanodet.onnx", bytes).await;
    assert_eq!(response.status(), 201);
    let model: Value = response.json().await.unwrap();
    model["sha256"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn two_servers_share_one_file_store_and_serve_its_blobs() {
    let shared = tempfile::tempdir().unwrap();
    let store = shared.path().join("blobs-of-the-team");
    let (first, _first_dir) = spawn_app_with(store_options(&store)).await;
    let (second, _second_dir) = spawn_app_with(store_options(&store)).await;

    let sha256 = upload_model(&first).await;
    assert_eq!(upload_model(&second).await, sha256);
    let stored: Vec<PathBuf> = files_under(&store);
    assert_eq!(stored, [store.join(blob_key("", &sha256))]);
    assert!(files_under(&first.data_dir.join("blobs")).is_empty());

    let models = second.get_json("/api/models").await;
    let url = format!("/api/models/{}/download", models[0]["model_id"]);
    let bytes = second.get(&url).await.bytes().await.unwrap();
    assert_eq!(bytes, std::fs::read(demo_model()).unwrap());
}

#[tokio::test]
async fn a_store_url_of_an_unknown_kind_is_refused_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.store_url = Some("ftp://files.example/qbound".into());
    let Err(err) = Application::build(settings).await else {
        panic!("a server started with an ftp store");
    };
    let message = err.to_string();
    assert!(message.contains("`ftp` is not supported"), "{message}");
    assert!(message.contains("s3://bucket"), "{message}");
}
