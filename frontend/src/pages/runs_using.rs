//! The runs that use a model or a dataset, linked, on its page.

use leptos::prelude::*;
use qbound_shared::RunRecord;

use crate::api::get_json;
use crate::components::StatusBadge;
use crate::route::Route;

/// What a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uses {
    /// The model with this id.
    Model(i64),
    /// The dataset with this id, for calibration or validation.
    Dataset(i64),
}

impl Uses {
    fn query(self) -> String {
        match self {
            Self::Model(id) => format!("/api/runs?model_id={id}&limit=500"),
            Self::Dataset(_) => "/api/runs?limit=500".into(),
        }
    }

    fn matches(self, run: &RunRecord) -> bool {
        match self {
            Self::Model(id) => run.model_id == id,
            Self::Dataset(id) => {
                run.calibration_dataset_id == id || run.validation_dataset_id == Some(id)
            }
        }
    }
}

/// A card listing the runs that use `what`.
#[component]
pub(crate) fn RunsUsing(what: Uses) -> impl IntoView {
    let runs = LocalResource::new(move || get_json::<Vec<RunRecord>>(what.query()));
    let list = move || {
        let runs: Vec<RunRecord> = runs
            .get()
            .and_then(|r| r.ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|r| what.matches(r))
            .collect();
        if runs.is_empty() {
            return view! { <p class="empty">"No run uses it yet."</p> }.into_any();
        }
        let items = runs
            .into_iter()
            .map(|r| {
                view! {
                    <li data-run-id=r.run_id.to_string()>
                        <a href=Route::Run(r.run_id).href()>{format!("#{} {}", r.run_id, r.name)}</a>
                        " " <StatusBadge status=r.status.clone() />
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="runs-using">{items}</ul> }.into_any()
    };
    view! {
        <section class="card">
            <h2>"Runs using it"</h2>
            {list}
        </section>
    }
}
