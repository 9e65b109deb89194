use crate::helpers::spawn_app;

#[tokio::test]
async fn health_openapi_and_metrics_answer() {
    let (app, _dir) = spawn_app().await;
    let health = app.get_json("/api/health").await;
    assert_eq!(health["status"], "ok");
    let openapi = app.get_json("/api/openapi.json").await;
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in [
        "/api/runs",
        "/api/models",
        "/api/jobs/claim",
        "/api/artifacts/{id}/download",
        "/api/runs/{id}/events",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} is documented");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("qbound_jobs{state=\"queued\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("qbound_job_duration_seconds_count"));
}

#[tokio::test]
async fn unknown_api_routes_answer_404_with_a_json_error() {
    let (app, _dir) = spawn_app().await;
    let message = crate::helpers::assert_json_error(app.get("/api/nothing-here").await, 404).await;
    assert!(message.contains("not found"));
}
