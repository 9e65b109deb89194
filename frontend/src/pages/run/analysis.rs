//! Where the INT8 error enters: the error analysis chart, its table, and the table as CSV and
//! JSON from the server.

use std::collections::HashSet;

use leptos::prelude::*;
use qbound_shared::{ErrorAnalysis, TensorError};

use super::RunData;
use crate::charts::{AnalysisChart, ExportButtons, read_by_float};
use crate::components::{SortHeader, row_order};
use crate::format;
use crate::table_sort::SortKey;

/// The analysis card; `float_layers` are the layers the selected point keeps in float.
#[component]
pub(super) fn Analysis(
    run_id: i64,
    data: RunData,
    #[prop(into)] float_layers: Signal<HashSet<String>>,
) -> impl IntoView {
    let path = format!("/api/runs/{run_id}/analysis");
    let file = format!("run-{run_id}-analysis");
    let body = move || {
        match data.analysis() {
        None => view! {
            <p class="empty">"No error analysis yet: it appears when the run's analyze job has finished."</p>
        }
        .into_any(),
        Some(analysis) => {
            let count = analysis.tensors.len();
            let images = analysis.images;
            let output = match analysis.output_images {
                0 => String::new(),
                n => format!(" output is the error at the model's outputs with that quantizer alone (on the first {n} images), which ranks the flagged tensors;"),
            };
            view! {
                <p class="hint">{format!(
                    "The full-INT8 model on {images} calibration images: local is the error a tensor's quantizer adds alone, cumulative the error the INT8 model has gathered by that tensor;{output} 120 dB: none; values above 80 dB are drawn at the top. Hover a point for its figures."
                )}</p>
                <div class="chart-box">
                    <AnalysisChart id="analysis-chart" analysis=analysis.clone() float_layers=float_layers />
                </div>
                <details class="analysis-fold">
                    <summary><h3>{format!("Quantized tensors ({count})")}</h3></summary>
                    {tensor_table(analysis, float_layers)}
                </details>
            }
            .into_any()
        }
    }
    };
    view! {
        <section class="card" id="error-analysis">
            <h2>"Where the INT8 error enters " <ExportButtons target="analysis-chart" file_name=file.clone() /></h2>
            {body}
            <p class="export-analysis">"The table: "
                <a id="analysis-csv" class="download" href=format!("{path}?format=csv") download=format!("{file}.csv")>"CSV"</a> " · "
                <a id="analysis-json" class="download" href=path.clone() download=format!("{file}.json")>"JSON"</a>
            </p>
        </section>
    }
}

/// The causes of a tensor's error in words, or a dash.
fn causes(t: &TensorError) -> String {
    if t.causes.is_empty() {
        return "–".into();
    }
    t.causes
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn tensor_table(analysis: ErrorAnalysis, float_layers: Signal<HashSet<String>>) -> impl IntoView {
    let sort = RwSignal::new(None);
    let columns = [
        "#",
        "Tensor",
        "Range",
        "Step",
        "Clipped",
        "Levels used",
        "Local dB",
        "Cumulative dB",
        "Output dB",
        "Cause",
    ]
    .map(str::to_owned)
    .to_vec();
    let keys: Vec<Vec<SortKey>> = analysis
        .tensors
        .iter()
        .map(|t| {
            vec![
                SortKey::Number(Some(t.position as f64)),
                SortKey::Text(t.tensor.clone()),
                SortKey::Number(Some(f64::from(t.high - t.low))),
                SortKey::Number(Some(f64::from(t.step))),
                SortKey::Number(Some(t.clipped)),
                SortKey::Number(Some(t.levels_used)),
                SortKey::Number(Some(t.local_sqnr_db)),
                SortKey::Number(Some(t.cumulative_sqnr_db)),
                SortKey::Number(t.output_sqnr_db),
                SortKey::Text(causes(t)),
            ]
        })
        .collect();
    let tensors = analysis.tensors;
    let rows = move || {
        row_order(&keys, sort.get())
            .into_iter()
            .map(|i| {
                let t = tensors[i].clone();
                let float = {
                    let t = t.clone();
                    move || read_by_float(&t, &float_layers.get())
                };
                view! {
                    <tr class:flagged=t.flagged class:float=float data-tensor=t.tensor.clone()>
                        <td class="num">{t.position}</td>
                        <td><code>{t.tensor.clone()}</code></td>
                        <td class="num">{format!("{} … {}", format::number(f64::from(t.low), 3), format::number(f64::from(t.high), 3))}</td>
                        <td class="num">{format!("{:.4}", t.step)}</td>
                        <td class="num">{format!("{}%", format::number(t.clipped * 100.0, 3))}</td>
                        <td class="num">{format::number(t.levels_used, 0)}</td>
                        <td class="num">{format!("{:.1}", t.local_sqnr_db)}</td>
                        <td class="num">{format!("{:.1}", t.cumulative_sqnr_db)}</td>
                        <td class="num">{t.output_sqnr_db.map_or_else(|| "–".to_owned(), |db| format!("{db:.1}"))}</td>
                        <td>{causes(&t)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="table-scroll">
            <table class="analysis">
                <SortHeader columns=columns sort=sort />
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
