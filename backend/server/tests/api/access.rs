use serde_json::json;

use crate::helpers::{assert_json_error, demo_model, spawn_app};

#[tokio::test]
async fn a_write_without_a_token_is_refused_and_changes_nothing() {
    let (app, _dir) = spawn_app().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(demo_model()).unwrap()).file_name("m.onnx"),
    );
    let response = app
        .client
        .post(app.url("/api/models"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let message = assert_json_error(response, 401).await;
    assert!(message.contains("token"));
    let response = app
        .client
        .post(app.url("/api/runs"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_json_error(response, 401).await;
    assert_eq!(app.get_json("/api/models").await, json!([]));
}

#[tokio::test]
async fn a_missing_token_is_asked_for_and_a_wrong_one_is_called_rejected() {
    let (app, _dir) = spawn_app().await;
    let missing = app.client.get(app.url("/api/tokens")).send().await.unwrap();
    let message = assert_json_error(missing, 401).await;
    assert!(message.contains("needs a token"), "{message}");
    let wrong = app
        .client
        .get(app.url("/api/tokens"))
        .bearer_auth("qb_not-a-token")
        .send()
        .await
        .unwrap();
    let message = assert_json_error(wrong, 401).await;
    assert!(message.contains("rejected"), "{message}");
    assert!(!message.contains("needs a token"), "{message}");
}

#[tokio::test]
async fn a_worker_token_cannot_write_and_a_write_token_cannot_claim() {
    let (app, _dir) = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/runs"))
        .bearer_auth(&app.worker_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_json_error(response, 403).await;
    let claim = json!({ "worker_name": "w", "capabilities": ["cpu"] });
    let response = app.post_json("/api/jobs/claim", &claim).await;
    assert_json_error(response, 403).await;
    let response = app
        .client
        .post(app.url("/api/runs"))
        .bearer_auth("qb_wrong")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_json_error(response, 401).await;
}

#[tokio::test]
async fn tokens_created_over_the_api_work_and_are_listed_without_their_secret() {
    let (app, _dir) = spawn_app().await;
    let response = app
        .post_json("/api/tokens", &json!({ "name": "ci", "role": "write" }))
        .await;
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("qb_"));
    let list = app
        .client
        .get(app.url("/api/tokens"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let text = list.text().await.unwrap();
    assert!(text.contains("\"ci\"") && !text.contains(token));
    let duplicate = app
        .post_json("/api/tokens", &json!({ "name": "ci", "role": "read" }))
        .await;
    assert_json_error(duplicate, 409).await;
}
