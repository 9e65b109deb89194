use crate::helpers::spawn_app;

#[tokio::test]
async fn health_openapi_and_metrics_answer() {
    let (app, _dir) = spawn_app().await;
    let health = app.get_json("/api/health").await;
    assert_eq!(health["status"], "ok");
    let openapi = app.get_json("/api/openapi.json").await;
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in [
        "/api/health",
        "/api/models",
        "/api/models/{id}",
        "/api/models/{id}/layers",
        "/api/models/{id}/download",
        "/api/datasets",
        "/api/datasets/{id}",
        "/api/datasets/{id}/download",
        "/api/runs",
        "/api/runs/{id}",
        "/api/runs/{id}/cancel",
        "/api/runs/{id}/jobs",
        "/api/runs/{id}/layers",
        "/api/runs/{id}/tradeoff",
        "/api/runs/{id}/analysis",
        "/api/runs/{id}/artifacts",
        "/api/runs/{id}/events",
        "/api/jobs",
        "/api/jobs/claim",
        "/api/jobs/{id}",
        "/api/jobs/{id}/heartbeat",
        "/api/jobs/{id}/complete",
        "/api/jobs/{id}/fail",
        "/api/jobs/{id}/cancel",
        "/api/jobs/{id}/retry",
        "/api/jobs/{id}/events",
        "/api/jobs/{id}/artifacts/{name}",
        "/api/artifacts",
        "/api/artifacts/{id}",
        "/api/artifacts/{id}/download",
        "/api/workers",
        "/api/tokens",
        "/api/tokens/{id}",
        "/metrics",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} is documented");
    }
    assert!(
        openapi["paths"]["/api/runs/{id}/tradeoff"]["get"]["summary"]
            .as_str()
            .unwrap()
            .contains("Pareto")
    );
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

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off_at_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let options = crate::helpers::Options {
        header_read_timeout: std::time::Duration::from_secs(1),
        ..crate::helpers::Options::default()
    };
    let (app, _dir) = crate::helpers::spawn_app_with(options).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let started = std::time::Instant::now();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    let trickle = async {
        for _ in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
                break;
            }
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(4), trickle)
        .await
        .expect("the server closes the connection");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let text = String::from_utf8_lossy(&answer);
    assert!(!text.contains("200 OK"), "{text}");
    assert_eq!(app.get("/api/health").await.status(), 200);
}
