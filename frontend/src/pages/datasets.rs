//! Datasets: upload, list, and one dataset (with delete).

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::DatasetRecord;

use super::loading;
use super::runs_using::{RunsUsing, Uses};
use crate::api::{ApiError, TokenState, delete, get_json};
use crate::app::navigate;
use crate::components::{ErrorList, Notice, UploadForm};
use crate::format;
use crate::route::Route;

/// The datasets list with an upload form.
#[component]
pub(crate) fn DatasetsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let datasets = LocalResource::new(move || {
        version.track();
        get_json::<Vec<DatasetRecord>>("/api/datasets")
    });
    let uploaded = Callback::new(move |_: DatasetRecord| version.update(|v| *v += 1));
    view! {
        <h1>"Datasets"</h1>
        <UploadForm path="/api/datasets" accept=".zip,.tar,.tar.gz,.tgz" on_done=uploaded
            hint="A zip or tar of JPEG/PNG images, optionally with COCO annotations (a .json file) for labelled mAP." />
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let datasets = datasets.await?;
                    Ok::<_, ApiError>(datasets_table(datasets))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn datasets_table(datasets: Vec<DatasetRecord>) -> impl IntoView {
    if datasets.is_empty() {
        return view! { <p class="empty">"No dataset yet: upload an archive of images above."</p> }
            .into_any();
    }
    let rows = datasets
        .into_iter()
        .map(|d| {
            view! {
                <tr data-dataset-id=d.dataset_id.to_string()>
                    <td><a href=Route::Dataset(d.dataset_id).href()>{d.name}</a></td>
                    <td class="num">{d.image_count}</td>
                    <td>{if d.has_annotations { "COCO labels" } else { "no labels" }}</td>
                    <td class="num">{format::bytes(d.size)}</td>
                    <td>{format::date_time(d.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="datasets">
            <thead><tr><th>"Name"</th><th>"Images"</th><th>"Labels"</th><th>"Size"</th><th>"Uploaded (UTC)"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// One dataset: its images and labels.
#[component]
pub(crate) fn DatasetPage(id: i64) -> impl IntoView {
    let dataset =
        LocalResource::new(move || get_json::<DatasetRecord>(format!("/api/datasets/{id}")));
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let dataset = dataset.await?;
                    Ok::<_, ApiError>(dataset_details(dataset))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn dataset_details(d: DatasetRecord) -> impl IntoView {
    let tokens = TokenState::from_context();
    let id = d.dataset_id;
    let notice = RwSignal::new(None);
    let remove = move |_| {
        spawn_local(async move {
            match delete(&format!("/api/datasets/{id}")).await {
                Ok(()) => navigate(&Route::Datasets),
                Err(error) => {
                    if error.needs_token() {
                        tokens.ask("Deleting a dataset needs a token with the `write` role.");
                    }
                    notice.set(Some(Err(error.to_string())));
                }
            }
        });
    };
    view! {
        <h1>{d.name.clone()}</h1>
        <section class="card facts">
            <p><b class="image-count">{d.image_count}</b> " images · "
               {if d.has_annotations { "with COCO annotations (labelled mAP possible)" }
                else { "no labels (use the agreement or proxy metric)" }}</p>
            <p>"Normalised archive " <b>{format::bytes(d.size)}</b> " · sha256 "
               <code class="hash">{d.sha256.clone()}</code></p>
            <p><a href=format!("/api/datasets/{id}/download") download="">"Download the archive"</a>
               " · uploaded " {format::date_time(d.created_at)} " UTC"
               " · " <button type="button" class="small" id="delete-dataset" on:click=remove>"Delete"</button></p>
            <Notice message=notice />
        </section>
        <RunsUsing what=Uses::Dataset(id) />
    }
}
