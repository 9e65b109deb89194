//! A progress bar with its percentage written on it.

use leptos::prelude::*;

/// A bar filled to `value` (0 to 1).
#[component]
pub(crate) fn ProgressBar(#[prop(into)] value: Signal<f64>) -> impl IntoView {
    let percent = move || (value.get().clamp(0.0, 1.0) * 100.0).round();
    view! {
        <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=move || percent().to_string()>
            <div class="progress-fill" style:width=move || format!("{}%", percent())></div>
            <span>{move || format!("{}%", percent())}</span>
        </div>
    }
}
