//! The run's results as files: the trade-off points as CSV, and the run with its points and
//! layers as JSON.

use leptos::prelude::*;

use super::RunData;
use crate::charts::save_text;
use crate::results_csv::points_csv;

/// "CSV" and "JSON" buttons that save the results shown.
#[component]
pub(super) fn ResultsExport(run_id: i64, data: RunData, batches: Vec<i64>) -> impl IntoView {
    let csv = move |_| {
        save_text(
            &points_csv(&data.points(), &batches),
            "text/csv;charset=utf-8",
            &format!("run-{run_id}-points.csv"),
        );
    };
    let json = move |_| {
        let document = serde_json::json!({
            "run": data.record(),
            "points": data.points(),
            "layers": data.layers(),
        });
        if let Ok(text) = serde_json::to_string_pretty(&document) {
            save_text(
                &text,
                "application/json",
                &format!("run-{run_id}-results.json"),
            );
        }
    };
    view! {
        <p class="export-results">"Export the results: "
            <button type="button" class="small" id="export-csv" on:click=csv>"CSV"</button> " "
            <button type="button" class="small" id="export-json" on:click=json>"JSON"</button>
        </p>
    }
}
