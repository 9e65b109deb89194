//! A run's page: the recommended model first, then the trade-off and sensitivity charts, the
//! error analysis, the layer table, the artifacts, and the jobs with their logs folded away.

mod analysis;
mod artifacts;
mod export;
mod jobs;
mod recommended;
mod results;

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::{
    ArtifactRecord, ErrorAnalysis, Event, JobRecord, JobState, LayerResult, ModelRecord,
    Recommendation, RunRecord, TradeoffPoint,
};

use super::loading;
use crate::api::{ApiError, ApiResult, RunEvents, TokenState, get_json, is_final, post_json};
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

/// The run's results, fetched again whenever a job finishes.
#[derive(Clone, Copy)]
pub(super) struct RunData {
    record: LocalResource<ApiResult<RunRecord>>,
    points: LocalResource<ApiResult<Vec<TradeoffPoint>>>,
    layers: LocalResource<ApiResult<Vec<LayerResult>>>,
    artifacts: LocalResource<ApiResult<Vec<ArtifactRecord>>>,
    analysis: LocalResource<ApiResult<ErrorAnalysis>>,
}

impl RunData {
    fn new(id: i64, live: Live) -> Self {
        Self {
            record: LocalResource::new(move || {
                live.results.track();
                get_json::<RunRecord>(format!("/api/runs/{id}"))
            }),
            points: LocalResource::new(move || {
                live.results.track();
                get_json::<Vec<TradeoffPoint>>(format!("/api/runs/{id}/tradeoff"))
            }),
            layers: LocalResource::new(move || {
                live.results.track();
                get_json::<Vec<LayerResult>>(format!("/api/runs/{id}/layers"))
            }),
            artifacts: LocalResource::new(move || {
                live.results.track();
                get_json::<Vec<ArtifactRecord>>(format!("/api/runs/{id}/artifacts"))
            }),
            analysis: LocalResource::new(move || {
                live.results.track();
                get_json::<ErrorAnalysis>(format!("/api/runs/{id}/analysis"))
            }),
        }
    }

    /// The run as last read.
    pub(super) fn record(&self) -> Option<RunRecord> {
        self.record.get()?.ok()
    }

    /// The run's recommended point, once it has finished.
    pub(super) fn recommended(&self) -> Option<Recommendation> {
        self.record()?.recommended
    }

    /// The trade-off points as last read.
    pub(super) fn points(&self) -> Vec<TradeoffPoint> {
        self.points.get().and_then(|p| p.ok()).unwrap_or_default()
    }

    /// The layers as last read.
    pub(super) fn layers(&self) -> Vec<LayerResult> {
        self.layers.get().and_then(|l| l.ok()).unwrap_or_default()
    }

    /// The error analysis, once the run's analyze job has succeeded (the API answers 404
    /// before).
    pub(super) fn analysis(&self) -> Option<ErrorAnalysis> {
        self.analysis.get()?.ok()
    }

    /// The artifacts as last read.
    pub(super) fn artifacts(&self) -> Vec<ArtifactRecord> {
        self.artifacts
            .get()
            .and_then(|a| a.ok())
            .unwrap_or_default()
    }
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
    let data = RunData::new(id, live);
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
    let model_id = run.model_id;
    let model =
        LocalResource::new(move || get_json::<ModelRecord>(format!("/api/models/{model_id}")));
    let model_name = move || {
        model
            .get()
            .and_then(|m| m.ok())
            .map(|m| m.name)
            .unwrap_or_else(|| format!("model #{model_id}"))
    };
    let c = &run.config;
    let sensitivity = c
        .sensitivity
        .as_ref()
        .map(|s| format!("{} / {}", s.mode, s.metric))
        .unwrap_or_else(|| "none".into());
    let job_count = move || live.jobs.with(Vec::len);
    view! {
        <h1>{format!("Run #{id}: {}", run.name)} " " <StatusBadge status=live.status /></h1>
        <section class="card facts">
            <p>"Model " <a href=crate::route::Route::Model(model_id).href() id="run-model">{model_name}</a>
               " · profile " <b>{c.profile.clone()}</b> " · calibration " <b>{c.calibration_method.to_string()}</b>
               " · sensitivity " <b>{sensitivity}</b> " · " <b>{format::boundary(&c.boundary)}</b> " · target " <b>{c.target.to_string()}</b>
               " · created " {format::date_time(run.created_at)} " UTC"</p>
            <p>"Tags: " {if run.tags.is_empty() { "none".to_owned() } else { run.tags.join(", ") }}
               {(!run.notes.is_empty()).then(|| view! { " · Notes: " {run.notes.clone()} })}
               " · " <a href=crate::route::Route::CloneRun(id).href() id="clone-run">"Clone this run"</a></p>
        </section>
        <section class="card">
            <div id="run-progress"><ProgressBar value=Signal::derive(overall) /></div>
            <Show when=move || !is_final(&live.status.get())>
                <button class="small" on:click=cancel>"Cancel run"</button>
            </Show>
            <Notice message=notice />
            <details class="jobs-fold" prop:open=move || !is_final(&live.status.get())>
                <summary>{move || format!("Jobs ({})", job_count())}</summary>
                <jobs::JobList jobs=live.jobs />
            </details>
        </section>
        <recommended::Recommended model_id=model_id data=data status=live.status />
        <results::Results run=run.clone() data=data />
        <artifacts::Artifacts data=data />
    }
}
