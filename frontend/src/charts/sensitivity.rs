//! Per-layer sensitivity as bars in ranking order (most sensitive first), coloured by
//! whether the layer stays in float or is quantized, with the boundary marked.

use leptos::prelude::*;
use qbound_shared::LayerResult;

use super::axes::{Axis, FONT, Frame, px, y_axis};
use super::legend::{Entry, Swatch, legend};

/// Colour of layers kept in float.
pub(crate) const FLOAT_COLOR: &str = "#e8710a";
/// Colour of quantized layers.
pub(crate) const INT8_COLOR: &str = "#1a73e8";

/// The layers that have a measured sensitivity, most sensitive first.
pub(crate) fn ranked(layers: &[LayerResult]) -> Vec<LayerResult> {
    let mut ranked: Vec<LayerResult> = layers
        .iter()
        .filter(|l| l.sensitivity.is_some())
        .cloned()
        .collect();
    ranked.sort_by(|a, b| match (a.sensitivity_rank, b.sensitivity_rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => b
            .sensitivity
            .unwrap_or_default()
            .total_cmp(&a.sensitivity.unwrap_or_default()),
    });
    ranked
}

/// The bar chart; `float_count` layers from the left are kept in float.
#[component]
pub(crate) fn SensitivityChart(
    id: &'static str,
    layers: Vec<LayerResult>,
    #[prop(into)] float_count: Signal<usize>,
    /// The y axis title, with the sensitivity's unit.
    y_title: String,
) -> impl IntoView {
    let ranked = ranked(&layers);
    if ranked.is_empty() {
        return view! {
            <p class="empty">"No sensitivity measured yet: the chart appears when the sensitivity job has finished."</p>
        }
        .into_any();
    }
    let n = ranked.len();
    let slot = 14.0f64.max(640.0 / n as f64).min(40.0);
    let name_room = 80.0;
    let frame = Frame {
        width: 70.0 + slot * n as f64 + 20.0,
        height: 300.0 + name_room,
        left: 70.0,
        right: 20.0,
        top: 40.0,
        bottom: 40.0 + name_room,
    };
    let values: Vec<f64> = ranked
        .iter()
        .map(|l| l.sensitivity.unwrap_or_default())
        .collect();
    let lo = values.iter().copied().fold(0.0f64, f64::min);
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let y = Axis::new(lo, hi, frame.y_span(), 5);
    let zero = y.scale.map(0.0);
    let baseline = frame.height - frame.bottom;
    let bars = ranked
        .into_iter()
        .enumerate()
        .map(|(i, layer)| {
            let value = layer.sensitivity.unwrap_or_default();
            let x = frame.left + i as f64 * slot;
            let top = y.scale.map(value).min(zero);
            let height = (y.scale.map(value) - zero).abs().max(1.0);
            let is_float = move || i < float_count.get();
            let name = layer.name.clone();
            let label_x = x + slot / 2.0;
            let label_y = baseline + 8.0;
            let short: String = if name.chars().count() > 18 {
                format!("…{}", name.chars().rev().take(17).collect::<Vec<_>>().into_iter().rev().collect::<String>())
            } else {
                name.clone()
            };
            view! {
                <rect class="bar" data-layer=name.clone()
                    data-kind=move || if is_float() { "float" } else { "int8" }
                    x=px(x + 1.0) y=px(top) width=px((slot - 2.0).max(1.0)) height=px(height)
                    fill=move || if is_float() { FLOAT_COLOR } else { INT8_COLOR }>
                    <title>{format!("#{} {} ({}): {value:.4}", i + 1, name, layer.op)}</title>
                </rect>
                <text x=px(label_x) y=px(label_y) font-size="9" font-family=FONT fill="#444" text-anchor="end"
                    transform=format!("rotate(-60 {} {})", px(label_x), px(label_y))>{short}</text>
            }
        })
        .collect_view();
    let boundary_x = move || frame.left + float_count.get().min(n) as f64 * slot;
    let near_right = move || boundary_x() > frame.width - frame.right - 140.0;
    let entries = vec![
        Entry {
            swatch: Swatch::Box(FLOAT_COLOR),
            name: "kept in float".into(),
        },
        Entry {
            swatch: Swatch::Box(INT8_COLOR),
            name: "quantized (INT8)".into(),
        },
        Entry {
            swatch: Swatch::Line("#c5221f", true),
            name: "boundary".into(),
        },
    ];
    view! {
        <svg id=id class="chart sensitivity-chart" xmlns="http://www.w3.org/2000/svg"
            width=px(frame.width) height=px(frame.height)
            viewBox=format!("0 0 {} {}", px(frame.width), px(frame.height))>
            <rect width="100%" height="100%" fill="white" />
            {y_axis(frame, &y, &y_title)}
            {bars}
            <line x1=px(frame.left) x2=px(frame.width - frame.right) y1=px(zero) y2=px(zero) stroke="#555" />
            <text x=px(frame.left + (frame.width - frame.left - frame.right) / 2.0) y=px(frame.height - 4.0)
                text-anchor="middle" font-size="12" font-family=FONT fill="#222">
                "layers, most sensitive first"
            </text>
            <g class="boundary">
                <line x1=move || px(boundary_x()) x2=move || px(boundary_x()) y1=px(frame.top - 6.0) y2=px(baseline)
                    stroke="#c5221f" stroke-width="2" stroke-dasharray="6 4" />
                // Near the right edge the label goes left of the line, so it is not cut.
                <text x=move || px(if near_right() { boundary_x() - 4.0 } else { boundary_x() + 4.0 })
                    text-anchor=move || if near_right() { "end" } else { "start" }
                    y=px(frame.top + 6.0) font-size="11" font-family=FONT fill="#c5221f">
                    {move || format!("boundary: {} in float", float_count.get().min(n))}
                </text>
            </g>
            {legend(frame.left, 18.0, f64::INFINITY, entries)}
        </svg>
    }
    .into_any()
}
