//! Charts drawn as SVG by the app: axes with ticks and labels, a legend, sensitivity bars,
//! the accuracy-throughput scatter with its frontier, the per-tensor error lines, and SVG/PNG
//! export.
//!
//! `scale`, `frontier`, `labels` and `sqnr` are pure geometry; the views build only for the
//! browser.

pub mod frontier;
pub mod labels;
pub mod scale;
pub mod sqnr;

#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod analysis;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod axes;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod export;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod legend;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod sensitivity;
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)] // `#[component]` emits `pub` items whatever the function says
mod tradeoff;

#[cfg(target_arch = "wasm32")]
pub(crate) use analysis::{AnalysisChart, read_by_float};
#[cfg(target_arch = "wasm32")]
pub(crate) use export::{ExportButtons, save_text};
#[cfg(target_arch = "wasm32")]
pub(crate) use sensitivity::SensitivityChart;
#[cfg(target_arch = "wasm32")]
pub(crate) use tradeoff::{TradeoffChart, TradeoffSeries, series_of};
