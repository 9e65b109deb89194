//! qbound's web UI: a Leptos client-side app, built to WASM by `scripts/build-frontend.sh`
//! and served at `/` by `qbound serve`.
//!
//! The routing, number formatting, recommendation summaries, noise checks and chart geometry are plain Rust (tested on the host);
//! everything that touches the browser builds only for `wasm32`.

pub mod capabilities;
pub mod charts;
pub mod format;
pub mod noise;
pub mod results_csv;
pub mod route;
pub mod run_form;
pub mod summary;
pub mod table_sort;

#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod api;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod app;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod components;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod pages;

/// Mounts the app on the page's `<body>`.
#[cfg(target_arch = "wasm32")]
pub fn mount() {
    leptos::mount::mount_to_body(app::App);
}
