//! The run's jobs: state, progress and log.

use leptos::prelude::*;
use qbound_shared::JobRecord;

use crate::components::{ProgressBar, StatusBadge};

/// One row per job, its log folded away.
#[component]
pub(super) fn JobList(jobs: RwSignal<Vec<JobRecord>>) -> impl IntoView {
    view! {
        <table class="jobs">
            <thead><tr><th>"Job"</th><th>"Point"</th><th>"State"</th><th>"Progress"</th><th>"Log"</th></tr></thead>
            <tbody>
                <For each=move || jobs.get() key=|j| (j.job_id, j.state, (j.progress * 1000.0) as i64, j.log.len())
                    children=|job| {
                        let log = job.log.clone();
                        let error = job.error.clone();
                        view! {
                            <tr data-job-id=job.job_id.to_string() data-state=job.state.to_string()>
                                <td>{job.kind.to_string()}</td>
                                <td>{job.label.clone()}</td>
                                <td><StatusBadge status=job.state.to_string() /></td>
                                <td class="progress-cell"><ProgressBar value=job.progress /></td>
                                <td>
                                    {error.map(|e| view! { <p class="error">{e}</p> })}
                                    {(!log.is_empty()).then(|| view! {
                                        <details><summary>{format!("{} lines", log.lines().count())}</summary><pre class="log">{log}</pre></details>
                                    })}
                                </td>
                            </tr>
                        }
                    } />
            </tbody>
        </table>
    }
}
