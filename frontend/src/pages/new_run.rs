//! The new-run form: every run setting, sensible defaults, checked before it is sent.

use leptos::prelude::*;
use leptos::task::spawn_local;
use qbound_shared::{DatasetRecord, ModelRecord, RecoveryPass, RunRecord, WorkerRecord};

use crate::api::{TokenState, get_json, post_json};
use crate::app::navigate;
use crate::capabilities::{can_build_engines, fitting_target, runnable};
use crate::components::Notice;
use crate::route::Route;
use crate::run_form::{
    BOUNDARIES, Context, METHODS, METRICS, MODES, PROFILES, PROVIDERS, Problem, RunForm, TARGETS,
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
            {field_error(name)}
        </label>
    }
}

/// A number input holding whole numbers (or decimals with `step` "any") from `min`.
fn number_field(
    form: RwSignal<RunForm>,
    label: &'static str,
    name: &'static str,
    (min, step): (&'static str, &'static str),
    get: GetField,
    set: SetField,
) -> impl IntoView {
    view! {
        <label>
            <span>{label}</span>
            <input type="number" name=name min=min step=step inputmode="decimal"
                prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
            {field_error(name)}
        </label>
    }
}

/// The form's problems, which each field reads to show its own.
#[derive(Clone, Copy)]
struct FormProblems(RwSignal<Vec<Problem>>);

/// The problems with the field `name`, shown under it.
fn field_error(name: &'static str) -> impl IntoView {
    let problems = use_context::<FormProblems>();
    move || {
        let messages: Vec<String> = problems
            .map(|FormProblems(all)| {
                all.with(|all| {
                    all.iter()
                        .filter(|p| p.field == name)
                        .map(|p| p.message.clone())
                        .collect()
                })
            })
            .unwrap_or_default();
        (!messages.is_empty()).then(|| {
            view! { <span class="field-error" role="alert" data-for=name>{messages.join(" ")}</span> }
        })
    }
}

/// A short explanation under the field `name`.
fn help(name: &'static str, text: &'static str) -> impl IntoView {
    view! { <span class="help" data-for=name>{text}</span> }
}

/// One checkbox per accuracy-recovery pass, each with what it does.
fn recovery_checks(form: RwSignal<RunForm>) -> impl IntoView {
    let explain = |pass: RecoveryPass| match pass {
        RecoveryPass::Cle => {
            "Cross-layer equalization: Conv pairs rescaled so both weights span the same range"
        }
        RecoveryPass::Ranges => {
            "Per-tensor ranges: each activation's INT8 bounds chosen for what it feeds"
        }
        RecoveryPass::Adaround => {
            "Adaptive rounding: each INT8 weight rounds up or down where that keeps its layer's output closest"
        }
        RecoveryPass::Bias => {
            "Bias correction: the mean shift INT8 causes in each layer, folded back into its bias"
        }
    };
    let checks = RecoveryPass::ALL
        .iter()
        .map(|&pass| {
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("recovery-{pass}")
                        prop:checked=move || form.with(|f| f.recovery.contains(&pass))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            form.update(|f| {
                                f.recovery.retain(|p| *p != pass);
                                if on {
                                    f.recovery.push(pass);
                                }
                            })
                        } />
                    <span>{explain(pass)}</span>
                </label>
            }
        })
        .collect_view();
    view! { <div class="field" role="group" aria-label="Accuracy recovery">{checks}</div> }
}

fn select_field(
    form: RwSignal<RunForm>,
    label: &'static str,
    name: &'static str,
    options: Vec<&'static str>,
    get: GetField,
    set: SetField,
) -> impl IntoView {
    let options = options
        .into_iter()
        .map(|o| view! { <option value=o selected=move || form.with(get) == o>{o}</option> })
        .collect_view();
    view! {
        <label>
            <span>{label}</span>
            <select name=name prop:value=move || form.with(get)
                on:change=move |ev| form.update(|f| set(f, event_target_value(&ev)))>
                {options}
            </select>
            {field_error(name)}
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
            {field_error(name)}
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
    let problems = RwSignal::new(Vec::<Problem>::new());
    provide_context(FormProblems(problems));
    let notice = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let models = LocalResource::new(|| get_json::<Vec<ModelRecord>>("/api/models"));
    let datasets = LocalResource::new(|| get_json::<Vec<DatasetRecord>>("/api/datasets"));
    let workers = LocalResource::new(|| get_json::<Vec<WorkerRecord>>("/api/workers"));
    let worker_list = move || workers.get().and_then(|w| w.ok()).unwrap_or_default();
    // Defaults that fit the workers: their target, a provider they run, no engines without
    // TensorRT. A cloned run keeps its own settings.
    Effect::new(move || {
        let workers = worker_list();
        if workers.is_empty() || from.is_some() {
            return;
        }
        form.update(|f| {
            f.target = fitting_target(&workers).to_string();
            if !runnable(PROVIDERS, &workers).contains(&f.provider.as_str()) {
                f.provider = runnable(PROVIDERS, &workers)
                    .first()
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default();
            }
            f.build_engine &= can_build_engines(&workers);
        });
    });
    let workers_note = move || {
        let workers = worker_list();
        if workers.is_empty() {
            return "No worker has registered yet: jobs wait until one does.".to_owned();
        }
        let names: Vec<String> = workers
            .iter()
            .map(|w| {
                let capabilities: Vec<&str> = w.capabilities.iter().map(|c| c.as_str()).collect();
                format!("{} ({})", w.name, capabilities.join(", "))
            })
            .collect();
        format!(
            "Workers: {}. Only what they can run is offered.",
            names.join("; ")
        )
    };
    let engines_possible = move || {
        let workers = worker_list();
        workers.is_empty() || can_build_engines(&workers)
    };
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
                {select_field(form, "Profile", "profile", PROFILES.to_vec(), |f| f.profile.clone(), |f, v| f.profile = v)}
                {move || id_select(form, "Calibration images", "calibration", dataset_choices(), false,
                    |f| f.calibration_dataset_id, |f, v| f.calibration_dataset_id = v)}
                {move || id_select(form, "Validation images", "validation", dataset_choices(), true,
                    |f| f.validation_dataset_id, |f, v| f.validation_dataset_id = v)}
                {text_field(form, "Tags", "tags", |f| f.tags.clone(), |f, v| f.tags = v)}
            </fieldset>
            <fieldset>
                <legend>"Calibration"</legend>
                {select_field(form, "Method", "calibration_method", METHODS.to_vec(), |f| f.calibration_method.clone(), |f, v| f.calibration_method = v)}
                {number_field(form, "Percentile (blank: 99.99)", "percentile", ("50", "any"), |f| f.percentile.clone(), |f, v| f.percentile = v)}
                {number_field(form, "Use at most N images (blank: all)", "calibration_images", ("1", "1"), |f| f.calibration_images.clone(), |f, v| f.calibration_images = v)}
                {recovery_checks(form)}
            </fieldset>
            <fieldset>
                <legend>"Sensitivity and boundary"</legend>
                <label class="check">
                    <input type="checkbox" name="sensitivity" prop:checked=move || form.with(|f| f.sensitivity)
                        on:change=move |ev| form.update(|f| f.sensitivity = event_target_checked(&ev)) />
                    <span>"Measure per-layer sensitivity"</span>
                </label>
                <div class="field">
                    {select_field(form, "Mode", "sensitivity_mode", MODES.to_vec(), |f| f.sensitivity_mode.clone(), |f, v| f.sensitivity_mode = v)}
                    {help("sensitivity_mode", "one-on: quantize one layer alone and measure what it costs (YOLOv6's method). one-off: quantize all but that layer and measure what keeping it float recovers; closer to the shipped model, as slow.")}
                </div>
                <div class="field">
                    {select_field(form, "Metric", "sensitivity_metric", METRICS.to_vec(), |f| f.sensitivity_metric.clone(), |f, v| f.sensitivity_metric = v)}
                    {help("sensitivity_metric", "proxy: how much the raw head outputs change, on a few images; fast, no labels. agreement: mAP against the float model's own detections; no labels needed. map: COCO mAP on labelled validation images.")}
                </div>
                <div class="field">
                    {select_field(form, "Boundary", "boundary", BOUNDARIES.to_vec(), |f| f.boundary.clone(), |f, v| f.boundary = v)}
                    {help("boundary", "sweep: one model per count of float layers, plus full INT8, to see the trade-off. keep_float: the N most sensitive layers stay float. max_drop: the fewest float layers within an accuracy drop. all: every layer INT8.")}
                </div>
                <Show when=boundary_is("sweep")>
                    <div class="field">
                        {text_field(form, "Sweep: float layer counts", "sweep", |f| f.sweep.clone(), |f, v| f.sweep = v)}
                        {help("sweep", "Comma-separated counts of float layers, such as 1, 2, 4; full INT8 is always measured.")}
                    </div>
                </Show>
                <Show when=boundary_is("keep_float")>
                    {number_field(form, "Layers kept in float", "keep_float", ("0", "1"), |f| f.keep_float.clone(), |f, v| f.keep_float = v)}
                </Show>
                <Show when=boundary_is("max_drop")>
                    {number_field(form, "Max accuracy drop (% of float)", "max_drop", ("0", "any"), |f| f.max_drop.clone(), |f, v| f.max_drop = v)}
                </Show>
            </fieldset>
            <fieldset>
                <legend>"Export and measure"</legend>
                <div class="field">
                    {select_field(form, "Target", "target", TARGETS.to_vec(), |f| f.target.clone(), |f, v| f.target = v)}
                    {help("target", "ort-cpu: INT8 that ONNX Runtime's CPU provider runs fast. tensorrt: Q/DQ placed for TensorRT; on a CPU it runs slower than FP32.")}
                </div>
                {text_field(form, "Export batch sizes", "export_batch_sizes", |f| f.export_batch_sizes.clone(), |f, v| f.export_batch_sizes = v)}
                {text_field(form, "Benchmark batch sizes", "bench_batch_sizes", |f| f.bench_batch_sizes.clone(), |f, v| f.bench_batch_sizes = v)}
                {number_field(form, "Warm-up runs", "warmup_runs", ("0", "1"), |f| f.warmup_runs.clone(), |f, v| f.warmup_runs = v)}
                {number_field(form, "Timed runs", "timed_runs", ("1", "1"), |f| f.timed_runs.clone(), |f, v| f.timed_runs = v)}
                <div class="field">
                    {move || select_field(form, "Provider", "provider", runnable(PROVIDERS, &worker_list()), |f| f.provider.clone(), |f, v| f.provider = v)}
                    <span class="help" id="workers-note">{workers_note}</span>
                </div>
                <label class="check">
                    <input type="checkbox" name="build_engine" prop:checked=move || form.with(|f| f.build_engine)
                        prop:disabled=move || !engines_possible()
                        on:change=move |ev| form.update(|f| f.build_engine = event_target_checked(&ev)) />
                    <span>"Build a TensorRT engine per point (needs a TensorRT worker)"</span>
                </label>
            </fieldset>
            <Show when=move || !problems.with(Vec::is_empty)>
                <div class="error problems" role="alert">
                    <p>{move || format!("Please fix the {} marked above before starting the run.",
                        if problems.with(Vec::len) == 1 { "field" } else { "fields" })}</p>
                </div>
            </Show>
            <Notice message=notice />
            <button type="submit" class="primary" disabled=move || busy.get()>"Start run"</button>
        </form>
    }
}
