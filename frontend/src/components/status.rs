//! A run or job status as a coloured badge.

use leptos::prelude::*;

/// `queued`, `running`, `succeeded`, `failed` or `cancelled`, coloured.
#[component]
pub(crate) fn StatusBadge(#[prop(into)] status: Signal<String>) -> impl IntoView {
    view! {
        <span class=move || format!("badge status-{}", status.get())>{move || status.get()}</span>
    }
}
