//! What the run says to ship: the recommended point with its accuracy, speed-up and spread,
//! and its files; or, plainly, that no partial model met the budget.

use leptos::prelude::*;
use qbound_shared::{FLOAT_LABEL, Recommendation, TradeoffPoint};

use super::RunData;
use super::results::metric_of;
use crate::api::is_final;
use crate::format;

/// The recommendation card, first on the page.
#[component]
pub(super) fn Recommended(model_id: i64, data: RunData, status: RwSignal<String>) -> impl IntoView {
    let body = move || {
        let Some(r) = data.recommended() else {
            let text = if is_final(&status.get()) {
                "Nothing to recommend: the float model has no accuracy and throughput measured (accuracy needs validation images)."
            } else {
                "The recommended model appears here when the run has finished."
            };
            return view! { <p class="empty">{text}</p> }.into_any();
        };
        let points = data.points();
        view! {
            {banner(&r)}
            <p class="reason">{format!("{}: {}.", r.label, r.reason)}</p>
            {figures(&r, &points)}
            {downloads(&r, &data, model_id)}
        }
        .into_any()
    };
    view! {
        <section class="card recommended" id="recommended">
            <h2>"Recommended model " <b id="recommended-label">{move || data.recommended().map(|r| r.label)}</b></h2>
            {body}
        </section>
    }
}

fn banner(r: &Recommendation) -> Option<impl IntoView + use<>> {
    (!r.within_budget).then(|| {
        view! {
            <p class="banner warning" id="no-partial-model" role="status">
                {format!(
                    "No partial model within the {}% budget: the float model is the one to ship.",
                    format::number(r.max_drop * 100.0, 2)
                )}
            </p>
        }
    })
}

/// Accuracy with its drop, speed-up with its range, per batch size.
fn figures(r: &Recommendation, points: &[TradeoffPoint]) -> impl IntoView + use<> {
    let point = points.iter().find(|p| p.label == r.label).cloned();
    let float = points.iter().find(|p| p.label == FLOAT_LABEL).cloned();
    let metric = format::metric_name(metric_of(points));
    let accuracy = point.as_ref().and_then(|p| p.accuracy);
    let batches: Vec<i64> = float
        .as_ref()
        .map(|f| f.throughput.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default();
    let speed = batches
        .into_iter()
        .filter_map(|b| {
            let (p, f) = (point.as_ref()?, float.as_ref()?);
            let (median, base) = (p.images_per_second(b)?, f.images_per_second(b)?);
            let range = p.spread(b).zip(f.spread(b)).map(|(ps, fs)| {
                format!(
                    " (from {} to {} given the spread of both)",
                    format::speedup(ps.min / fs.max),
                    format::speedup(ps.max / fs.min)
                )
            });
            let spread = p
                .spread(b)
                .map(|s| {
                    format!(
                        ", timed runs {}–{}",
                        format::throughput(s.min),
                        format::throughput(s.max)
                    )
                })
                .unwrap_or_default();
            Some(view! {
                <li data-batch=b.to_string()>
                    <b>{format::speedup(median / base)}</b>
                    {format!(" FP32 at batch {b}{}: {} images/s{spread}", range.unwrap_or_default(), format::throughput(median))}
                </li>
            })
        })
        .collect_view();
    view! {
        <ul class="figures">
            <li>{metric} ": " <b>{accuracy.map(format::accuracy).unwrap_or_else(|| "–".into())}</b>
                {format!(" ({}% below the float model)", format::number(r.accuracy_drop.max(0.0) * 100.0, 2))}</li>
            {speed}
        </ul>
    }
}

/// The files of the recommended point; for the float model, the model itself.
fn downloads(r: &Recommendation, data: &RunData, model_id: i64) -> impl IntoView + use<> {
    if r.label == FLOAT_LABEL {
        return view! {
            <p class="downloads">"Download: "
                <a class="download" href=format!("/api/models/{model_id}/download")>"the float model (ONNX)"</a></p>
        }
        .into_any();
    }
    let files = data
        .artifacts()
        .into_iter()
        .filter(|a| a.point.as_deref() == Some(r.label.as_str()))
        .map(|a| {
            let batch = a
                .batch_size
                .map(|b| format!("batch {b}, "))
                .unwrap_or_default();
            view! {
                <li data-batch=a.batch_size.map(|b| b.to_string())>
                    <a class="download" href=a.download_url.clone() download=a.name.clone()>{a.name.clone()}</a>
                    " " <span class="hint">{batch}{format::bytes(a.size)}</span></li>
            }
        })
        .collect_view();
    view! { <ul class="downloads">{files}</ul> }.into_any()
}
