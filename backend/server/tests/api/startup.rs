use crate::helpers::{Options, assert_json_error, repo_root, spawn_app_with};

#[tokio::test]
async fn the_demo_model_and_photos_are_registered_on_first_start_only() {
    let options = Options {
        embedded_worker: false,
        demo_data: Some(repo_root().join("data")),
        ..Options::default()
    };
    let (mut app, _dir) = spawn_app_with(options).await;
    let models = app.get_json("/api/models").await;
    assert_eq!(models.as_array().unwrap().len(), 1);
    assert_eq!(models[0]["name"], "nanodet-coco-416 (demo)");
    assert_eq!(models[0]["layers"].as_array().unwrap().len(), 34);
    let datasets = app.get_json("/api/datasets").await;
    let mut counts: Vec<(String, i64)> = datasets
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["image_count"].as_i64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    let on_disk = |set: &str| {
        std::fs::read_dir(repo_root().join("data/images").join(set))
            .unwrap()
            .count() as i64
    };
    assert_eq!(
        counts,
        [
            ("demo calibration photos".to_owned(), on_disk("calib")),
            ("demo validation photos".to_owned(), on_disk("val")),
        ]
    );

    app.stop().await;
    let options = Options {
        embedded_worker: false,
        demo_data: Some(repo_root().join("data")),
        ..Options::default()
    };
    let app = app.restarted(&options).await;
    assert_eq!(
        app.get_json("/api/models").await.as_array().unwrap().len(),
        1
    );
    assert_eq!(
        app.get_json("/api/datasets")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_ui_folder_is_served_at_the_root_beside_the_api() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<h1>qbound ui</h1>").unwrap();
    std::fs::write(ui.path().join("app.js"), "console.log('qbound')").unwrap();
    let options = Options {
        embedded_worker: false,
        static_dir: Some(ui.path().to_path_buf()),
        ..Options::default()
    };
    let (app, _dir) = spawn_app_with(options).await;
    let index = app.get("/").await;
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("qbound ui"));
    let script = app.get("/app.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("console.log"));
    let deep_link = app.get("/runs/7").await;
    assert_eq!(deep_link.status(), 200, "client-side routes get the app");
    assert!(deep_link.text().await.unwrap().contains("qbound ui"));
    assert_eq!(app.get_json("/api/health").await["status"], "ok");
    assert_json_error(app.get("/api/nothing-here").await, 404).await;
}

#[tokio::test]
async fn a_start_removes_partial_uploads_and_the_embedded_workers_stale_job_folders() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let partial = data_dir.join("tmp/.tmpPARTIAL");
    let stale = data_dir.join("worker/jobs/7-deadbeef/calibration/a.jpg");
    for file in [&partial, &stale] {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, vec![0u8; 1024 * 1024]).unwrap();
    }
    let database_url = crate::helpers::fresh_database().await;
    let token = |name: &'static str, role| {
        qbound_server::create_api_token(&data_dir, database_url.as_deref(), name, role)
    };
    let write = token("t", qbound_server::Role::Write).await.unwrap();
    let worker = token("w", qbound_server::Role::Worker).await.unwrap();
    let mut app = crate::helpers::start_server(
        &data_dir,
        database_url.clone(),
        &crate::helpers::Options::default(),
        write,
        worker,
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stale.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!partial.exists(), "the partial upload is gone");
    assert!(!stale.exists(), "the stale job folder is gone");
    assert!(data_dir.join("tmp").is_dir());
    app.stop().await;
}

#[tokio::test]
async fn a_database_url_that_is_not_postgres_or_does_not_answer_is_refused_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let create = |url: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_qbound"))
            .args(["token", "create", "--name", "n", "--role", "read"])
            .arg("--data")
            .arg(dir.path())
            .args(["--database-url", url])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{url} is refused");
        String::from_utf8(output.stderr).unwrap()
    };
    let wrong_kind = create("mysql://localhost/qbound");
    assert!(
        wrong_kind.contains("must be a PostgreSQL URL such as `postgres://"),
        "{wrong_kind}"
    );
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = create(&format!("postgres://qbound@127.0.0.1:{closed_port}/qbound"));
    assert!(
        unreachable.contains("cannot connect to `--database-url`")
            && !unreachable.contains("panicked"),
        "{unreachable}"
    );
    assert!(
        !dir.path().join("qbound.db").exists(),
        "no SQLite database is made instead"
    );
}
