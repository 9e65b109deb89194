//! The run page says what to ship, sign-in checks tokens before saving them, the new-run
//! form offers what the workers can run, and every page fits a phone. The runs are played by
//! a scripted CPU-only worker over the real job protocol, so their outcomes are known.

use fantoccini::Client;
use qbound_shared::RunRecord;
use serde_json::json;

use crate::actions::{click, open, type_into};
use crate::checks::{count_becomes, text_shows};
use crate::finds::{attr, count, text, wait_for};
use crate::scripted::{Outcome, create_run, demo_config, play_queue};
use crate::setup::{Driver, Server};
use crate::{api, in_browser};

/// A sweep where keep1 is the fastest point within 2% and keep2 is dominated at batch 1.
const SWEEP: [Outcome; 3] = [
    Outcome {
        label: "int8",
        accuracy: 0.90,
        bs1: 150.0,
        bs32: 300.0,
        all_float: false,
    },
    Outcome {
        label: "int8-keep1",
        accuracy: 0.99,
        bs1: 110.0,
        bs32: 220.0,
        all_float: false,
    },
    Outcome {
        label: "int8-keep2",
        accuracy: 0.995,
        bs1: 45.0,
        bs32: 180.0,
        all_float: false,
    },
];

/// A max-drop search that kept every layer float.
const MAX_DROP_FLOAT: [Outcome; 1] = [Outcome {
    label: "int8-maxdrop",
    accuracy: 1.0,
    bs1: 49.0,
    bs32: 99.0,
    all_float: true,
}];

/// A server without a worker, with the sweep run and the max-drop run played to the end.
async fn seeded() -> (Server, i64, i64) {
    let server = Server::start_without_worker().await;
    let sweep = create_run(
        &server,
        &demo_config("sweep", json!({ "kind": "sweep", "keep_float": [1, 2] })),
    )
    .await;
    play_queue(&server, &SWEEP).await;
    let max_drop = create_run(
        &server,
        &demo_config("max drop", json!({ "kind": "max_drop", "max_drop": 0.02 })),
    )
    .await;
    play_queue(&server, &MAX_DROP_FLOAT).await;
    (server, sweep, max_drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_run_page_opens_on_the_recommended_point_and_says_when_no_partial_model_meets_the_budget()
 {
    let (server, sweep, max_drop) = seeded().await;
    let run: RunRecord = api(&server, &format!("/api/runs/{sweep}")).await;
    let recommended = run.recommended.expect("a finished run recommends a point");
    assert_eq!(recommended.label, "int8-keep1");
    assert!(recommended.within_budget);
    let float_run: RunRecord = api(&server, &format!("/api/runs/{max_drop}")).await;
    let float = float_run.recommended.unwrap();
    assert_eq!(float.label, "fp32");
    assert!(!float.within_budget);
    assert!(
        float.reason.contains("kept every layer float"),
        "{}",
        float.reason
    );

    let driver = Driver::start().await;
    in_browser(&driver, |client| async move {
        let base = &server.base;
        open(&client, base, &format!("#/runs/{sweep}")).await;
        text_shows(&client, "#recommended-label", "int8-keep1").await;
        text_shows(&client, "#selected-point", "int8-keep1").await;
        text_shows(&client, "#recommended .figures", "agreement with float").await;
        text_shows(&client, "#recommended .figures", "2.20x").await;
        text_shows(
            &client,
            "#recommended .downloads",
            "nanodet_int8-keep1_bs1.onnx",
        )
        .await;
        assert_eq!(count(&client, "#no-partial-model").await, 0);
        count_becomes(&client, "#tradeoff-chart g.point.recommended", 2).await;
        assert_eq!(
            count(
                &client,
                "#tradeoff-chart g.point.dominated[data-label=\"int8-keep2\"][data-batch=\"1\"]"
            )
            .await,
            1,
            "keep2 at batch 1 is slower than FP32 and less accurate: dominated"
        );
        text_shows(&client, "#tradeoff-chart .y-axis", "agreement with float").await;
        assert_no_overlapping_labels(&client, "#tradeoff-chart g.point text").await;
        assert_eq!(
            attr(&client, "details.jobs-fold", "open").await,
            None,
            "a finished run's jobs are folded away"
        );
        // keep1 keeps the most sensitive layer in float: the tensor it reads is shaded.
        count_becomes(&client, "#analysis-chart rect.float-tensor", 1).await;
        let first_layer = run_layer(&server, 1).await;
        assert_eq!(
            attr(&client, "#analysis-chart rect.float-tensor", "data-tensor").await,
            Some(format!("{first_layer}:input"))
        );

        open(&client, base, &format!("#/runs/{max_drop}")).await;
        text_shows(
            &client,
            "#no-partial-model",
            "No partial model within the 2% budget",
        )
        .await;
        text_shows(&client, "#recommended-label", "fp32").await;
        text_shows(&client, "#recommended .reason", "kept every layer float").await;
        text_shows(&client, "table.points tr.float-model", "the float model").await;
        assert_eq!(
            count(
                &client,
                "#tradeoff-chart g.point[data-label=\"int8-maxdrop\"]"
            )
            .await,
            0,
            "a result that kept every layer float is not drawn as a quantized point"
        );

        open(&client, base, "#/runs").await;
        text_shows(
            &client,
            &format!("tr[data-run-id=\"{max_drop}\"] .recommended"),
            "no partial model within the budget",
        )
        .await;
        text_shows(
            &client,
            &format!("tr[data-run-id=\"{sweep}\"] .recommended"),
            "int8-keep1",
        )
        .await;

        open(&client, base, "#/models/1").await;
        count_becomes(&client, ".runs-using li", 2).await;
        open(&client, base, "#/datasets/2").await;
        count_becomes(&client, ".runs-using li", 2).await;

        open(&client, base, &format!("#/compare/{sweep},{max_drop}")).await;
        text_shows(&client, "tr[data-field=Boundary]", "sweep: 1, 2 float").await;
        assert!(
            !text(&client, "table.compare").await.contains('{'),
            "no Rust debug text"
        );
        assert_eq!(
            count(&client, "tr.differs[data-field=Recommended]").await,
            1
        );
        click(&client, "input[name=differences_only]").await;
        count_becomes(&client, "tr[data-field=Profile]:not([style*=none])", 0).await;
    })
    .await;
}

/// The name of the demo model's layer ranked `rank` by the scripted sensitivity.
async fn run_layer(server: &Server, rank: i64) -> String {
    let model: serde_json::Value = api(server, "/api/models/1").await;
    model["layers"][(rank - 1) as usize]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The DOM property `name` of the element `css` (waiting for it).
async fn property(client: &Client, css: &str, name: &str) -> serde_json::Value {
    wait_for(client, css).await;
    client
        .execute(
            "return document.querySelector(arguments[0])[arguments[1]]",
            vec![json!(css), json!(name)],
        )
        .await
        .unwrap()
}

/// Fails when two of the `css` text elements' boxes intersect.
async fn assert_no_overlapping_labels(client: &Client, css: &str) {
    let script = r#"
        const boxes = [...document.querySelectorAll(arguments[0])].map(t => t.getBoundingClientRect());
        const hits = [];
        for (let i = 0; i < boxes.length; i++)
            for (let j = i + 1; j < boxes.length; j++) {
                const a = boxes[i], b = boxes[j];
                if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
                    hits.push([i, j]);
            }
        return [boxes.length, hits.length];
    "#;
    let found = client.execute(script, vec![json!(css)]).await.unwrap();
    assert!(found[0].as_u64().unwrap() >= 6, "labels: {found}");
    assert_eq!(found[1], 0, "overlapping labels: {found}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_rejects_a_wrong_token_before_saving_it() {
    let server = Server::start_without_worker().await;
    let driver = Driver::start().await;
    in_browser(&driver, |client| async move {
        open(&client, &server.base, "#/runs").await;
        text_shows(&client, ".token-button", "Sign in").await;
        click(&client, ".token-button").await;
        type_into(&client, "#token-prompt input[name=token]", "qb_wrong").await;
        click(&client, "#token-prompt button[type=submit]").await;
        text_shows(&client, "#token-prompt .token-error", "rejected").await;
        let saved = client
            .execute("return localStorage.getItem('qbound-token')", vec![])
            .await
            .unwrap();
        assert_eq!(
            saved,
            serde_json::Value::Null,
            "a rejected token is not saved"
        );
        text_shows(&client, ".token-button", "Sign in").await;

        type_into(
            &client,
            "#token-prompt input[name=token]",
            &server.write_token,
        )
        .await;
        click(&client, "#token-prompt button[type=submit]").await;
        count_becomes(&client, "#token-prompt", 0).await;
        text_shows(&client, ".token-button", "Signed in").await;
        let saved = client
            .execute("return localStorage.getItem('qbound-token')", vec![])
            .await
            .unwrap();
        assert_eq!(saved.as_str(), Some(server.write_token.as_str()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_new_run_form_on_a_cpu_only_server_offers_only_what_its_worker_can_run() {
    let server = Server::start_without_worker().await;
    assert!(
        crate::scripted::claim(&server).await.is_none(),
        "nothing queued yet"
    );
    let driver = Driver::start().await;
    in_browser(&driver, |client| async move {
        open(&client, &server.base, "#/runs/new").await;
        count_becomes(&client, "select[name=provider] option", 1).await;
        assert_eq!(
            attr(&client, "select[name=provider] option", "value")
                .await
                .as_deref(),
            Some("cpu")
        );
        assert_eq!(
            property(&client, "select[name=target]", "value").await,
            json!("ort-cpu")
        );
        text_shows(&client, "#workers-note", "scripted-cpu").await;
        assert_eq!(
            property(&client, "input[name=build_engine]", "disabled").await,
            json!(true),
            "no worker can build TensorRT engines"
        );
        for name in ["calibration_images", "warmup_runs", "timed_runs"] {
            assert_eq!(
                attr(&client, &format!("input[name={name}]"), "type")
                    .await
                    .as_deref(),
                Some("number"),
                "{name}"
            );
        }
        text_shows(&client, "#new-run", "agreement").await;
        text_shows(&client, ".help[data-for=sensitivity_metric]", "float model").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_page_fits_a_390_px_phone_screen_without_scrolling_sideways() {
    let (server, sweep, max_drop) = seeded().await;
    let driver = Driver::start().await;
    in_browser(&driver, |client| async move {
        client.set_window_size(390, 844).await.unwrap();
        let pages = [
            "#/runs".to_owned(),
            "#/runs/new".into(),
            "#/models".into(),
            "#/models/1".into(),
            "#/datasets".into(),
            "#/datasets/1".into(),
            format!("#/runs/{sweep}"),
            format!("#/runs/{max_drop}"),
            format!("#/compare/{sweep},{max_drop}"),
        ];
        for page in &pages {
            open(&client, &server.base, page).await;
            wait_for(&client, "main h1").await;
            crate::actions::pause(600).await;
            let widths = client
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth, \
                     document.querySelector('.token-button').getBoundingClientRect().right]",
                    vec![],
                )
                .await
                .unwrap();
            let (scroll, inner, sign_in) = (
                widths[0].as_f64().unwrap(),
                widths[1].as_f64().unwrap(),
                widths[2].as_f64().unwrap(),
            );
            println!("{page}: scrollWidth {scroll}, innerWidth {inner}");
            assert!(scroll <= inner, "{page} is {scroll} px wide at {inner} px");
            assert!(
                sign_in <= inner,
                "{page}: Sign in is off screen ({sign_in} px)"
            );
        }
        open(&client, &server.base, &format!("#/runs/{sweep}")).await;
        wait_for(&client, "#analysis-chart .x-axis text").await;
        let smallest = client
            .execute(
                "const svg = document.querySelector('#analysis-chart'); \
                 const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; \
                 return Math.min(...[...svg.querySelectorAll('text')] \
                     .map(t => parseFloat(getComputedStyle(t).fontSize) * scale));",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        println!("analysis chart at 390 px: smallest text {smallest:.1} px");
        assert!(smallest >= 10.0, "text of {smallest:.1} px at 390 px");
    })
    .await;
}
