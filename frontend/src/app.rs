//! The app shell: navigation, the page for the current URL fragment, the token prompt.

use leptos::prelude::*;

use crate::api::TokenState;
use crate::components::{Nav, TokenPrompt};
use crate::pages;
use crate::route::Route;

fn current_route() -> Route {
    Route::parse(&window().location().hash().unwrap_or_default())
}

/// The whole UI.
#[component]
pub(crate) fn App() -> impl IntoView {
    provide_context(TokenState::new());
    let route = RwSignal::new(current_route());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        route.set(current_route());
    });
    on_cleanup(move || listener.remove());
    view! {
        <Nav route=route />
        <main>{move || page(route.get())}</main>
        <TokenPrompt />
    }
}

fn page(route: Route) -> AnyView {
    match route {
        Route::History => view! { <pages::HistoryPage /> }.into_any(),
        Route::Models => view! { <pages::ModelsPage /> }.into_any(),
        Route::Model(id) => view! { <pages::ModelPage id=id /> }.into_any(),
        Route::Datasets => view! { <pages::DatasetsPage /> }.into_any(),
        Route::Dataset(id) => view! { <pages::DatasetPage id=id /> }.into_any(),
        Route::NewRun => view! { <pages::NewRunPage /> }.into_any(),
        Route::CloneRun(id) => view! { <pages::NewRunPage from=id /> }.into_any(),
        Route::Run(id) => view! { <pages::RunPage id=id /> }.into_any(),
        Route::Compare(ids) => view! { <pages::ComparePage ids=ids /> }.into_any(),
        Route::NotFound(path) => view! {
            <section class="card">
                <h1>"Page not found"</h1>
                <p>"There is no page at " <code>{path}</code> ". "
                    <a href=Route::History.href()>"Go to the run history"</a> "."</p>
            </section>
        }
        .into_any(),
    }
}

/// Goes to `route` (changes the URL fragment; the hashchange listener renders the page).
pub(crate) fn navigate(route: &Route) {
    let _ = window().location().set_hash(&route.href());
}
