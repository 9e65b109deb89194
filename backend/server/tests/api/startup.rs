use crate::helpers::{Options, assert_json_error, repo_root, spawn_app_with, start_server};

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
    let app = start_server(
        &app.data_dir.clone(),
        &options,
        app.write_token.clone(),
        app.worker_token.clone(),
    )
    .await;
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
