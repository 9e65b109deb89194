//! The header: the app's sections and the token.

use leptos::prelude::*;

use crate::api::TokenState;
use crate::route::Route;

/// The navigation bar; the current section is highlighted.
#[component]
pub(crate) fn Nav(route: RwSignal<Route>) -> impl IntoView {
    let tokens = TokenState::from_context();
    let link = move |target: Route, label: &'static str| {
        let active = {
            let target = target.clone();
            move || section(&route.get()) == section(&target)
        };
        view! {
            <a href=target.href() class:active=active>{label}</a>
        }
    };
    view! {
        <header>
            <a class="brand" href="#/runs">"qbound"</a>
            <nav>
                {link(Route::History, "Runs")}
                {link(Route::NewRun, "New run")}
                {link(Route::Models, "Models")}
                {link(Route::Datasets, "Datasets")}
            </nav>
            <button
                class="token-button"
                on:click=move |_| tokens.ask("Paste an API token with the `write` role to upload, start runs and edit them.")
            >
                {move || if tokens.present.get() { "Signed in ✓" } else { "Sign in" }}
            </button>
        </header>
    }
}

fn section(route: &Route) -> u8 {
    match route {
        Route::History | Route::Run(_) | Route::Compare(_) | Route::NotFound(_) => 0,
        Route::NewRun | Route::CloneRun(_) => 1,
        Route::Models | Route::Model(_) => 2,
        Route::Datasets | Route::Dataset(_) => 3,
    }
}
