//! The run's results: the accuracy-throughput chart with its points table, the sensitivity
//! chart, the error analysis and the layer table, tied together by the selected point.

use std::collections::HashSet;

use leptos::prelude::*;
use qbound_shared::{FLOAT_LABEL, LayerResult, Metric, RunRecord, TradeoffPoint};

use super::RunData;
use crate::charts::{ExportButtons, SensitivityChart, TradeoffChart, series_of};
use crate::components::{SortHeader, row_order};
use crate::format;
use crate::noise::{Timing, indistinct_pairs};
use crate::table_sort::SortKey;

/// Layers kept in float by the point labelled `label`.
fn float_count(label: &str, points: &[TradeoffPoint], layer_count: usize) -> usize {
    if let Some(n) = points
        .iter()
        .find(|p| p.label == label)
        .and_then(|p| p.float_layer_count)
    {
        return n.max(0) as usize;
    }
    match label {
        FLOAT_LABEL => layer_count,
        "int8" => 0,
        other => other
            .strip_prefix("int8-keep")
            .and_then(|k| k.parse().ok())
            .unwrap_or(0),
    }
}

/// The metric of the run's accuracies, from its points.
pub(super) fn metric_of(points: &[TradeoffPoint]) -> Option<Metric> {
    points.iter().find_map(|p| p.metric)
}

/// Charts, the points table and the layer table.
#[component]
pub(super) fn Results(run: RunRecord, data: RunData) -> impl IntoView {
    let id = run.run_id;
    let reliability = move || {
        let run = data.record()?;
        Some(reliability_note(
            run.sensitivity_reliability?,
            run.sensitivity_split_half?,
        ))
    };
    let selected = RwSignal::new(None::<String>);
    // Open on the recommended point once it is known, unless the user picked one.
    Effect::new(move |_| {
        if let Some(r) = data.recommended()
            && selected.get_untracked().is_none()
        {
            selected.set(Some(r.label));
        }
    });
    let max_drop = RwSignal::new(Some(run.config.accuracy_budget()));
    let batches = run.config.benchmark.batch_sizes.clone();
    let floats = Signal::derive(move || {
        let n = data.layers().len();
        selected
            .get()
            .map(|label| float_count(&label, &data.points(), n))
            .unwrap_or(0)
    });
    let float_layers = Signal::derive(move || {
        let n = floats.get();
        data.layers()
            .into_iter()
            .filter(|l| l.sensitivity_rank.is_some_and(|r| r as usize <= n))
            .map(|l| l.name)
            .collect::<HashSet<String>>()
    });
    let sensitivity_title = run
        .config
        .sensitivity
        .as_ref()
        .map(|s| format::sensitivity_title(s.metric, s.mode))
        .unwrap_or_else(|| "sensitivity".into());
    let sensitivity_chart = move || {
        view! { <SensitivityChart id="sensitivity-chart" layers=data.layers() float_count=floats
        y_title=sensitivity_title.clone() /> }
    };
    let chart_batches = batches.clone();
    let tradeoff_chart = move || {
        let points = data.points();
        let float_accuracy = points
            .iter()
            .find(|p| p.label == FLOAT_LABEL)
            .and_then(|p| p.accuracy);
        let series = series_of(&points, &chart_batches, "", false);
        let recommended = data.recommended().map(|r| r.label);
        view! { <TradeoffChart id="tradeoff-chart" series=series float_accuracy=float_accuracy
        max_drop=max_drop selected=selected recommended=recommended.unwrap_or_default()
        x_title="throughput (images/s, median of the timed runs)".to_owned()
        y_title=format::metric_name(metric_of(&points)).to_owned() /> }
    };
    let file = format!("run-{id}");
    let table_batches = batches.clone();
    view! {
        <section class="card">
            <h2>"Accuracy versus throughput " <ExportButtons target="tradeoff-chart" file_name=format!("{file}-tradeoff") /></h2>
            <p class="hint">"Click a point to select that model; its layers are marked below. Max drop (% of float): "
                <input type="number" step="0.5" min="0" max="100" name="max_drop" class="narrow"
                    prop:value=move || max_drop.get().map(|d| (d * 100.0).to_string()).unwrap_or_default()
                    on:change=move |ev| max_drop.set(event_target_value(&ev).parse::<f64>().ok().map(|p| p / 100.0)) />
                " · selected: " <b id="selected-point">{move || selected.get().unwrap_or_else(|| "none".into())}</b></p>
            <div class="chart-box">{tradeoff_chart}</div>
            {move || noise_note(&data.points(), &table_batches)}
            <super::export::ResultsExport run_id=id data=data batches=batches.clone() />
            {move || point_table(data.points(), batches.clone(), selected)}
        </section>
        <section class="card">
            <h2>"Layer sensitivity " <ExportButtons target="sensitivity-chart" file_name=format!("{file}-sensitivity") /></h2>
            <div class="chart-box">{sensitivity_chart}</div>
            <p class="hint" id="sensitivity-reliability">{reliability}</p>
        </section>
        <super::analysis::Analysis run_id=id data=data float_layers=float_layers />
        <section class="card">
            <details class="layers-fold">
                <summary><h2>{move || format!("Layers ({})", data.layers().len())}</h2></summary>
                {move || layer_table(data.layers(), floats)}
            </details>
        </section>
    }
}

/// What the split-half reliability of the ranking means for the user.
fn reliability_note(reliability: f64, split_half: f64) -> String {
    let verdict = if reliability >= 0.8 {
        "the order is the layers' own"
    } else {
        "much of this order is chance; rank on more images or with another metric"
    };
    format!(
        "Ranking reliability {reliability:.2} (the rankings on even and on odd images agree at Spearman {split_half:.2}): {verdict}."
    )
}

/// Names the points whose throughputs differ by less than their run-to-run spread.
fn noise_note(points: &[TradeoffPoint], batches: &[i64]) -> Option<impl IntoView + use<>> {
    let notes: Vec<String> = batches
        .iter()
        .filter_map(|&b| {
            let timings: Vec<Timing> = points
                .iter()
                .filter(|p| p.label == FLOAT_LABEL || !p.is_float_model())
                .filter_map(|p| {
                    Some(Timing {
                        label: p.label.clone(),
                        median: p.images_per_second(b)?,
                        spread: p.spread(b).map(|s| (s.min, s.max)),
                    })
                })
                .collect();
            let pairs = indistinct_pairs(&timings);
            (!pairs.is_empty()).then(|| {
                let names: Vec<String> = pairs.iter().map(|(a, b)| format!("{a} / {b}")).collect();
                format!("batch {b}: {}", names.join(", "))
            })
        })
        .collect();
    (!notes.is_empty()).then(|| {
        view! {
            <p class="warning" id="noise-warning">
                "Within measurement noise (their timed runs overlap, so their order may not hold): "
                {notes.join("; ")} "."
            </p>
        }
    })
}

/// A throughput cell: the median with the slowest-fastest range, and the speed-up over FP32.
fn throughput_cell(point: &TradeoffPoint, batch: i64, float: Option<f64>) -> String {
    let Some(median) = point.images_per_second(batch) else {
        return "–".into();
    };
    let mut text = format::throughput(median);
    if let Some(s) = point.spread(batch) {
        text.push_str(&format!(
            " ({}–{})",
            format::throughput(s.min),
            format::throughput(s.max)
        ));
    }
    if let Some(base) = float.filter(|b| *b > 0.0)
        && point.label != FLOAT_LABEL
    {
        text.push_str(&format!(" · {}", format::speedup(median / base)));
    }
    text
}

fn point_table(
    points: Vec<TradeoffPoint>,
    batches: Vec<i64>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let sort = RwSignal::new(None);
    let float = points.iter().find(|p| p.label == FLOAT_LABEL).cloned();
    let float_accuracy = float.as_ref().and_then(|p| p.accuracy);
    let mut columns = vec![
        "Point".to_owned(),
        "Float layers".into(),
        format::metric_name(metric_of(&points)).to_owned(),
        "Drop".into(),
    ];
    columns.extend(
        batches
            .iter()
            .map(|b| format!("images/s bs{b} (min–max) · speed-up")),
    );
    let keys: Vec<Vec<SortKey>> = points
        .iter()
        .map(|p| {
            let mut row = vec![
                SortKey::Text(p.label.clone()),
                SortKey::Number(p.float_layer_count.map(|n| n as f64)),
                SortKey::Number(p.accuracy),
                SortKey::Number(drop(p.accuracy, float_accuracy)),
            ];
            row.extend(
                batches
                    .iter()
                    .map(|&b| SortKey::Number(p.images_per_second(b))),
            );
            row
        })
        .collect();
    let rows = move || {
        row_order(&keys, sort.get())
            .into_iter()
            .map(|i| {
                let p = &points[i];
                let label = p.label.clone();
                let is_selected = {
                    let label = label.clone();
                    move || selected.get().as_deref() == Some(label.as_str())
                };
                let float_model = p.label != FLOAT_LABEL && p.is_float_model();
                let cells = batches
                    .iter()
                    .map(|&b| {
                        let base = float.as_ref().and_then(|f| f.images_per_second(b));
                        view! { <td class="num">{throughput_cell(p, b, base)}</td> }
                    })
                    .collect_view();
                view! {
                    <tr class:selected=is_selected class:float-model=float_model data-point=label.clone()
                        on:click=move |_| selected.set(Some(label.clone()))>
                        <td>{p.label.clone()}
                            {float_model.then(|| view! { <span class="hint">" kept every layer float: the float model"</span> })}</td>
                        <td class="num">{p.float_layer_count.map(|n| n.to_string()).unwrap_or_default()}</td>
                        <td class="num">{p.accuracy.map(format::accuracy).unwrap_or_else(|| "–".into())}</td>
                        <td class="num">{drop(p.accuracy, float_accuracy)
                            .map(|d| format!("{}%", format::number(d * 100.0, 2)))
                            .unwrap_or_else(|| "–".into())}</td>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="table-scroll">
            <table class="points">
                <SortHeader columns=columns sort=sort />
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The relative accuracy drop from the float model.
fn drop(accuracy: Option<f64>, float: Option<f64>) -> Option<f64> {
    let float = float.filter(|f| *f > 0.0)?;
    Some(1.0 - accuracy? / float)
}

fn layer_table(layers: Vec<LayerResult>, floats: Signal<usize>) -> impl IntoView {
    let sort = RwSignal::new(None);
    let columns = [
        "#",
        "Layer",
        "Op",
        "Parameters",
        "Sensitivity",
        "Rank",
        "Selected point",
    ]
    .map(str::to_owned)
    .to_vec();
    let keys: Vec<Vec<SortKey>> = layers
        .iter()
        .map(|l| {
            vec![
                SortKey::Number(Some(l.position as f64)),
                SortKey::Text(l.name.clone()),
                SortKey::Text(l.op.clone()),
                SortKey::Number(Some(l.parameters as f64)),
                SortKey::Number(l.sensitivity),
                SortKey::Number(l.sensitivity_rank.map(|r| r as f64)),
                SortKey::Number(l.sensitivity_rank.map(|r| r as f64)),
            ]
        })
        .collect();
    let rows = move || {
        row_order(&keys, sort.get())
            .into_iter()
            .map(|i| {
                let l = layers[i].clone();
                let rank = l.sensitivity_rank;
                let in_float = move || rank.is_some_and(|r| (r as usize) <= floats.get());
                view! {
                    <tr class:float=in_float>
                        <td class="num">{l.position}</td>
                        <td><code>{l.name}</code></td>
                        <td>{l.op}</td>
                        <td class="num">{l.parameters}</td>
                        <td class="num">{l.sensitivity.map(|s| format!("{s:.4}")).unwrap_or_else(|| "–".into())}</td>
                        <td class="num">{rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into())}</td>
                        <td>{move || if in_float() { "float" } else { "INT8" }}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="table-scroll">
            <table class="layers">
                <SortHeader columns=columns sort=sort />
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
