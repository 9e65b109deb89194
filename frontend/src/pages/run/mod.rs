//! A run's page: live job progress with logs, the sensitivity and trade-off charts, the
//! layer table and the artifacts.

mod artifacts;
mod jobs;
mod results;

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::{Event, JobRecord, JobState, RunRecord};

use super::loading;
use crate::api::{ApiError, RunEvents, TokenState, get_json, is_final, post_json};
use crate::components::{ErrorList, Notice, ProgressBar, StatusBadge};
use crate::format;

/// Signals the parts of the page share.
#[derive(Debug, Clone, Copy)]
pub(super) struct Live {
    /// The jobs as last seen.
    pub(super) jobs: RwSignal<Vec<JobRecord>>,
    /// The run's status as last seen.
    pub(super) status: RwSignal<String>,
    /// Bumped when results may have changed (a job finished).
    pub(super) results: RwSignal<u32>,
}

fn refresh_jobs(id: i64, live: Live) {
    spawn_local(async move {
        if let Ok(jobs) = get_json::<Vec<JobRecord>>(format!("/api/runs/{id}/jobs")).await {
            live.jobs.set(jobs);
        }
    });
}

fn apply(event: Event, id: i64, live: Live) {
    match event {
        Event::Job {
            job_id,
            state,
            progress,
            error,
            ..
        } => {
            let mut changed = false;
            live.jobs.update(|jobs| {
                if let Some(job) = jobs.iter_mut().find(|j| j.job_id == job_id) {
                    changed = job.state != state;
                    job.state = state;
                    job.progress = progress;
                    job.error = error;
                }
            });
            if changed && state.is_terminal() {
                live.results.update(|v| *v += 1);
            }
            refresh_jobs(id, live);
        }
        Event::Run { status, .. } => {
            if is_final(&status) {
                // The stream ends here; the server may announce the run before its last
                // job, so read the jobs once more.
                refresh_jobs(id, live);
                if live.status.get_untracked() != status {
                    live.results.update(|v| *v += 1);
                }
            }
            live.status.set(status);
        }
    }
}

/// The run page.
#[component]
pub(crate) fn RunPage(id: i64) -> impl IntoView {
    let live = Live {
        jobs: RwSignal::new(Vec::new()),
        status: RwSignal::new(String::new()),
        results: RwSignal::new(0),
    };
    let run = LocalResource::new(move || get_json::<RunRecord>(format!("/api/runs/{id}")));
    refresh_jobs(id, live);
    let _events = StoredValue::new_local(RunEvents::open(id, move |event| apply(event, id, live)));
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {move || Suspend::new(async move {
                    let run = run.await?;
                    if live.status.get_untracked().is_empty() {
                        live.status.set(run.status.clone());
                    }
                    Ok::<_, ApiError>(run_view(run, live))
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn run_view(run: RunRecord, live: Live) -> impl IntoView {
    let tokens = TokenState::from_context();
    let id = run.run_id;
    let notice = RwSignal::new(None);
    let overall = move || {
        live.jobs.with(|jobs| {
            if jobs.is_empty() {
                return 0.0;
            }
            let done: f64 = jobs
                .iter()
                .map(|j| {
                    if j.state == JobState::Succeeded {
                        1.0
                    } else {
                        j.progress.clamp(0.0, 1.0)
                    }
                })
                .sum();
            done / jobs.len() as f64
        })
    };
    let cancel = move |_| {
        spawn_local(async move {
            match post_json::<_, RunRecord>(&format!("/api/runs/{id}/cancel"), &()).await {
                Ok(run) => live.status.set(run.status),
                Err(error) => {
                    if error.needs_token() {
                        tokens.ask("Cancelling needs a token with the `write` role.");
                    }
                    notice.set(Some(Err(error.to_string())));
                }
            }
        });
    };
    let c = &run.config;
    let sensitivity = c
        .sensitivity
        .as_ref()
        .map(|s| format!("{} / {}", s.mode, s.metric))
        .unwrap_or_else(|| "none".into());
    let boundary = match &c.boundary {
        qbound_shared::Boundary::All => "all layers INT8".to_owned(),
        qbound_shared::Boundary::KeepFloat { count } => format!("keep {count} in float"),
        qbound_shared::Boundary::MaxDrop { max_drop } => {
            format!("max drop {:.1}%", max_drop * 100.0)
        }
        qbound_shared::Boundary::Sweep { keep_float } => format!("sweep {keep_float:?}"),
    };
    view! {
        <h1>{format!("Run #{id}: {}", run.name)} " " <StatusBadge status=live.status /></h1>
        <section class="card facts">
            <p>"Model " <a href=crate::route::Route::Model(run.model_id).href()>{format!("#{}", run.model_id)}</a>
               " · profile " <b>{c.profile.clone()}</b> " · calibration " <b>{c.calibration_method.to_string()}</b>
               " · sensitivity " <b>{sensitivity}</b> " · " <b>{boundary}</b> " · target " <b>{c.target.to_string()}</b>
               " · created " {format::date_time(run.created_at)} " UTC"</p>
            <p>"Tags: " {if run.tags.is_empty() { "none".to_owned() } else { run.tags.join(", ") }}
               {(!run.notes.is_empty()).then(|| view! { " · Notes: " {run.notes.clone()} })}</p>
        </section>
        <section class="card">
            <h2>"Progress"</h2>
            <div id="run-progress"><ProgressBar value=Signal::derive(overall) /></div>
            <Show when=move || !is_final(&live.status.get())>
                <button class="small" on:click=cancel>"Cancel run"</button>
            </Show>
            <Notice message=notice />
            <jobs::JobList jobs=live.jobs />
        </section>
        <results::Results run=run.clone() live=live />
        <artifacts::Artifacts run_id=id live=live />
    }
}
