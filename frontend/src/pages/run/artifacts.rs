//! The run's files, with sizes, checksums and download links.

use leptos::prelude::*;

use super::RunData;
use crate::format;

/// The artifacts table; refreshed as jobs finish.
#[component]
pub(super) fn Artifacts(data: RunData) -> impl IntoView {
    let rows = move || {
        let list = data.artifacts();
        if list.is_empty() {
            return view! { <p class="empty">"No files yet: they appear as jobs finish."</p> }
                .into_any();
        }
        let rows = list
            .into_iter()
            .map(|a| {
                view! {
                    <tr data-artifact-id=a.artifact_id.to_string()>
                        <td>{a.point.clone().unwrap_or_else(|| "whole run".into())}</td>
                        <td>{a.kind.to_string()}</td>
                        <td class="num">{a.batch_size.map(|b| b.to_string()).unwrap_or_default()}</td>
                        <td class="file"><a class="download" href=a.download_url.clone() download=a.name.clone()
                            data-sha256=a.sha256.clone() data-name=a.name.clone()>{a.name.clone()}</a></td>
                        <td class="num">{format::bytes(a.size)}</td>
                        <td><code class="hash" title=a.sha256.clone()>{a.sha256.chars().take(12).collect::<String>()}"…"</code></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="artifacts">
                    <thead><tr><th>"Point"</th><th>"Kind"</th><th>"Batch"</th><th>"File"</th><th>"Size"</th><th>"sha256"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"All downloads"</h2>
            {rows}
        </section>
    }
}
