//! Several servers on one PostgreSQL database act as one service: runs made on either are
//! claimed once by a worker of both, either one streams the other's changes, a worker
//! carries on with the survivor when its server stops, and replicas starting together
//! register the demo data once and keep each other's embedded workers' tokens. Run when
//! `QBOUND_TEST_POSTGRES_URL` names a cluster (scripts/test.sh always starts one).

use std::time::Duration;

use qbound_server::{Role, WorkerSettings, create_api_token, run_worker_until_stopped};
use serde_json::Value;

use crate::helpers::{Options, TestApp, fresh_database, repo_root, start_server, watch_run};

/// Two servers on one fresh database, with their own data folders and one blob folder.
async fn two_replicas(
    options: Options,
    dir: &std::path::Path,
) -> Option<(TestApp, TestApp, String)> {
    let Some(database_url) = fresh_database().await else {
        eprintln!("skipped: QBOUND_TEST_POSTGRES_URL is unset, so no PostgreSQL replicas");
        return None;
    };
    let first_data = dir.join("a");
    let token =
        |name: &'static str, role| create_api_token(&first_data, Some(&database_url), name, role);
    let write = token("tester", Role::Write).await.unwrap();
    let worker = token("remote-worker", Role::Worker).await.unwrap();
    let options = Options {
        store_url: Some(format!("file://{}", dir.join("store").display())),
        ..options
    };
    let (first, second) = (dir.join("a"), dir.join("b"));
    let start = |data_dir| {
        start_server(
            data_dir,
            Some(database_url.clone()),
            &options,
            write.clone(),
            worker.clone(),
        )
    };
    let (a, b) = tokio::join!(start(&first), start(&second));
    Some((a, b, database_url))
}

#[tokio::test]
async fn runs_on_two_replicas_finish_once_each_and_a_worker_moves_to_the_survivor() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        embedded_worker: false,
        lease: Duration::from_secs(5),
        ..Options::default()
    };
    let Some((mut a, b, _)) = two_replicas(options, dir.path()).await else {
        return;
    };
    let (model_id, dataset_id) = a.upload_demo(4).await;
    let run_a = a.create_small_run(model_id, dataset_id).await;
    let run_b = b.create_small_run(model_id, dataset_id).await;

    // B streams the run made on A while one worker, talking to A first, works both.
    let watching = watch_run(&b, run_a);
    let working = async {
        let mut settings =
            WorkerSettings::new(&a.address, &a.worker_token, dir.path().join("worker"));
        settings.name = "replicated".into();
        settings.other_servers = vec![b.address.clone()];
        settings.poll_interval = Duration::from_millis(100);
        let worker = tokio::spawn(async move {
            run_worker_until_stopped(settings, std::future::pending())
                .await
                .unwrap();
        });
        // Stop A while the worker holds a job it claimed from A.
        b.wait_for_jobs(run_a, Duration::from_secs(120), "a job starts", |jobs| {
            jobs.iter().any(|j| j["state"] == "running")
        })
        .await;
        a.stop().await;
        for run_id in [run_a, run_b] {
            let run = b.wait_for_run(run_id, Duration::from_secs(300)).await;
            assert_eq!(run["status"], "succeeded", "run {run_id}: {run}");
        }
        worker.abort();
    };
    let (events, ()) = tokio::join!(watching, working);

    let (last_kind, last) = events.last().expect("B streamed events of A's run");
    assert_eq!(
        (last_kind.as_str(), &last["status"]),
        ("run", &Value::from("succeeded"))
    );
    assert!(
        events
            .iter()
            .any(|(kind, e)| kind == "job" && e["state"] == "running"),
        "B saw A's run's jobs start: {events:?}"
    );
    for run_id in [run_a, run_b] {
        let jobs = b.get_json(&format!("/api/runs/{run_id}/jobs")).await;
        for job in jobs.as_array().unwrap() {
            assert_eq!(job["state"], "succeeded", "{job}");
            assert_eq!(job["attempts"], 1, "claimed once: {job}");
            assert_eq!(job["worker_name"], "replicated", "{job}");
            let log = b.get(&format!("/api/jobs/{}/log", job["job_id"])).await;
            let log = log.text().await.unwrap();
            assert!(!log.contains("lapsed"), "no lease lapsed: {log}");
        }
    }
}

#[tokio::test]
async fn replicas_starting_together_register_the_demo_once_and_keep_each_others_workers() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        demo_data: Some(repo_root().join("data")),
        ..Options::default()
    };
    let Some((mut a, mut b, _)) = two_replicas(options, dir.path()).await else {
        return;
    };
    let models = b.get_json("/api/models").await;
    assert_eq!(models.as_array().unwrap().len(), 1, "{models}");
    let tokens: Value = b
        .client
        .get(b.url("/api/tokens"))
        .bearer_auth(&b.write_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let embedded = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("embedded-worker-"))
        .count();
    assert_eq!(
        embedded, 2,
        "each replica's embedded worker keeps its token: {tokens}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn claims_racing_on_two_replicas_each_take_a_different_job() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        embedded_worker: false,
        ..Options::default()
    };
    let Some((mut a, mut b, _)) = two_replicas(options, dir.path()).await else {
        return;
    };
    let (model_id, dataset_id) = a.upload_demo(1).await;
    // Each run's first job (calibration) is the only one ready: three jobs to take.
    for app in [&a, &b, &a] {
        app.create_small_run(model_id, dataset_id).await;
    }
    let claim = |app: &TestApp, n: usize| {
        let request = app
            .client
            .post(app.url("/api/jobs/claim"))
            .bearer_auth(&app.worker_token)
            .json(&serde_json::json!({ "worker_name": format!("racer-{n}"), "capabilities": ["cpu"] }));
        async move {
            let response = request.send().await.unwrap();
            match response.status().as_u16() {
                200 => Some(
                    response.json::<Value>().await.unwrap()["job_id"]
                        .as_i64()
                        .unwrap(),
                ),
                204 => None,
                status => panic!("claim answered {status}"),
            }
        }
    };
    let claims =
        futures_util::future::join_all((0..8).map(|n| claim(if n % 2 == 0 { &a } else { &b }, n)))
            .await;
    let mut taken: Vec<i64> = claims.into_iter().flatten().collect();
    taken.sort_unstable();
    let before = taken.len();
    taken.dedup();
    assert_eq!(
        (before, taken.len()),
        (3, 3),
        "three jobs, each taken once: {taken:?}"
    );
    a.stop().await;
    b.stop().await;
}
