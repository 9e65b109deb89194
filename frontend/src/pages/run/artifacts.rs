//! The run's files, with sizes, checksums and download links.

use leptos::prelude::*;
use qbound_shared::ArtifactRecord;

use super::Live;
use crate::api::get_json;
use crate::format;

/// The artifacts table; refreshed as jobs finish.
#[component]
pub(super) fn Artifacts(run_id: i64, live: Live) -> impl IntoView {
    let artifacts = LocalResource::new(move || {
        live.results.track();
        get_json::<Vec<ArtifactRecord>>(format!("/api/runs/{run_id}/artifacts"))
    });
    let label_of = move |job_id: i64| {
        live.jobs.with(|jobs| {
            jobs.iter()
                .find(|j| j.job_id == job_id)
                .map(|j| j.label.clone())
                .unwrap_or_default()
        })
    };
    let rows = move || {
        let list = artifacts.get().and_then(|a| a.ok()).unwrap_or_default();
        if list.is_empty() {
            return view! { <p class="empty">"No files yet: they appear as jobs finish."</p> }
                .into_any();
        }
        let rows = list
            .into_iter()
            .map(|a| {
                view! {
                    <tr data-artifact-id=a.artifact_id.to_string()>
                        <td>{label_of(a.job_id)}</td>
                        <td>{a.kind.to_string()}</td>
                        <td><a class="download" href=a.download_url.clone() download=a.name.clone()
                            data-sha256=a.sha256.clone() data-name=a.name.clone()>{a.name.clone()}</a></td>
                        <td class="num">{format::bytes(a.size)}</td>
                        <td><code class="hash" title=a.sha256.clone()>{a.sha256.chars().take(12).collect::<String>()}"…"</code></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="artifacts">
                <thead><tr><th>"Point"</th><th>"Kind"</th><th>"File"</th><th>"Size"</th><th>"sha256"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"Downloads"</h2>
            {rows}
        </section>
    }
}
