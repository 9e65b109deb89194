//! Browser tests of the web UI: a real server with the built UI and the demo data, driven
//! in headless Chromium through chromedriver. Needs `scripts/setup-browser.sh` once; builds
//! `frontend/dist` with `scripts/build-frontend.sh` when it is missing.
#![allow(clippy::unwrap_used)]

mod actions;
mod checks;
mod finds;
mod run_page;
mod scripted;
mod setup;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use qbound_shared::{ArtifactRecord, ErrorAnalysis, LayerResult, RunRecord, TradeoffPoint};
use sha2::{Digest, Sha256};

use actions::{check, choose, click, open, pause, type_into, upload};
use checks::{count_becomes, eventually, text_shows};
use finds::{attr, count, text, wait_for};
use setup::{Driver, Server, repo_root};

async fn api<T: serde::de::DeserializeOwned>(server: &Server, path: &str) -> T {
    reqwest::get(format!("{}{path}", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A screenshot of the whole page at desktop width.
async fn save_page(client: &Client, name: &str) {
    save_page_at(client, name, 1400).await;
}

/// A screenshot of the whole page `width` px wide (the window grown to the page's height),
/// then back to the desktop window.
async fn save_page_at(client: &Client, name: &str, width: u32) {
    client.set_window_size(width, 1000).await.unwrap();
    pause(400).await;
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(1000.0);
    client
        .set_window_size(width, (height as u32 + 40).clamp(800, 8000))
        .await
        .unwrap();
    client
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    pause(400).await;
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(name), png).unwrap();
    client.set_window_size(1400, 1000).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_created_in_the_browser_finishes_with_charts_and_a_verified_download() {
    let server = Server::start().await;
    let driver = Driver::start().await;
    let client = driver.browser().await;
    let outcome = {
        let (client, base, token) = (
            client.clone(),
            server.base.clone(),
            server.write_token.clone(),
        );
        let downloads = driver.downloads.path().to_path_buf();
        let server = &server;
        let journey = async move { journey(&client, &base, &token, &downloads, server).await };
        std::panic::AssertUnwindSafe(journey)
    };
    let result = futures_catch(outcome).await;
    let _ = client.close().await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Runs `test` with a fresh headless browser of `driver`, closing the browser even when
/// the test panics (then the panic goes on).
async fn in_browser<F, Fut>(driver: &Driver, test: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let client = driver.browser().await;
    let result = futures_catch(std::panic::AssertUnwindSafe(test(client.clone()))).await;
    let _ = client.close().await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Runs `future`, turning a panic into an `Err` so the browser session can be closed first.
async fn futures_catch<F: std::future::Future<Output = ()>>(
    future: std::panic::AssertUnwindSafe<F>,
) -> Result<(), Box<dyn std::any::Any + Send>> {
    let mut future = std::pin::pin!(future.0);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(())) => std::task::Poll::Ready(Ok(())),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    })
    .await
}

/// The run's error analysis chart: its three lines with a point per tensor the API lists, the
/// flagged tensors ringed with their names as tooltips; its CSV link downloads the table.
async fn check_error_analysis(client: &Client, server: &Server, run_id: i64, downloads: &Path) {
    let path = format!("/api/runs/{run_id}/analysis");
    let analysis: ErrorAnalysis = api(server, &path).await;
    let tensors = analysis.tensors.len();
    let flagged: Vec<&str> = analysis
        .tensors
        .iter()
        .filter(|t| t.flagged)
        .map(|t| t.tensor.as_str())
        .collect();
    assert!(tensors > 20, "{tensors} tensors");
    assert_eq!(flagged.len(), 5);
    assert!(analysis.output_images > 0, "the run measured output errors");
    count_becomes(client, "#analysis-chart polyline.line.local", 1).await;
    for line in ["cumulative", "output"] {
        let css = format!("#analysis-chart polyline.line.{line}");
        assert_eq!(count(client, &css).await, 1, "the {line} line");
    }
    for line in ["local", "cumulative", "output"] {
        let css = format!("#analysis-chart circle.point.{line}");
        assert_eq!(count(client, &css).await, tensors, "{line} points");
    }
    assert_eq!(
        attr(client, "#analysis-chart", "role").await.as_deref(),
        Some("img")
    );
    let label = attr(client, "#analysis-chart", "aria-label").await.unwrap();
    assert!(
        label.contains(&format!("{tensors} quantized tensors")),
        "{label}"
    );
    let titles = client
        .execute(
            "return [...document.querySelectorAll('#analysis-chart g.flagged > title')].map(t => t.textContent)",
            vec![],
        )
        .await
        .unwrap();
    let titles: Vec<String> = serde_json::from_value(titles).unwrap();
    assert_eq!(titles.len(), flagged.len());
    for name in &flagged {
        assert!(
            titles.iter().any(|t| t.contains(name)),
            "no ring names `{name}`: {titles:?}"
        );
    }
    println!("analysis chart: {tensors} tensors on three lines, flagged {flagged:?}");

    let file = downloads.join(format!("run-{run_id}-analysis.csv"));
    click(client, "#analysis-csv").await;
    let csv = eventually(Duration::from_secs(30), "the analysis CSV", || async {
        std::fs::read_to_string(&file)
            .ok()
            .filter(|t| t.ends_with('\n'))
    })
    .await;
    let expected = reqwest::get(format!("{}{path}?format=csv", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, expected);
    assert_eq!(csv.lines().count(), tensors + 1);
    println!("downloaded the analysis table: {} rows", tensors);
}

async fn journey(client: &Client, base: &str, token: &str, downloads: &Path, server: &Server) {
    // The start page is the (empty) run history.
    open(client, base, "#/runs").await;
    text_shows(client, "h1", "Runs").await;
    text_shows(client, ".empty", "No run matches").await;

    // A write without a token opens the token prompt; a bad upload is then explained.
    open(client, base, "#/models").await;
    let junk = tempfile::Builder::new().suffix(".onnx").tempfile().unwrap();
    std::fs::write(junk.path(), b"this is not an ONNX model").unwrap();
    wait_for(client, ".upload input[type=file]").await;
    upload(client, ".upload input[type=file]", junk.path()).await;
    click(client, ".upload button[type=submit]").await;
    wait_for(client, "#token-prompt").await;
    text_shows(client, ".upload .error", "Sign in needed").await;
    type_into(client, "#token-prompt input[name=token]", token).await;
    click(client, "#token-prompt button[type=submit]").await;
    count_becomes(client, "#token-prompt", 0).await;
    text_shows(client, ".token-button", "Signed in").await;
    click(client, ".upload button[type=submit]").await;
    let refusal = eventually(
        Duration::from_secs(20),
        "the bad upload's error",
        || async {
            let text = finds::text(client, ".upload .error").await;
            (!text.contains("Sign in")).then_some(text)
        },
    )
    .await;
    println!("bad upload shown as: {refusal}");
    assert!(
        refusal.starts_with("Cannot do that") || refusal.contains("ONNX"),
        "{refusal}"
    );

    // The demo model uploads with progress and is listed next to the registered one.
    upload(
        client,
        ".upload input[type=file]",
        &repo_root().join("data/nanodet-coco-416.onnx"),
    )
    .await;
    type_into(
        client,
        ".upload input[name=name]",
        "nanodet uploaded in the browser",
    )
    .await;
    click(client, ".upload button[type=submit]").await;
    text_shows(client, ".upload .ok", "Uploaded").await;
    count_becomes(client, "table.models tbody tr", 2).await;
    click(client, "table.models tbody tr:first-child a").await;
    text_shows(client, "h1", "nanodet").await;
    assert!(count(client, "table.layers tbody tr").await > 10);

    // The new-run form checks before it sends, then starts a small run on the demo.
    open(client, base, "#/runs/new").await;
    eventually(Duration::from_secs(20), "the model choices", || async {
        (count(client, "select[name=model] option").await >= 2).then_some(())
    })
    .await;
    choose(client, "select[name=model]", "1").await;
    type_into(client, "input[name=name]", "e2e demo run").await;
    type_into(client, "input[name=tags]", "e2e, demo").await;
    type_into(client, "input[name=calibration_images]", "8").await;
    choose(client, "select[name=sensitivity_metric]", "proxy").await;
    choose(client, "select[name=boundary]", "sweep").await;
    type_into(client, "input[name=sweep]", "1, 9999").await;
    choose(client, "select[name=target]", "ort-cpu").await;
    type_into(client, "input[name=warmup_runs]", "1").await;
    type_into(client, "input[name=timed_runs]", "3").await;
    click(client, "#new-run button[type=submit]").await;
    text_shows(
        client,
        ".field-error[data-for=sweep]",
        "Cannot keep 9999 layers in float",
    )
    .await;
    type_into(client, "input[name=sweep]", "1, 2").await;
    click(client, "#new-run button[type=submit]").await;
    let mut degraded = false;
    let run_id = eventually(Duration::from_secs(20), "the run page", || async {
        let url = client.current_url().await.ok()?;
        if let Some(id) = url
            .fragment()
            .and_then(|f| f.strip_prefix("/runs/"))
            .and_then(|id| id.parse::<i64>().ok())
        {
            return Some(Some(id));
        }
        let error = attr(client, "#new-run .error", "role").await.map(|_| ());
        error.map(|_| None)
    })
    .await;
    let run_id = match run_id {
        Some(id) => id,
        None => {
            // A server without sensitivity support yet: say so, and run all-INT8 instead.
            let why = text(client, "#new-run .error").await;
            assert!(why.contains("not available"), "the run was refused: {why}");
            println!("NOTE: {why}; falling back to an all-INT8 run without sensitivity");
            degraded = true;
            check(client, "input[name=sensitivity]", false).await;
            choose(client, "select[name=boundary]", "all").await;
            click(client, "#new-run button[type=submit]").await;
            eventually(Duration::from_secs(20), "the run page", || async {
                let url = client.current_url().await.ok()?;
                url.fragment()?.strip_prefix("/runs/")?.parse::<i64>().ok()
            })
            .await
        }
    };
    println!("created run {run_id} through the form");

    // Progress advances live (SSE) until the run succeeds.
    let seen = std::cell::RefCell::new(Vec::new());
    let status = eventually(Duration::from_secs(600), "the run to finish", || {
        let seen = &seen;
        async move {
            if let Some(v) = attr(client, "#run-progress [role=progressbar]", "aria-valuenow").await
                && let Ok(v) = v.parse::<u32>()
                && seen.borrow().last() != Some(&v)
            {
                seen.borrow_mut().push(v);
            }
            let status = attr(client, "h1 .badge", "class").await?;
            ["succeeded", "failed", "cancelled"]
                .iter()
                .find(|s| status.contains(&format!("status-{s}")))
                .map(|s| (*s).to_owned())
        }
    })
    .await;
    let seen = seen.into_inner();
    println!("progress seen: {seen:?}");
    if status != "succeeded" {
        let jobs = text(client, "table.jobs").await;
        panic!("the run ended {status}: {jobs}");
    }
    assert!(
        seen.len() >= 3 && seen.windows(2).any(|w| w[1] > w[0]),
        "progress did not advance: {seen:?}"
    );
    eventually(
        Duration::from_secs(20),
        "the progress bar to reach 100%",
        || async {
            (attr(client, "#run-progress [role=progressbar]", "aria-valuenow")
                .await
                .as_deref()
                == Some("100"))
            .then_some(())
        },
    )
    .await;

    // The finished run, opened afresh: charts with the right number of bars and points.
    open(client, base, "#/runs").await;
    open(client, base, &format!("#/runs/{run_id}")).await;
    text_shows(client, "h1 .badge", "succeeded").await;
    let run: RunRecord = api(server, &format!("/api/runs/{run_id}")).await;
    let layers: Vec<LayerResult> = api(server, &format!("/api/runs/{run_id}/layers")).await;
    let points: Vec<TradeoffPoint> = api(server, &format!("/api/runs/{run_id}/tradeoff")).await;
    let artifacts: Vec<ArtifactRecord> =
        api(server, &format!("/api/runs/{run_id}/artifacts")).await;
    let bars = layers.iter().filter(|l| l.sensitivity.is_some()).count();
    let measured: usize = run
        .config
        .benchmark
        .batch_sizes
        .iter()
        .map(|&b| {
            points
                .iter()
                .filter(|p| p.accuracy.is_some() && p.images_per_second(b).is_some())
                .count()
        })
        .sum();
    println!(
        "API: {} layers, {bars} with sensitivity; {} points, {measured} plottable; {} artifacts",
        layers.len(),
        points.len(),
        artifacts.len()
    );
    if degraded {
        assert_eq!(bars, 0);
    } else {
        assert!(bars > 0, "a run with sensitivity has no sensitivity values");
    }
    if bars > 0 {
        count_becomes(client, "#sensitivity-chart rect.bar", bars).await;
        let float_bars = count(client, "#sensitivity-chart rect.bar[data-kind=float]").await;
        println!("sensitivity chart: {bars} bars, {float_bars} in float, boundary marked");
        assert!(count(client, "#sensitivity-chart .boundary line").await == 1);
        text_shows(client, "#sensitivity-reliability", "Ranking reliability").await;
    } else {
        text_shows(client, ".empty", "No sensitivity measured").await;
    }
    if measured > 0 {
        count_becomes(client, "#tradeoff-chart g.point", measured).await;
        assert!(count(client, "#tradeoff-chart polyline.frontier").await >= 1);
        // The point drawn last: points with equal figures overlap, and it is the one on top.
        let points = client
            .find_all(Locator::Css("#tradeoff-chart g.point"))
            .await
            .unwrap();
        let top = points.last().unwrap();
        let label = top.attr("data-label").await.unwrap().unwrap();
        // The marker itself: the middle of the group can fall between marker and label.
        top.find(Locator::XPath("./*[2]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        text_shows(client, "#selected-point", &label).await;
        println!("trade-off chart: {measured} points; clicking one selected `{label}`");
    } else {
        text_shows(client, ".empty", "No point has both").await;
        println!("trade-off chart: no point has an accuracy yet (the server does not evaluate)");
    }
    assert_eq!(
        count(client, "table.artifacts tbody tr").await,
        artifacts.len()
    );
    assert!(!artifacts.is_empty());
    check_error_analysis(client, server, run_id, downloads).await;

    // Downloading an artifact through its link gives the bytes the API describes.
    let wanted = artifacts
        .iter()
        .find(|a| a.name.ends_with(".onnx"))
        .unwrap_or(&artifacts[0]);
    click(
        client,
        &format!("tr[data-artifact-id=\"{}\"] a.download", wanted.artifact_id),
    )
    .await;
    let file = downloads.join(&wanted.name);
    let bytes = eventually(Duration::from_secs(60), "the download", || async {
        let done = file.is_file()
            && !downloads
                .join(format!("{}.crdownload", wanted.name))
                .exists();
        done.then(|| std::fs::read(&file).ok())
            .flatten()
            .filter(|b| b.len() as i64 == wanted.size)
    })
    .await;
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(
        sha, wanted.sha256,
        "downloaded `{}` differs from the API's checksum",
        wanted.name
    );
    println!(
        "downloaded `{}` ({} bytes) in the browser; sha256 matches the API",
        wanted.name,
        bytes.len()
    );
    save_page(client, "run-page.png").await;
    save_page_at(client, "run-page-phone.png", 390).await;

    // The history lists the run with its tags; notes are edited in place.
    open(client, base, "#/runs").await;
    let row = format!("tr[data-run-id=\"{run_id}\"]");
    text_shows(client, &format!("{row} .tags"), "e2e").await;
    click(client, &format!("{row} button")).await;
    type_into(
        client,
        &format!("{row} textarea[name=notes]"),
        "looks good; ship keep1",
    )
    .await;
    click(client, &format!("{row} button.primary")).await;
    text_shows(client, ".ok", &format!("Saved run {run_id}")).await;
    text_shows(client, &format!("{row} .notes"), "ship keep1").await;
    save_page(client, "history-page.png").await;
}
