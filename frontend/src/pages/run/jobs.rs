//! The run's jobs: state, progress and log.

use leptos::prelude::*;
use qbound_shared::{JobRecord, JobState};

use crate::components::{ProgressBar, StatusBadge};
use crate::format;

/// How long a job ran (so far, while it runs).
fn took(job: &JobRecord) -> String {
    match (job.started_at, job.finished_at) {
        (Some(start), Some(end)) => format::duration(end - start),
        (Some(start), None) if job.state == JobState::Running => {
            format!(
                "{} so far",
                format::duration(js_sys::Date::now() as i64 - start)
            )
        }
        _ => "–".into(),
    }
}

/// One row per job, its log folded away.
#[component]
pub(super) fn JobList(jobs: RwSignal<Vec<JobRecord>>) -> impl IntoView {
    view! {
        <div class="table-scroll">
        <table class="jobs">
            <thead><tr><th>"Job"</th><th>"Point"</th><th>"State"</th><th>"Took"</th><th>"Progress"</th><th>"Log"</th></tr></thead>
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
                                <td class="num duration">{took(&job)}</td>
                                <td class="progress-cell"><ProgressBar value=job.progress /></td>
                                <td>
                                    {error.map(|e| view! { <p class="error">{e}</p> })}
                                    {(!log.is_empty()).then(|| view! {
                                        <details><summary>{format::count(log.lines().count(), "line")}</summary><pre class="log">{log}</pre></details>
                                    })}
                                </td>
                            </tr>
                        }
                    } />
            </tbody>
        </table>
        </div>
    }
}
