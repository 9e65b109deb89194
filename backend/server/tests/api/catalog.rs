use serde_json::{Value, json};

use crate::helpers::{
    Options, assert_json_error, demo_images, demo_model, spawn_app, spawn_app_with, tar_of,
};

#[tokio::test]
async fn an_uploaded_model_is_validated_and_its_layers_listed() {
    let (app, _dir) = spawn_app().await;
    let response = app
        .upload(
            "/api/models",
            "nanodet.onnx",
            std::fs::read(demo_model()).unwrap(),
        )
        .await;
    assert_eq!(response.status(), 201);
    let model: Value = response.json().await.unwrap();
    assert_eq!(
        model["sha256"],
        "c8e21598ff759261af8d1c9de5c4938c47733f743c811bf1cb8a9cdf868d992d"
    );
    assert_eq!(model["inputs"], json!(["input_1:0"]));
    assert_eq!(
        model["input_tensors"],
        json!([{ "name": "input_1:0", "shape": ["1", "3", "416", "416"] }])
    );
    assert!(!model["output_tensors"].as_array().unwrap().is_empty());
    assert_eq!(model["profile"], "nanodet", "inferred at upload: {model}");
    assert_eq!(model["profile_error"], Value::Null);
    let layers = app
        .get_json(&format!("/api/models/{}/layers", model["model_id"]))
        .await;
    assert_eq!(layers.as_array().unwrap().len(), 34);
    assert_eq!(layers[0]["op"], "Conv");
}

#[tokio::test]
async fn truncated_or_random_onnx_is_refused_and_nothing_is_stored() {
    let (app, _dir) = spawn_app().await;
    let bytes = std::fs::read(demo_model()).unwrap();
    let truncated = bytes[..bytes.len() / 2].to_vec();
    assert_json_error(app.upload("/api/models", "half.onnx", truncated).await, 422).await;
    let random: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_json_error(app.upload("/api/models", "noise.onnx", random).await, 422).await;
    assert_eq!(app.get_json("/api/models").await, json!([]));
    assert_eq!(app.get_json("/api/health").await["status"], "ok");
}

#[tokio::test]
async fn an_oversized_upload_is_refused_with_413() {
    let options = Options {
        max_model_bytes: 1024 * 1024,
        ..Options::default()
    };
    let (app, _dir) = spawn_app_with(options).await;
    let message = assert_json_error(
        app.upload(
            "/api/models",
            "big.onnx",
            std::fs::read(demo_model()).unwrap(),
        )
        .await,
        413,
    )
    .await;
    assert!(message.contains("limit"));
    assert_eq!(app.get_json("/api/models").await, json!([]));
}

#[tokio::test]
async fn a_dataset_archive_is_unpacked_and_its_images_checked() {
    let (app, _dir) = spawn_app().await;
    let response = app
        .upload(
            "/api/datasets",
            "calib.tar",
            tar_of(&demo_images("calib", 3), "photos/"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let dataset: Value = response.json().await.unwrap();
    assert_eq!(dataset["image_count"], 3);
    assert_eq!(dataset["has_annotations"], false);
}

#[tokio::test]
async fn an_archive_with_parent_entries_or_links_is_refused() {
    let (app, _dir) = spawn_app().await;
    let image = std::fs::read(&demo_images("calib", 1)[0]).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(image.len() as u64);
    header.set_mode(0o644);
    let name = b"../escape.jpg";
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, image.as_slice()).unwrap();
    let evil = builder.into_inner().unwrap();
    let message = assert_json_error(app.upload("/api/datasets", "evil.tar", evil).await, 422).await;
    assert!(message.contains("unsafe path"), "{message}");

    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_link(&mut link, "photo.jpg", "/etc/passwd")
        .unwrap();
    let message = assert_json_error(
        app.upload("/api/datasets", "link.tar", builder.into_inner().unwrap())
            .await,
        422,
    )
    .await;
    assert!(message.contains("link"), "{message}");

    assert_json_error(
        app.upload(
            "/api/datasets",
            "junk.zip",
            b"PK\x03\x04 not really".to_vec(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(app.get_json("/api/datasets").await, json!([]));
    assert!(
        !app.data_dir.join("escape.jpg").exists()
            && !app.data_dir.parent().unwrap().join("escape.jpg").exists()
    );
}

#[tokio::test]
async fn a_dataset_or_model_a_run_uses_is_kept_and_an_unused_one_deleted() {
    let queued_only = Options {
        embedded_worker: false,
        ..Options::default()
    };
    let (app, _dir) = spawn_app_with(queued_only).await;
    let (model_id, dataset_id) = app.upload_demo(2).await;
    let unused = app.upload_validation(2).await;
    let run_id = app.create_small_run(model_id, dataset_id).await;
    let delete = |path: String| {
        app.client
            .delete(app.url(&path))
            .bearer_auth(&app.write_token)
            .send()
    };
    for path in [
        format!("/api/datasets/{dataset_id}"),
        format!("/api/models/{model_id}"),
    ] {
        let message = assert_json_error(delete(path.clone()).await.unwrap(), 409).await;
        assert!(message.contains("used by runs"), "{path}: {message}");
        assert_eq!(app.get(&path).await.status(), 200, "{path} is still there");
    }
    let anonymous = app
        .client
        .delete(app.url(&format!("/api/datasets/{unused}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        delete(format!("/api/datasets/{unused}"))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_json_error(app.get(&format!("/api/datasets/{unused}")).await, 404).await;
    assert_json_error(
        delete(format!("/api/datasets/{unused}")).await.unwrap(),
        404,
    )
    .await;

    let cancel = app
        .post_json(&format!("/api/runs/{run_id}/cancel"), &json!({}))
        .await;
    assert_eq!(cancel.status(), 200);
    assert_eq!(
        delete(format!("/api/runs/{run_id}"))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        delete(format!("/api/datasets/{dataset_id}"))
            .await
            .unwrap()
            .status(),
        204,
        "no run uses it any more"
    );
}
