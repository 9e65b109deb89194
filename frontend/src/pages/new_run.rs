//! The new-run form: every run setting, sensible defaults, checked before it is sent.

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::{DatasetRecord, ModelRecord, RunRecord};

use crate::api::{TokenState, get_json, post_json};
use crate::app::navigate;
use crate::components::Notice;
use crate::route::Route;
use crate::run_form::{
    BOUNDARIES, Context, METHODS, METRICS, MODES, PROFILES, PROVIDERS, RunForm, TARGETS,
};

type GetField = fn(&RunForm) -> String;
type SetField = fn(&mut RunForm, String);

fn text_field(
    form: RwSignal<RunForm>,
    label: &'static str,
    name: &'static str,
    get: GetField,
    set: SetField,
) -> impl IntoView {
    view! {
        <label>
            <span>{label}</span>
            <input type="text" name=name prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
        </label>
    }
}

fn select_field(
    form: RwSignal<RunForm>,
    label: &'static str,
    name: &'static str,
    options: &'static [&'static str],
    get: GetField,
    set: SetField,
) -> impl IntoView {
    let options = options
        .iter()
        .map(|o| view! { <option value=*o selected=move || form.with(get) == *o>{*o}</option> })
        .collect_view();
    view! {
        <label>
            <span>{label}</span>
            <select name=name prop:value=move || form.with(get)
                on:change=move |ev| form.update(|f| set(f, event_target_value(&ev)))>
                {options}
            </select>
        </label>
    }
}

fn id_select(
    form: RwSignal<RunForm>,
    label: &'static str,
    name: &'static str,
    choices: Vec<(i64, String)>,
    optional: bool,
    get: fn(&RunForm) -> Option<i64>,
    set: fn(&mut RunForm, Option<i64>),
) -> impl IntoView {
    let options = choices
        .into_iter()
        .map(|(id, text)| view! { <option value=id.to_string() selected=move || form.with(get) == Some(id)>{text}</option> })
        .collect_view();
    view! {
        <label>
            <span>{label}</span>
            <select name=name
                prop:value=move || form.with(get).map(|i| i.to_string()).unwrap_or_default()
                on:change=move |ev| form.update(|f| set(f, event_target_value(&ev).parse().ok()))>
                {optional.then(|| view! { <option value="">"none"</option> })}
                {options}
            </select>
        </label>
    }
}

/// The form, filled in with run `from`'s settings when given; on success the new run's page
/// opens.
#[component]
pub(crate) fn NewRunPage(#[prop(optional)] from: Option<i64>) -> impl IntoView {
    let tokens = TokenState::from_context();
    let form = RwSignal::new(RunForm::default());
    if let Some(id) = from {
        spawn_local(async move {
            if let Ok(run) = get_json::<RunRecord>(format!("/api/runs/{id}")).await {
                form.set(RunForm::from_config(&run.config));
            }
        });
    }
    let problems = RwSignal::new(Vec::<String>::new());
    let notice = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let models = LocalResource::new(|| get_json::<Vec<ModelRecord>>("/api/models"));
    let datasets = LocalResource::new(|| get_json::<Vec<DatasetRecord>>("/api/datasets"));
    Effect::new(move || {
        if let Some(Ok(models)) = models.get()
            && form.with_untracked(|f| f.model_id.is_none())
            && let Some(first) = models.first()
        {
            form.update(|f| f.model_id = Some(first.model_id));
        }
        if let Some(Ok(datasets)) = datasets.get()
            && form.with_untracked(|f| f.calibration_dataset_id.is_none())
        {
            let find = |word: &str| {
                datasets
                    .iter()
                    .find(|d| d.name.contains(word))
                    .map(|d| d.dataset_id)
            };
            form.update(|f| {
                f.calibration_dataset_id = find("calib").or(datasets.first().map(|d| d.dataset_id));
                f.validation_dataset_id = find("val");
            });
        }
    });
    let context = move || {
        let f = form.get();
        let layer_count = models.get().and_then(|m| m.ok()).and_then(|m| {
            m.iter()
                .find(|m| Some(m.model_id) == f.model_id)
                .map(|m| m.layers.len())
        });
        let validation_has_labels = datasets.get().and_then(|d| d.ok()).and_then(|d| {
            d.iter()
                .find(|d| Some(d.dataset_id) == f.validation_dataset_id)
                .map(|d| d.has_annotations)
        });
        Context {
            layer_count,
            validation_has_labels,
        }
    };
    // Bumped to send the form again once a token is saved.
    let attempt = RwSignal::new(0u32);
    let start = move || {
        notice.set(None);
        match form.get_untracked().to_config(context()) {
            Err(found) => problems.set(found),
            Ok(config) => {
                problems.set(Vec::new());
                busy.set(true);
                spawn_local(async move {
                    let created = post_json::<_, RunRecord>("/api/runs", &config).await;
                    busy.set(false);
                    match created {
                        Ok(run) => navigate(&Route::Run(run.run_id)),
                        Err(error) => {
                            if error.needs_token() {
                                tokens.ask_then(
                                    "Starting a run needs a token with the `write` role; the run starts once you are signed in.",
                                    move || attempt.update(|n| *n += 1),
                                );
                            }
                            notice.set(Some(Err(error.to_string())));
                        }
                    }
                });
            }
        }
    };
    Effect::watch(move || attempt.get(), move |_, _, _| start(), false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        start();
    };
    let model_choices = move || {
        models
            .get()
            .and_then(|m| m.ok())
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                (
                    m.model_id,
                    format!("{} ({} layers)", m.name, m.layers.len()),
                )
            })
            .collect::<Vec<_>>()
    };
    let dataset_choices = move || {
        datasets
            .get()
            .and_then(|d| d.ok())
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                (
                    d.dataset_id,
                    format!(
                        "{} ({} images{})",
                        d.name,
                        d.image_count,
                        if d.has_annotations { ", labelled" } else { "" }
                    ),
                )
            })
            .collect::<Vec<_>>()
    };
    let boundary_is = move |kind: &'static str| move || form.with(|f| f.boundary == kind);
    view! {
        <h1>{match from {
            Some(id) => format!("New run like run #{id}"),
            None => "New run".to_owned(),
        }}</h1>
        <form class="run-form card" id="new-run" on:submit=submit novalidate>
            <fieldset>
                <legend>"What"</legend>
                {text_field(form, "Name", "name", |f| f.name.clone(), |f, v| f.name = v)}
                {move || id_select(form, "Model", "model", model_choices(), false, |f| f.model_id, |f, v| f.model_id = v)}
                {select_field(form, "Profile", "profile", PROFILES, |f| f.profile.clone(), |f, v| f.profile = v)}
                {move || id_select(form, "Calibration images", "calibration", dataset_choices(), false,
                    |f| f.calibration_dataset_id, |f, v| f.calibration_dataset_id = v)}
                {move || id_select(form, "Validation images", "validation", dataset_choices(), true,
                    |f| f.validation_dataset_id, |f, v| f.validation_dataset_id = v)}
                {text_field(form, "Tags", "tags", |f| f.tags.clone(), |f, v| f.tags = v)}
            </fieldset>
            <fieldset>
                <legend>"Calibration"</legend>
                {select_field(form, "Method", "calibration_method", METHODS, |f| f.calibration_method.clone(), |f, v| f.calibration_method = v)}
                {text_field(form, "Percentile (blank: 99.99)", "percentile", |f| f.percentile.clone(), |f, v| f.percentile = v)}
                {text_field(form, "Use at most N images (blank: all)", "calibration_images", |f| f.calibration_images.clone(), |f, v| f.calibration_images = v)}
            </fieldset>
            <fieldset>
                <legend>"Sensitivity and boundary"</legend>
                <label class="check">
                    <input type="checkbox" name="sensitivity" prop:checked=move || form.with(|f| f.sensitivity)
                        on:change=move |ev| form.update(|f| f.sensitivity = event_target_checked(&ev)) />
                    <span>"Measure per-layer sensitivity"</span>
                </label>
                {select_field(form, "Mode", "sensitivity_mode", MODES, |f| f.sensitivity_mode.clone(), |f, v| f.sensitivity_mode = v)}
                {select_field(form, "Metric", "sensitivity_metric", METRICS, |f| f.sensitivity_metric.clone(), |f, v| f.sensitivity_metric = v)}
                {select_field(form, "Boundary", "boundary", BOUNDARIES, |f| f.boundary.clone(), |f, v| f.boundary = v)}
                <Show when=boundary_is("sweep")>
                    {text_field(form, "Sweep: float layer counts", "sweep", |f| f.sweep.clone(), |f, v| f.sweep = v)}
                </Show>
                <Show when=boundary_is("keep_float")>
                    {text_field(form, "Layers kept in float", "keep_float", |f| f.keep_float.clone(), |f, v| f.keep_float = v)}
                </Show>
                <Show when=boundary_is("max_drop")>
                    {text_field(form, "Max accuracy drop (% of float)", "max_drop", |f| f.max_drop.clone(), |f, v| f.max_drop = v)}
                </Show>
            </fieldset>
            <fieldset>
                <legend>"Export and measure"</legend>
                {select_field(form, "Target", "target", TARGETS, |f| f.target.clone(), |f, v| f.target = v)}
                {text_field(form, "Export batch sizes", "export_batch_sizes", |f| f.export_batch_sizes.clone(), |f, v| f.export_batch_sizes = v)}
                {text_field(form, "Benchmark batch sizes", "bench_batch_sizes", |f| f.bench_batch_sizes.clone(), |f, v| f.bench_batch_sizes = v)}
                {text_field(form, "Warm-up runs", "warmup_runs", |f| f.warmup_runs.clone(), |f, v| f.warmup_runs = v)}
                {text_field(form, "Timed runs", "timed_runs", |f| f.timed_runs.clone(), |f, v| f.timed_runs = v)}
                {select_field(form, "Provider", "provider", PROVIDERS, |f| f.provider.clone(), |f, v| f.provider = v)}
                <label class="check">
                    <input type="checkbox" name="build_engine" prop:checked=move || form.with(|f| f.build_engine)
                        on:change=move |ev| form.update(|f| f.build_engine = event_target_checked(&ev)) />
                    <span>"Build a TensorRT engine per point (needs a TensorRT worker)"</span>
                </label>
            </fieldset>
            <Show when=move || !problems.with(Vec::is_empty)>
                <div class="error problems" role="alert">
                    <p>"Please fix these before starting the run:"</p>
                    <ul>{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                </div>
            </Show>
            <Notice message=notice />
            <button type="submit" class="primary" disabled=move || busy.get()>"Start run"</button>
        </form>
    }
}
