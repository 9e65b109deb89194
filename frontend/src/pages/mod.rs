//! One module per page.

mod compare;
mod datasets;
mod history;
mod models;
mod new_run;
mod run;
mod runs_using;

pub(crate) use compare::ComparePage;
pub(crate) use datasets::{DatasetPage, DatasetsPage};
pub(crate) use history::HistoryPage;
pub(crate) use models::{ModelPage, ModelsPage};
pub(crate) use new_run::NewRunPage;
pub(crate) use run::RunPage;

use leptos::prelude::*;

/// What a page shows while its data loads.
fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}
