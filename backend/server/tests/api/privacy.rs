//! Who may read: a private server's reads need a token, tokens expire, requests for other
//! host names or from other sites are refused, and the embedded worker's old tokens are
//! the only ones removed at start.

use serde_json::{Value, json};

use crate::helpers::{Options, assert_json_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_private_server_answers_reads_only_with_a_token_and_keeps_health_open() {
    let options = Options {
        private: true,
        ..Options::default()
    };
    let (app, _dir) = spawn_app_with(options).await;
    assert_eq!(app.get("/api/health").await.status(), 200);
    for path in [
        "/api/models",
        "/api/runs",
        "/api/jobs",
        "/api/datasets/1/download",
        "/metrics",
    ] {
        assert_json_error(app.get(path).await, 401).await;
    }
    let created: Value = app
        .post_json("/api/tokens", &json!({ "name": "auditor", "role": "read" }))
        .await
        .json()
        .await
        .unwrap();
    let read_token = created["token"].as_str().unwrap();
    let read = |token: &str| {
        app.client
            .get(app.url("/api/models"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(read(read_token).await.unwrap().status(), 200);
    assert_eq!(read(&app.write_token).await.unwrap().status(), 200);
    assert_eq!(read("qb_unknown").await.unwrap().status(), 401);
    let events = |token: &str| {
        app.client
            .get(app.url(&format!("/api/jobs/1/events?access_token={token}")))
            .send()
    };
    assert_json_error(events(read_token).await.unwrap(), 404).await;
    assert_json_error(events("qb_unknown").await.unwrap(), 401).await;
    let write = app
        .client
        .post(app.url("/api/runs"))
        .bearer_auth(read_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_json_error(write, 403).await;
}

#[tokio::test]
async fn an_expired_token_is_refused_and_bearer_is_read_in_any_case() {
    let (app, _dir) = spawn_app().await;
    let created: Value = app
        .post_json(
            "/api/tokens",
            &json!({ "name": "brief", "role": "write", "expires_in_days": 1 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(created["expires_at"].as_i64().unwrap() > created["created_at"].as_i64().unwrap());
    let token = created["token"].as_str().unwrap().to_owned();
    let list = |scheme: &str| {
        app.client
            .get(app.url("/api/tokens"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
    };
    assert_eq!(list("bearer").await.unwrap().status(), 200);
    assert_eq!(list("BEARER").await.unwrap().status(), 200);
    assert_json_error(list("Basic").await.unwrap(), 401).await;

    app.execute_sql("UPDATE api_token SET expires_at = 1 WHERE name = 'brief'")
        .await;
    assert_json_error(list("Bearer").await.unwrap(), 401).await;

    let too_long = app
        .post_json(
            "/api/tokens",
            &json!({ "name": "forever", "role": "read", "expires_in_days": 100000 }),
        )
        .await;
    assert_json_error(too_long, 400).await;
}

#[tokio::test]
async fn requests_for_a_foreign_host_or_from_a_foreign_origin_are_refused() {
    let (app, _dir) = spawn_app().await;
    let get = |host: Option<&str>, origin: Option<&str>| {
        let mut request = app.client.get(app.url("/api/models"));
        if let Some(host) = host {
            request = request.header("host", host);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let rebinding = get(Some("attacker.example:8080"), None).await.unwrap();
    let message = assert_json_error(rebinding, 403).await;
    assert!(message.contains("--allowed-host"), "{message}");
    assert_json_error(
        get(None, Some("http://attacker.example")).await.unwrap(),
        403,
    )
    .await;
    assert_eq!(
        get(Some("localhost:8080"), None).await.unwrap().status(),
        200
    );
    assert_eq!(get(None, Some(&app.address)).await.unwrap().status(), 200);
    let upload = app
        .client
        .post(app.url("/api/runs"))
        .bearer_auth(&app.write_token)
        .header("origin", "http://attacker.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_json_error(upload, 403).await;
}

#[tokio::test]
async fn a_user_token_named_like_an_embedded_workers_survives_a_restart() {
    let (mut app, _dir) = spawn_app().await;
    let created: Value = app
        .post_json(
            "/api/tokens",
            &json!({ "name": "embedded-worker-mine", "role": "worker" }),
        )
        .await
        .json()
        .await
        .unwrap();
    app.stop().await;
    let app = app.restarted(&Options::default()).await;
    let tokens = app
        .client
        .get(app.url("/api/tokens"))
        .bearer_auth(&app.write_token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let names: Vec<&str> = tokens
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"embedded-worker-mine"), "{names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("embedded-worker-"))
            .count(),
        2,
        "the user's token and the new embedded worker's: {names:?}"
    );
    let claim = app
        .client
        .post(app.url("/api/jobs/claim"))
        .bearer_auth(created["token"].as_str().unwrap())
        .json(&json!({ "worker_name": "mine", "capabilities": ["cpu"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(claim.status(), 204);
}

#[tokio::test]
async fn a_token_made_on_the_command_line_expires_after_the_days_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    // On PostgreSQL the command finds its database through `QBOUND_DATABASE_URL`.
    let database_url = crate::helpers::fresh_database().await;
    let create = |days: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qbound"));
        command
            .args(["token", "create", "--name", days, "--role", "read"])
            .arg("--data")
            .arg(dir.path())
            .args(["--expires-in-days", days]);
        match &database_url {
            Some(url) => command.env("QBOUND_DATABASE_URL", url),
            None => command.env_remove("QBOUND_DATABASE_URL"),
        };
        command.output().unwrap()
    };
    assert!(!create("0").status.success(), "zero days is refused");
    let made = create("30");
    assert!(made.status.success(), "{made:?}");
    sqlx::any::install_default_drivers();
    let url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("qbound.db").display()));
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let (created, expires): (i64, i64) =
        sqlx::query_as("SELECT created_at, expires_at FROM api_token WHERE name = '30'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    let lifetime = expires - created;
    assert!(
        (lifetime - 30 * 24 * 3600 * 1000).abs() < 1000,
        "{lifetime} ms"
    );
}
