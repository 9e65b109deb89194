//! The run's results: the sensitivity chart, the accuracy-throughput chart and the layer
//! table, tied together by the selected point.

use leptos::prelude::*;
use qbound_shared::{Boundary, LayerResult, RunRecord, TradeoffPoint};

use super::Live;
use crate::api::get_json;
use crate::charts::{ExportButtons, SensitivityChart, TradeoffChart, TradeoffSeries, series_of};
use crate::format;

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
        "fp32" => layer_count,
        "int8" => 0,
        other => other
            .strip_prefix("int8-keep")
            .and_then(|k| k.parse().ok())
            .unwrap_or(0),
    }
}

fn default_selection(run: &RunRecord) -> Option<String> {
    let counts = run.config.boundary.keep_float_counts();
    let first = counts.iter().find(|&&k| k > 0).or(counts.first())?;
    Some(if *first == 0 {
        "int8".into()
    } else {
        format!("int8-keep{first}")
    })
}

/// Charts and the layer table.
#[component]
pub(super) fn Results(run: RunRecord, live: Live) -> impl IntoView {
    let id = run.run_id;
    let layers = LocalResource::new(move || {
        live.results.track();
        get_json::<Vec<LayerResult>>(format!("/api/runs/{id}/layers"))
    });
    let points = LocalResource::new(move || {
        live.results.track();
        get_json::<Vec<TradeoffPoint>>(format!("/api/runs/{id}/tradeoff"))
    });
    let record = LocalResource::new(move || {
        live.results.track();
        get_json::<RunRecord>(format!("/api/runs/{id}"))
    });
    let reliability = move || {
        let run = record.get()?.ok()?;
        Some(reliability_note(
            run.sensitivity_reliability?,
            run.sensitivity_split_half?,
        ))
    };
    let selected = RwSignal::new(default_selection(&run));
    let max_drop = RwSignal::new(match run.config.boundary {
        Boundary::MaxDrop { max_drop } => Some(max_drop),
        _ => Some(0.02),
    });
    let batches = run.config.benchmark.batch_sizes.clone();
    let layer_list = move || layers.get().and_then(|l| l.ok()).unwrap_or_default();
    let point_list = move || points.get().and_then(|p| p.ok()).unwrap_or_default();
    let floats = Signal::derive(move || {
        let n = layer_list().len();
        selected
            .get()
            .map(|label| float_count(&label, &point_list(), n))
            .unwrap_or(0)
    });
    let sensitivity_chart = move || {
        view! { <SensitivityChart id="sensitivity-chart" layers=layer_list() float_count=floats /> }
    };
    let tradeoff_chart = move || {
        let points = point_list();
        let float_accuracy = points
            .iter()
            .find(|p| p.label == "fp32")
            .and_then(|p| p.accuracy);
        let series: Vec<TradeoffSeries> = series_of(&points, &batches, "");
        view! { <TradeoffChart id="tradeoff-chart" series=series float_accuracy=float_accuracy max_drop=max_drop selected=selected /> }
    };
    let file = format!("run-{id}");
    view! {
        <section class="card">
            <h2>"Accuracy versus throughput " <ExportButtons target="tradeoff-chart" file_name=format!("{file}-tradeoff") /></h2>
            <p class="hint">"Click a point to select that model; its layers are marked below. Max drop (% of float): "
                <input type="number" step="0.5" min="0" max="100" name="max_drop" class="narrow"
                    prop:value=move || max_drop.get().map(|d| (d * 100.0).to_string()).unwrap_or_default()
                    on:change=move |ev| max_drop.set(event_target_value(&ev).parse::<f64>().ok().map(|p| p / 100.0)) />
                " · selected: " <b id="selected-point">{move || selected.get().unwrap_or_else(|| "none".into())}</b></p>
            <div class="chart-box">{tradeoff_chart}</div>
            {move || point_table(point_list(), selected)}
        </section>
        <section class="card">
            <h2>"Layer sensitivity " <ExportButtons target="sensitivity-chart" file_name=format!("{file}-sensitivity") /></h2>
            <div class="chart-box">{sensitivity_chart}</div>
            <p class="hint" id="sensitivity-reliability">{reliability}</p>
        </section>
        <section class="card">
            <h2>"Layers"</h2>
            {move || layer_table(layer_list(), floats)}
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

fn point_table(points: Vec<TradeoffPoint>, selected: RwSignal<Option<String>>) -> impl IntoView {
    let base = |b: i64| {
        points
            .iter()
            .find(|p| p.label == "fp32")
            .and_then(|p| p.images_per_second(b))
    };
    let (b1, b32) = (base(1), base(32));
    let rows = points
        .iter()
        .map(|p| {
            let label = p.label.clone();
            let is_selected = {
                let label = label.clone();
                move || selected.get().as_deref() == Some(label.as_str())
            };
            let cell = |v: Option<f64>, base: Option<f64>| match (v, base) {
                (Some(v), Some(b)) if b > 0.0 => format!("{} ({})", format::number(v, 1), format::speedup(v / b)),
                (Some(v), _) => format::number(v, 1),
                _ => "–".into(),
            };
            view! {
                <tr class:selected=is_selected data-point=label.clone() on:click=move |_| selected.set(Some(label.clone()))>
                    <td>{p.label.clone()}</td>
                    <td class="num">{p.float_layer_count.map(|n| n.to_string()).unwrap_or_default()}</td>
                    <td class="num">{p.accuracy.map(|a| format!("{a:.3}")).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{cell(p.images_per_second(1), b1)}</td>
                    <td class="num">{cell(p.images_per_second(32), b32)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="points">
            <thead><tr><th>"Point"</th><th>"Float layers"</th><th>"mAP"</th><th>"images/s bs1"</th><th>"images/s bs32"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn layer_table(layers: Vec<LayerResult>, floats: Signal<usize>) -> impl IntoView {
    let rows = layers
        .into_iter()
        .map(|l| {
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
        .collect_view();
    view! {
        <table class="layers">
            <thead><tr><th>"#"</th><th>"Layer"</th><th>"Op"</th><th>"Parameters"</th><th>"Sensitivity"</th><th>"Rank"</th><th>"Selected point"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
