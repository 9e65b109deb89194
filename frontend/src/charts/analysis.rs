//! Where the INT8 error enters: the local and the cumulative SQNR of every quantized tensor
//! in graph order, and where it was measured the output SQNR of each quantizer alone, as
//! lines; the worst tensors ringed and numbered, and the tensors read by a layer the selected
//! point keeps in float shaded.

use std::collections::HashSet;

use leptos::prelude::*;
use qbound_shared::{ErrorAnalysis, TensorError};

use super::axes::{Axis, FONT, Frame, px, x_axis, y_axis};
use super::labels::place_labels;
use super::legend::{Entry, ROW_HEIGHT, Swatch, legend, legend_rows};
use super::sensitivity::{FLOAT_COLOR, INT8_COLOR};
use super::sqnr::{plotted_db, sqnr_range};

/// Colour of the cumulative line.
const CUMULATIVE_COLOR: &str = "#9334e6";
/// Colour of the output line.
const OUTPUT_COLOR: &str = "#e37400";
/// Colour of the rings around flagged tensors.
const FLAGGED_COLOR: &str = "#c5221f";

/// Whether a layer in `float` reads `tensor`.
pub(crate) fn read_by_float(tensor: &TensorError, float: &HashSet<String>) -> bool {
    tensor.layers.iter().any(|l| float.contains(l))
}

fn tooltip(t: &TensorError) -> String {
    let causes: Vec<&str> = t.causes.iter().map(|c| c.text.as_str()).collect();
    let mut text = format!(
        "#{} {}: local {:.1} dB, cumulative {:.1} dB",
        t.position, t.tensor, t.local_sqnr_db, t.cumulative_sqnr_db
    );
    if let Some(db) = t.output_sqnr_db {
        text.push_str(&format!(", output alone {db:.1} dB"));
    }
    if !causes.is_empty() {
        text.push_str(&format!("; {}", causes.join("; ")));
    }
    text
}

/// The line chart; `float_layers` are the layers the selected point keeps in float.
#[component]
pub(crate) fn AnalysisChart(
    id: &'static str,
    analysis: ErrorAnalysis,
    #[prop(into)] float_layers: Signal<HashSet<String>>,
) -> impl IntoView {
    let tensors = analysis.tensors;
    let n = tensors.len();
    if n == 0 {
        return view! { <p class="empty">"The analysis found no quantized tensor."</p> }.into_any();
    }
    let with_output = analysis.output_images > 0;
    let mut entries = vec![
        Entry {
            swatch: Swatch::Line(INT8_COLOR, false),
            name: "local: this tensor's quantizer alone".into(),
        },
        Entry {
            swatch: Swatch::Line(CUMULATIVE_COLOR, true),
            name: "cumulative: the INT8 model so far".into(),
        },
        Entry {
            swatch: Swatch::Dot(FLAGGED_COLOR),
            name: if with_output {
                "flagged: worst output error"
            } else {
                "flagged: worst local error"
            }
            .into(),
        },
        Entry {
            swatch: Swatch::Box(FLOAT_COLOR),
            name: "read by a layer kept in float".into(),
        },
    ];
    if with_output {
        entries.insert(
            2,
            Entry {
                swatch: Swatch::Line(OUTPUT_COLOR, false),
                name: "output: this quantizer alone, at the outputs".into(),
            },
        );
    }
    let (left, right) = (60.0, 20.0);
    let width = left + (n as f64 * 7.0).clamp(300.0, 1400.0) + right;
    let legend_height = legend_rows(left, width - 10.0, &entries) as f64 * ROW_HEIGHT;
    let frame = Frame {
        width,
        height: 320.0 + legend_height,
        left,
        right,
        top: 30.0 + legend_height,
        bottom: 48.0,
    };
    let x = Axis::new(0.0, (n - 1) as f64, frame.x_span(), 8);
    let (lo, hi) = sqnr_range(
        tensors
            .iter()
            .flat_map(|t| [t.local_sqnr_db, t.cumulative_sqnr_db, t.severity()]),
    );
    let y = Axis::new(lo, hi, frame.y_span(), 5);
    let at =
        |t: &TensorError, db: f64| (x.scale.map(t.position as f64), y.scale.map(plotted_db(db)));
    let slot = x.scale.map(1.0) - x.scale.map(0.0);
    let (top, bottom) = (frame.top, frame.height - frame.bottom);

    let band_tensors: Vec<(f64, TensorError)> = tensors
        .iter()
        .map(|t| (x.scale.map(t.position as f64), t.clone()))
        .collect();
    let band = move || {
        let float = float_layers.get();
        band_tensors
            .iter()
            .filter(|(_, t)| read_by_float(t, &float))
            .map(|(cx, t)| {
                view! {
                    <rect class="float-tensor" data-tensor=t.tensor.clone() x=px(cx - slot / 2.0) y=px(top)
                        width=px(slot.max(2.0)) height=px(bottom - top) fill=FLOAT_COLOR fill-opacity="0.2">
                        <title>{format!("#{} {} is read by a layer kept in float", t.position, t.tensor)}</title>
                    </rect>
                }
            })
            .collect_view()
    };
    let line = |class: &'static str,
                color: &'static str,
                dashed: bool,
                value: fn(&TensorError) -> f64| {
        let points: Vec<String> = tensors
            .iter()
            .map(|t| {
                let (cx, cy) = at(t, value(t));
                format!("{},{}", px(cx), px(cy))
            })
            .collect();
        let dots = tensors
            .iter()
            .map(|t| {
                let (cx, cy) = at(t, value(t));
                view! {
                    <circle class=format!("point {class}") data-position=t.position.to_string()
                        cx=px(cx) cy=px(cy) r="2.5" fill=color>
                        <title>{tooltip(t)}</title>
                    </circle>
                }
            })
            .collect_view();
        view! {
            <polyline class=format!("line {class}") points=points.join(" ") fill="none" stroke=color
                stroke-width="1.5" stroke-dasharray=if dashed { "5 3" } else { "none" } />
            {dots}
        }
    };
    let local = line("local", INT8_COLOR, false, |t| t.local_sqnr_db);
    let cumulative = line("cumulative", CUMULATIVE_COLOR, true, |t| {
        t.cumulative_sqnr_db
    });
    let output = with_output.then(|| line("output", OUTPUT_COLOR, false, TensorError::severity));

    let flagged: Vec<&TensorError> = tensors.iter().filter(|t| t.flagged).collect();
    let markers: Vec<(f64, f64)> = flagged.iter().map(|t| at(t, t.severity())).collect();
    let names: Vec<String> = flagged.iter().map(|t| format!("#{}", t.position)).collect();
    let chars: Vec<usize> = names.iter().map(|s| s.chars().count()).collect();
    let spots = place_labels(
        &markers,
        &chars,
        (frame.left, frame.top, frame.width - frame.right, bottom),
    );
    let rings = flagged
        .iter()
        .zip(&markers)
        .zip(spots.iter().zip(names))
        .map(|((t, &(cx, cy)), (spot, name))| {
            view! {
                <g class="flagged" data-tensor=t.tensor.clone()>
                    <title>{tooltip(t)}</title>
                    <circle cx=px(cx) cy=px(cy) r="6" fill="none" stroke=FLAGGED_COLOR stroke-width="2" />
                    <text x=px(spot.x) y=px(spot.y) text-anchor=if spot.end { "end" } else { "start" }
                        font-size="11" font-family=FONT fill=FLAGGED_COLOR>{name}</text>
                </g>
            }
        })
        .collect_view();

    let worst = flagged
        .iter()
        .min_by(|a, b| a.severity().total_cmp(&b.severity()))
        .map(|t| {
            format!(
                "; the worst is #{} {} at {:.1} dB",
                t.position,
                t.tensor,
                t.severity()
            )
        })
        .unwrap_or_default();
    let label = format!(
        "Where the INT8 error enters: local, cumulative{} SQNR in dB of {n} quantized tensors in graph order{worst}",
        if with_output { " and output" } else { "" }
    );
    view! {
        <svg id=id class="chart analysis-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label=label
            width=px(frame.width) height=px(frame.height)
            viewBox=format!("0 0 {} {}", px(frame.width), px(frame.height))>
            <rect width="100%" height="100%" fill="white" />
            <g class="float-band">{band}</g>
            {y_axis(frame, &y, "SQNR (dB), higher is better")}
            {x_axis(frame, &x, "quantized tensors in graph order")}
            {local}
            {cumulative}
            {output}
            {rings}
            {legend(frame.left, 18.0, frame.width - 10.0, entries)}
        </svg>
    }
    .into_any()
}
