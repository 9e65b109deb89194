//! Errors shown in plain words: the fallback of every `ErrorBoundary`, and a notice for
//! the outcome of an action.

use leptos::prelude::*;

/// The errors an `ErrorBoundary` caught, as a readable list.
#[component]
pub(crate) fn ErrorList(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}

/// The outcome of an action: an error in red or a confirmation, nothing when empty.
#[component]
pub(crate) fn Notice(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || {
        message.get().map(|m| match m {
            Ok(text) => view! { <div class="ok" role="status">{text}</div> }.into_any(),
            Err(text) => view! { <div class="error" role="alert">{text}</div> }.into_any(),
        })
    }
}
