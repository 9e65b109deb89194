//! The run history: every run, filtered and sorted; tags and notes edited in place; runs
//! picked for comparison.

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::{ModelRecord, RunRecord, RunUpdate, TradeoffPoint};

use super::loading;
use crate::api::{ApiError, ApiResult, TokenState, get_json, patch_json};
use crate::app::navigate;
use crate::components::{ErrorList, Notice, StatusBadge};
use crate::format;
use crate::route::Route;
use crate::summary::RunSummary;

/// A run with its model's name and headline numbers.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    run: RunRecord,
    model: String,
    summary: RunSummary,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Filter {
    q: String,
    status: String,
    model_id: String,
    tag: String,
    sort: String,
}

fn query(filter: &Filter) -> String {
    let mut parts = vec![format!(
        "sort={}",
        if filter.sort.starts_with("-created")
            || filter.sort.is_empty()
            || !server_sort(&filter.sort)
        {
            "-created_at"
        } else {
            &filter.sort
        }
    )];
    for (key, value) in [
        ("q", &filter.q),
        ("status", &filter.status),
        ("model_id", &filter.model_id),
        ("tag", &filter.tag),
    ] {
        if !value.trim().is_empty() {
            parts.push(format!(
                "{key}={}",
                js_sys::encode_uri_component(value.trim())
            ));
        }
    }
    format!("/api/runs?{}", parts.join("&"))
}

fn server_sort(sort: &str) -> bool {
    [
        "created_at",
        "-created_at",
        "name",
        "-name",
        "status",
        "updated_at",
        "-updated_at",
    ]
    .contains(&sort)
}

async fn load(filter: Filter) -> ApiResult<Vec<Row>> {
    let runs = get_json::<Vec<RunRecord>>(&query(&filter)).await?;
    let models = get_json::<Vec<ModelRecord>>("/api/models").await?;
    let mut rows = Vec::with_capacity(runs.len());
    for run in runs {
        let points =
            get_json::<Vec<TradeoffPoint>>(format!("/api/runs/{}/tradeoff", run.run_id)).await?;
        let model = models
            .iter()
            .find(|m| m.model_id == run.model_id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| format!("model {}", run.model_id));
        rows.push(Row {
            summary: RunSummary::of(&run, &points),
            model,
            run,
        });
    }
    let key = |row: &Row| match filter.sort.as_str() {
        "accuracy" => row.summary.accuracy,
        "speedup1" => row.summary.speedup_bs1,
        "speedup32" => row.summary.speedup_bs32,
        _ => None,
    };
    if !server_sort(&filter.sort) && !filter.sort.is_empty() {
        rows.sort_by(|a, b| {
            key(b)
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&key(a).unwrap_or(f64::NEG_INFINITY))
        });
    }
    Ok(rows)
}

/// The history page.
#[component]
pub(crate) fn HistoryPage() -> impl IntoView {
    let filter = RwSignal::new(Filter {
        sort: "-created_at".into(),
        ..Filter::default()
    });
    let version = RwSignal::new(0u32);
    let rows = LocalResource::new(move || {
        version.track();
        load(filter.get())
    });
    let models = LocalResource::new(|| get_json::<Vec<ModelRecord>>("/api/models"));
    let picked = RwSignal::new(Vec::<i64>::new());
    let editing = RwSignal::new(None::<i64>);
    let notice = RwSignal::new(None);
    let input =
        move |name: &'static str, placeholder: &'static str, set: fn(&mut Filter, String)| {
            view! {
                <input type="search" name=name placeholder=placeholder
                    on:change=move |ev| filter.update(|f| set(f, event_target_value(&ev))) />
            }
        };
    let model_options = move || {
        models
            .get()
            .and_then(|m| m.ok())
            .unwrap_or_default()
            .into_iter()
            .map(|m| view! { <option value=m.model_id.to_string()>{m.name}</option> })
            .collect_view()
    };
    view! {
        <h1>"Runs"</h1>
        <div class="toolbar card">
            {input("q", "name contains…", |f, v| f.q = v)}
            <select name="model_id" on:change=move |ev| filter.update(|f| f.model_id = event_target_value(&ev))>
                <option value="">"all models"</option>
                {model_options}
            </select>
            <select name="status" on:change=move |ev| filter.update(|f| f.status = event_target_value(&ev))>
                <option value="">"any status"</option>
                {["queued", "running", "succeeded", "failed", "cancelled"].map(|s| view! { <option value=s>{s}</option> })}
            </select>
            {input("tag", "tag", |f, v| f.tag = v)}
            <label>"Sort "
                <select name="sort" on:change=move |ev| filter.update(|f| f.sort = event_target_value(&ev))>
                    <option value="-created_at">"newest first"</option>
                    <option value="created_at">"oldest first"</option>
                    <option value="accuracy">"best accuracy"</option>
                    <option value="speedup1">"best speed-up (batch 1)"</option>
                    <option value="speedup32">"best speed-up (batch 32)"</option>
                    <option value="name">"name"</option>
                    <option value="status">"status"</option>
                </select>
            </label>
            <button id="compare" class="primary" disabled=move || picked.with(|p| p.len() < 2)
                on:click=move |_| navigate(&Route::Compare(picked.get_untracked()))>
                {move || format!("Compare {} runs", picked.with(Vec::len))}
            </button>
            <a class="button" href=Route::NewRun.href()>"New run"</a>
        </div>
        <Notice message=notice />
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let rows = rows.await?;
                    Ok::<_, ApiError>(table(rows, picked, editing, version, notice))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn table(
    rows: Vec<Row>,
    picked: RwSignal<Vec<i64>>,
    editing: RwSignal<Option<i64>>,
    version: RwSignal<u32>,
    notice: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No run matches. " <a href=Route::NewRun.href()>"Start one"</a> "."</p> }.into_any();
    }
    let body = rows
        .into_iter()
        .map(|row| row_view(row, picked, editing, version, notice))
        .collect_view();
    view! {
        <table class="history">
            <thead><tr>
                <th>"Compare"</th><th>"Run"</th><th>"Model"</th><th>"Status"</th><th>"Created (UTC)"</th>
                <th>"Recommended"</th><th>"Its accuracy"</th><th>"Speed-up bs1"</th><th>"Speed-up bs32"</th><th>"Tags"</th><th>"Notes"</th><th></th>
            </tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
    .into_any()
}

fn row_view(
    row: Row,
    picked: RwSignal<Vec<i64>>,
    editing: RwSignal<Option<i64>>,
    version: RwSignal<u32>,
    notice: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let tokens = TokenState::from_context();
    let id = row.run.run_id;
    let tags = RwSignal::new(row.run.tags.join(", "));
    let notes = RwSignal::new(row.run.notes.clone());
    let is_editing = move || editing.get() == Some(id);
    let save = move |_| {
        let update = RunUpdate {
            tags: Some(
                tags.get_untracked()
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            notes: Some(notes.get_untracked()),
        };
        spawn_local(async move {
            match patch_json::<_, RunRecord>(&format!("/api/runs/{id}"), &update).await {
                Ok(_) => {
                    editing.set(None);
                    notice.set(Some(Ok(format!("Saved run {id}."))));
                    version.update(|v| *v += 1);
                }
                Err(error) => {
                    if error.needs_token() {
                        tokens.ask("Changing tags and notes needs a token with the `write` role.");
                    }
                    notice.set(Some(Err(error.to_string())));
                }
            }
        });
    };
    let number = |v: Option<f64>, f: fn(f64) -> String| v.map(f).unwrap_or_else(|| "–".into());
    let s = row.summary.clone();
    let status = row.run.status.clone();
    view! {
        <tr data-run-id=id.to_string()>
            <td><input type="checkbox" aria-label="compare" prop:checked=move || picked.with(|p| p.contains(&id))
                on:change=move |ev| picked.update(|p| if event_target_checked(&ev) { p.push(id) } else { p.retain(|x| *x != id) }) /></td>
            <td><a href=Route::Run(id).href()>{format!("#{id} {}", row.run.name)}</a></td>
            <td>{row.model}</td>
            <td><StatusBadge status=status /></td>
            <td>{format::date_time(row.run.created_at)}</td>
            <td class="recommended">{s.headline()}</td>
            <td class="num">{number(s.accuracy, |v| format!("{v:.3}"))}{s.metric.map(|m| format!(" {}", format::metric_short(m)))}</td>
            <td class="num">{number(s.speedup_bs1, format::speedup)}</td>
            <td class="num">{number(s.speedup_bs32, format::speedup)}</td>
            <td>
                <Show when=is_editing fallback=move || view! {
                    <span class="tags">{tags.get().split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| view! { <span class="tag">{t.to_owned()}</span> }).collect_view()}</span>
                }>
                    <input type="text" name="tags" prop:value=move || tags.get() on:input=move |ev| tags.set(event_target_value(&ev)) />
                </Show>
            </td>
            <td>
                <Show when=is_editing fallback=move || view! { <span class="notes">{notes.get()}</span> }>
                    <textarea name="notes" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                </Show>
            </td>
            <td>
                <Show when=is_editing fallback=move || view! { <button class="small" on:click=move |_| editing.set(Some(id))>"Edit"</button> }>
                    <button class="small primary" on:click=save>"Save"</button>
                    <button class="small" on:click=move |_| editing.set(None)>"Cancel"</button>
                </Show>
            </td>
        </tr>
    }
}
