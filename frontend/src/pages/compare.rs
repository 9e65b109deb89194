//! Runs side by side: their settings and recommended points (rows that differ highlighted,
//! or shown alone), and one trade-off chart with all, by default as speed-up over each run's
//! own FP32 so that runs timed under different loads compare.

use leptos::prelude::*;
use qbound_shared::{ModelRecord, RunRecord, TradeoffPoint};

use super::loading;
use crate::api::{ApiError, ApiResult, get_json};
use crate::charts::{TradeoffChart, TradeoffSeries, series_of};
use crate::format;
use crate::route::Route;
use crate::summary::RunSummary;

/// One compared run: the record, its points, its model's name and its summary.
#[derive(Debug, Clone)]
struct Compared {
    run: RunRecord,
    points: Vec<TradeoffPoint>,
    model: String,
    summary: RunSummary,
}

async fn load(ids: Vec<i64>) -> ApiResult<Vec<Compared>> {
    let models = get_json::<Vec<ModelRecord>>("/api/models").await?;
    let mut runs = Vec::new();
    for id in ids {
        let run = get_json::<RunRecord>(format!("/api/runs/{id}")).await?;
        let points = get_json::<Vec<TradeoffPoint>>(format!("/api/runs/{id}/tradeoff")).await?;
        let model = models
            .iter()
            .find(|m| m.model_id == run.model_id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| format!("model #{}", run.model_id));
        let summary = RunSummary::of(&run, &points);
        runs.push(Compared {
            run,
            points,
            model,
            summary,
        });
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

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "–".into())
}

type Cell = fn(&Compared) -> String;

/// The compared settings and results, one row each.
fn fields() -> Vec<(&'static str, Cell)> {
    vec![
        ("Status", |c| c.run.status.clone()),
        ("Model", |c| c.model.clone()),
        ("Profile", |c| c.run.config.profile.clone()),
        ("Calibration", |c| {
            c.run.config.calibration_method.to_string()
        }),
        ("Sensitivity", |c| {
            c.run
                .config
                .sensitivity
                .as_ref()
                .map(|s| format!("{} / {}", s.mode, s.metric))
                .unwrap_or_else(|| "none".into())
        }),
        ("Boundary", |c| format::boundary(&c.run.config.boundary)),
        ("Target", |c| c.run.config.target.to_string()),
        ("Accuracy measured as", |c| {
            format::metric_name(c.summary.metric).to_owned()
        }),
        ("Float accuracy", |c| {
            or_dash(c.summary.float_accuracy.map(format::accuracy))
        }),
        ("Recommended", |c| c.summary.headline()),
        ("Its accuracy", |c| {
            or_dash(c.summary.accuracy.map(format::accuracy))
        }),
        ("Its speed-up bs1", |c| {
            or_dash(c.summary.speedup_bs1.map(format::speedup))
        }),
        ("Its speed-up bs32", |c| {
            or_dash(c.summary.speedup_bs32.map(format::speedup))
        }),
        ("Points", |c| {
            c.points
                .iter()
                .map(|p| p.label.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        ("Tags", |c| c.run.tags.join(", ")),
        ("Created (UTC)", |c| format::date_time(c.run.created_at)),
    ]
}

const RUN_COLORS: [&str; 6] = [
    "#1a73e8", "#e37400", "#188038", "#a142f4", "#d01884", "#12b5cb",
];

fn chart_series(runs: &[Compared], normalise: bool) -> Vec<TradeoffSeries> {
    let mut series = Vec::new();
    for (i, c) in runs.iter().enumerate() {
        let mut more = series_of(
            &c.points,
            &c.run.config.benchmark.batch_sizes,
            &format!("#{} ", c.run.run_id),
            normalise,
        );
        for (j, s) in more.iter_mut().enumerate() {
            s.color = RUN_COLORS[i % RUN_COLORS.len()];
            s.square = j % 2 == 1;
        }
        series.extend(more);
    }
    series
}

fn comparison(runs: Vec<Compared>) -> impl IntoView {
    let selected = RwSignal::new(None);
    let differences_only = RwSignal::new(false);
    let normalise = RwSignal::new(true);
    let header = runs
        .iter()
        .map(|c| view! { <th><a href=Route::Run(c.run.run_id).href()>{format!("#{} {}", c.run.run_id, c.run.name)}</a></th> })
        .collect_view();
    let rows = fields()
        .into_iter()
        .map(|(name, cell)| {
            let values: Vec<String> = runs.iter().map(cell).collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            let cells = values
                .into_iter()
                .map(|v| view! { <td>{v}</td> })
                .collect_view();
            view! {
                <tr class:differs=differs data-field=name
                    style:display=move || if differences_only.get() && !differs { "none" } else { "" }>
                    <th>{name}</th>{cells}
                </tr>
            }
        })
        .collect_view();
    let metric = runs.iter().find_map(|c| c.summary.metric);
    let chart = move || {
        let normalised = normalise.get();
        let x_title = if normalised {
            "speed-up over the run's own FP32 (median images/s ratio)"
        } else {
            "throughput (images/s, median of the timed runs)"
        };
        view! {
            <TradeoffChart id="compare-chart" series=chart_series(&runs, normalised) float_accuracy=None
                max_drop=Signal::derive(|| None) selected=selected
                x_title=x_title.to_owned() y_title=format::metric_name(metric).to_owned() />
        }
    };
    view! {
        <p class="toolbar">
            <label class="check"><input type="checkbox" name="differences_only"
                prop:checked=move || differences_only.get()
                on:change=move |ev| differences_only.set(event_target_checked(&ev)) />
                " Differences only"</label>
        </p>
        <div class="table-scroll">
            <table class="compare">
                <thead><tr><th></th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <section class="card">
            <h2>"Accuracy versus throughput " <crate::charts::ExportButtons target="compare-chart" file_name="comparison".to_owned() /></h2>
            <p class="toolbar">
                <label class="check"><input type="checkbox" name="normalise"
                    prop:checked=move || normalise.get()
                    on:change=move |ev| normalise.set(event_target_checked(&ev)) />
                    " Speed-up over each run's FP32 (runs timed under different loads compare)"</label>
            </p>
            <div class="chart-box">{chart}</div>
        </section>
    }
}
