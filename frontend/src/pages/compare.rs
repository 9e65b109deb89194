//! Runs side by side: their settings, their points, and one trade-off chart with all.

use leptos::prelude::*;
use qbound_shared::{RunRecord, TradeoffPoint};

use super::loading;
use crate::api::{ApiError, ApiResult, get_json};
use crate::charts::{TradeoffChart, TradeoffSeries, series_of};
use crate::format;
use crate::route::Route;
use crate::summary::RunSummary;

async fn load(ids: Vec<i64>) -> ApiResult<Vec<(RunRecord, Vec<TradeoffPoint>)>> {
    let mut runs = Vec::new();
    for id in ids {
        let run = get_json::<RunRecord>(format!("/api/runs/{id}")).await?;
        let points = get_json::<Vec<TradeoffPoint>>(format!("/api/runs/{id}/tradeoff")).await?;
        runs.push((run, points));
    }
    Ok(runs)
}

/// The comparison of runs `ids`.
#[component]
pub(crate) fn ComparePage(ids: Vec<i64>) -> impl IntoView {
    let runs = LocalResource::new(move || load(ids.clone()));
    view! {
        <h1>"Compare runs"</h1>
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <crate::components::ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let runs = runs.await?;
                    Ok::<_, ApiError>(comparison(runs))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn comparison(runs: Vec<(RunRecord, Vec<TradeoffPoint>)>) -> impl IntoView {
    let selected = RwSignal::new(None);
    let mut series: Vec<TradeoffSeries> = Vec::new();
    for (i, (run, points)) in runs.iter().enumerate() {
        let mut more = series_of(
            points,
            &run.config.benchmark.batch_sizes,
            &format!("#{} ", run.run_id),
        );
        for (j, s) in more.iter_mut().enumerate() {
            s.color = [
                "#1a73e8", "#e37400", "#188038", "#a142f4", "#d01884", "#12b5cb",
            ][i % 6];
            s.square = j % 2 == 1;
        }
        series.extend(more);
    }
    let header = runs
        .iter()
        .map(|(r, _)| view! { <th><a href=Route::Run(r.run_id).href()>{format!("#{} {}", r.run_id, r.name)}</a></th> })
        .collect_view();
    type Cell = fn(&RunRecord, &[TradeoffPoint]) -> String;
    let fields: Vec<(&str, Cell)> = vec![
        ("Status", |r, _| r.status.clone()),
        ("Model", |r, _| format!("#{}", r.model_id)),
        ("Profile", |r, _| r.config.profile.clone()),
        ("Calibration", |r, _| {
            r.config.calibration_method.to_string()
        }),
        ("Sensitivity", |r, _| {
            r.config
                .sensitivity
                .as_ref()
                .map(|s| format!("{} / {}", s.mode, s.metric))
                .unwrap_or_else(|| "none".into())
        }),
        ("Boundary", |r, _| format!("{:?}", r.config.boundary)),
        ("Target", |r, _| r.config.target.to_string()),
        ("Created (UTC)", |r, _| format::date_time(r.created_at)),
        ("Float mAP", |_, p| {
            RunSummary::of(p)
                .float_accuracy
                .map(|a| format!("{a:.3}"))
                .unwrap_or_else(|| "–".into())
        }),
        ("Best INT8 mAP", |_, p| {
            RunSummary::of(p)
                .best_accuracy
                .map(|a| format!("{a:.3}"))
                .unwrap_or_else(|| "–".into())
        }),
        ("Speed-up bs1", |_, p| {
            RunSummary::of(p)
                .speedup_bs1
                .map(format::speedup)
                .unwrap_or_else(|| "–".into())
        }),
        ("Speed-up bs32", |_, p| {
            RunSummary::of(p)
                .speedup_bs32
                .map(format::speedup)
                .unwrap_or_else(|| "–".into())
        }),
        ("Points", |_, p| {
            p.iter()
                .map(|p| p.label.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        ("Tags", |r, _| r.tags.join(", ")),
    ];
    let rows = fields
        .into_iter()
        .map(|(name, cell)| {
            let cells = runs
                .iter()
                .map(|(r, p)| view! { <td>{cell(r, p)}</td> })
                .collect_view();
            view! { <tr><th>{name}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table class="compare">
            <thead><tr><th></th>{header}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <section class="card">
            <h2>"Accuracy versus throughput " <crate::charts::ExportButtons target="compare-chart" file_name="comparison".to_owned() /></h2>
            <div class="chart-box">
                <TradeoffChart id="compare-chart" series=series float_accuracy=None max_drop=Signal::derive(|| None) selected=selected />
            </div>
        </section>
    }
}
