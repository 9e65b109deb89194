//! Models: upload, list, and one model's layers.

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::{ModelRecord, TensorInfo};

use super::loading;
use super::runs_using::{RunsUsing, Uses};
use crate::api::{ApiError, TokenState, delete, get_json};
use crate::app::navigate;
use crate::components::Notice;
use crate::components::{ErrorList, UploadForm};
use crate::format;
use crate::route::Route;

/// The models list with an upload form.
#[component]
pub(crate) fn ModelsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let models = LocalResource::new(move || {
        version.track();
        get_json::<Vec<ModelRecord>>("/api/models")
    });
    let uploaded = Callback::new(move |_: ModelRecord| version.update(|v| *v += 1));
    view! {
        <h1>"Models"</h1>
        <UploadForm path="/api/models" accept=".onnx" on_done=uploaded
            hint="An ONNX detector (YOLOv5/v6/v8, YOLOX, NanoDet). It is checked before it is stored." />
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let models = models.await?;
                    Ok::<_, ApiError>(models_table(models))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn models_table(models: Vec<ModelRecord>) -> impl IntoView {
    if models.is_empty() {
        return view! { <p class="empty">"No model yet: upload an ONNX file above."</p> }
            .into_any();
    }
    let rows = models
        .into_iter()
        .map(|m| {
            view! {
                <tr data-model-id=m.model_id.to_string()>
                    <td><a href=Route::Model(m.model_id).href()>{m.name}</a></td>
                    <td class="num">{m.layers.len()}</td>
                    <td class="num">{m.opset.map(|o| o.to_string()).unwrap_or_default()}</td>
                    <td class="num">{format::bytes(m.size)}</td>
                    <td>{format::date_time(m.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="models">
            <thead><tr><th>"Name"</th><th>"Layers"</th><th>"Opset"</th><th>"Size"</th><th>"Uploaded (UTC)"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// One model: inputs, outputs and its quantizable layers.
#[component]
pub(crate) fn ModelPage(id: i64) -> impl IntoView {
    let model = LocalResource::new(move || get_json::<ModelRecord>(format!("/api/models/{id}")));
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let model = model.await?;
                    Ok::<_, ApiError>(model_details(model))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn model_details(m: ModelRecord) -> impl IntoView {
    let tokens = TokenState::from_context();
    let id = m.model_id;
    let notice = RwSignal::new(None);
    let remove = move |_| {
        spawn_local(async move {
            match delete(&format!("/api/models/{id}")).await {
                Ok(()) => navigate(&Route::Models),
                Err(error) => {
                    if error.needs_token() {
                        tokens.ask("Deleting a model needs a token with the `write` role.");
                    }
                    notice.set(Some(Err(error.to_string())));
                }
            }
        });
    };
    let total: u64 = m.layers.iter().map(|l| l.parameters).sum();
    let rows = m
        .layers
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td class="num">{l.position}</td>
                    <td><code>{l.name.clone()}</code></td>
                    <td>{l.op.clone()}</td>
                    <td class="num">{l.parameters}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1>{m.name.clone()}</h1>
        <section class="card facts">
            <p>"Size " <b>{format::bytes(m.size)}</b> " · opset " <b>{m.opset.map(|o| o.to_string()).unwrap_or("?".into())}</b>
               " · " <b>{m.layers.len()}</b> " quantizable layers, " <b>{total}</b> " weight parameters"</p>
            <p class="profile">{match (&m.profile, &m.profile_error) {
                (Some(profile), _) => format!("Inferred profile: {profile}"),
                (None, Some(reason)) => format!("No profile inferred ({reason}): name one when starting a run"),
                (None, None) => String::new(),
            }}</p>
            <p>"sha256 " <code class="hash">{m.sha256.clone()}</code> " · "
               <a href=format!("/api/models/{}/download", m.model_id) download="">"Download ONNX"</a>
               " · " <a href=Route::NewRun.href()>"Start a run"</a>
               " · " <button type="button" class="small" id="delete-model" on:click=remove>"Delete"</button></p>
            <Notice message=notice />
        </section>
        <h2>"Inputs and outputs"</h2>
        <div class="table-scroll">
            <table class="tensors">
                <thead><tr><th>""</th><th>"Name"</th><th>"Shape"</th></tr></thead>
                <tbody>{tensor_rows(&m)}</tbody>
            </table>
        </div>
        <RunsUsing what=Uses::Model(id) />
        <h2>"Layers"</h2>
        <div class="table-scroll">
            <table class="layers">
                <thead><tr><th>"#"</th><th>"Name"</th><th>"Op"</th><th>"Parameters"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The model's inputs and outputs with their shapes; the names alone for a model uploaded
/// before shapes were recorded.
fn tensor_rows(m: &ModelRecord) -> impl IntoView + use<> {
    let named = |names: &[String]| {
        names
            .iter()
            .map(|name| TensorInfo {
                name: name.clone(),
                shape: Vec::new(),
            })
            .collect::<Vec<_>>()
    };
    let inputs = if m.input_tensors.is_empty() {
        named(&m.inputs)
    } else {
        m.input_tensors.clone()
    };
    let outputs = if m.output_tensors.is_empty() {
        named(&m.outputs)
    } else {
        m.output_tensors.clone()
    };
    let rows = |kind: &'static str, tensors: Vec<TensorInfo>| {
        tensors
            .into_iter()
            .map(move |t| {
                view! {
                    <tr>
                        <td>{kind}</td>
                        <td><code>{t.name}</code></td>
                        <td><code>{format!("[{}]", t.shape.join(", "))}</code></td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! { {rows("input", inputs)} {rows("output", outputs)} }
}
