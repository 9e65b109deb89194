//! Accuracy versus throughput: every measured point per batch size, the Pareto frontier of
//! each series (dominated points greyed), the float and full-INT8 references, the max-drop
//! line and the recommended point. Labels are placed so that none overlaps another.
//! Clicking a point selects that model.

use leptos::prelude::*;
use qbound_shared::FLOAT_LABEL;

use super::axes::{Axis, FONT, Frame, px, x_axis, y_axis};
use super::frontier::pareto_frontier;
use super::labels::place_labels;
use super::legend::{Entry, ROW_HEIGHT, Swatch, legend, legend_rows};

/// One measured model in a series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartPoint {
    /// The trade-off point's label (`fp32`, `int8`, `int8-keep2`).
    pub(crate) label: String,
    /// Images per second.
    pub(crate) throughput: f64,
    /// Accuracy (by the run's metric).
    pub(crate) accuracy: f64,
}

/// Points measured the same way (one batch size of one run).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TradeoffSeries {
    /// Shown in the legend.
    pub(crate) name: String,
    /// Marker colour.
    pub(crate) color: &'static str,
    /// Square markers instead of dots.
    pub(crate) square: bool,
    /// Batch size, written into the markers' `data-batch`.
    pub(crate) batch: i64,
    /// The points.
    pub(crate) points: Vec<ChartPoint>,
}

const INT8_REF: &str = "int8";
/// Markers of points another point beats on both axes.
const DOMINATED_COLOR: &str = "#bdc1c6";
/// The ring around the recommended point.
const RECOMMENDED_COLOR: &str = "#188038";

fn short_label(label: &str) -> String {
    match label {
        FLOAT_LABEL => "FP32".into(),
        INT8_REF => "INT8".into(),
        other => other.trim_start_matches("int8-").to_owned(),
    }
}

/// The scatter chart.
#[component]
pub(crate) fn TradeoffChart(
    id: &'static str,
    series: Vec<TradeoffSeries>,
    /// The float model's accuracy (a reference line).
    float_accuracy: Option<f64>,
    /// Accepted relative drop below the float accuracy (the max-drop line): 0.02 draws it at
    /// 98% of the float accuracy.
    #[prop(into)]
    max_drop: Signal<Option<f64>>,
    /// The selected point's label.
    selected: RwSignal<Option<String>>,
    /// The recommended point's label, ringed in green.
    #[prop(optional)]
    recommended: Option<String>,
    /// The x axis title.
    x_title: String,
    /// The y axis title (what the accuracy is).
    y_title: String,
) -> impl IntoView {
    let all: Vec<&ChartPoint> = series.iter().flat_map(|s| s.points.iter()).collect();
    if all.is_empty() {
        return view! {
            <p class="empty">"No point has both an accuracy and a throughput yet: the chart appears as evaluation and benchmark jobs finish (accuracy needs validation images)."</p>
        }
        .into_any();
    }
    let entries = legend_entries(&series);
    let (width, left) = (760.0, 70.0);
    let legend_height = legend_rows(left, width - 10.0, &entries) as f64 * ROW_HEIGHT;
    let frame = Frame {
        width,
        height: 420.0 + legend_height,
        left,
        right: 30.0,
        top: 34.0 + legend_height,
        bottom: 50.0,
    };
    let x_lo = all
        .iter()
        .map(|p| p.throughput)
        .fold(f64::INFINITY, f64::min);
    let x_hi = all
        .iter()
        .map(|p| p.throughput)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut y_lo = all.iter().map(|p| p.accuracy).fold(f64::INFINITY, f64::min);
    let mut y_hi = all
        .iter()
        .map(|p| p.accuracy)
        .fold(f64::NEG_INFINITY, f64::max);
    if let Some(f) = float_accuracy {
        y_hi = y_hi.max(f);
        y_lo = y_lo.min(f * (1.0 - max_drop.get_untracked().unwrap_or(0.0)));
    }
    let x_pad = ((x_hi - x_lo) * 0.08).max(x_hi.abs() * 0.02).max(1e-6);
    let y_pad = ((y_hi - y_lo) * 0.08).max(0.1);
    let x = Axis::new((x_lo - x_pad).max(0.0), x_hi + x_pad, frame.x_span(), 6);
    let y = Axis::new(y_lo - y_pad, y_hi + y_pad, frame.y_span(), 5);
    let (x0, x1) = frame.x_span();

    // Each series' frontier, by index into its points: drawn as a line, and it colours the
    // markers (dominated ones grey).
    let fronts: Vec<Vec<usize>> = series
        .iter()
        .map(|s| {
            let pairs: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|p| (p.throughput, p.accuracy))
                .collect();
            pareto_frontier(&pairs)
        })
        .collect();
    let frontiers = series
        .iter()
        .zip(&fronts)
        .map(|(s, front)| {
            let path = front
                .iter()
                .map(|&i| {
                    let p = &s.points[i];
                    format!(
                        "{},{}",
                        px(x.scale.map(p.throughput)),
                        px(y.scale.map(p.accuracy))
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            view! {
                <polyline class="frontier" data-batch=s.batch.to_string() points=path fill="none"
                    stroke=s.color stroke-width="1.5" stroke-opacity="0.7" />
            }
        })
        .collect_view();

    let placed: Vec<(usize, usize)> = series
        .iter()
        .enumerate()
        .flat_map(|(si, s)| (0..s.points.len()).map(move |pi| (si, pi)))
        .collect();
    let centres: Vec<(f64, f64)> = placed
        .iter()
        .map(|&(si, pi)| {
            let p = &series[si].points[pi];
            (x.scale.map(p.throughput), y.scale.map(p.accuracy))
        })
        .collect();
    let widths: Vec<usize> = placed
        .iter()
        .map(|&(si, pi)| short_label(&series[si].points[pi].label).chars().count())
        .collect();
    let spots = place_labels(
        &centres,
        &widths,
        (0.0, frame.top, frame.width, frame.height - frame.bottom),
    );
    let markers = placed
        .iter()
        .zip(centres.iter().zip(&spots))
        .map(|(&(si, pi), (&(cx, cy), spot))| {
            let s = &series[si];
            let p = &s.points[pi];
            let label = p.label.clone();
            let is_selected = {
                let label = label.clone();
                Signal::derive(move || selected.get().as_deref() == Some(label.as_str()))
            };
            let reference = p.label == FLOAT_LABEL || p.label == INT8_REF;
            let on_front = fronts[si].contains(&pi);
            let is_recommended = recommended.as_deref() == Some(p.label.as_str());
            let select = {
                let label = label.clone();
                move |_| selected.set(Some(label.clone()))
            };
            let tip = format!(
                "{} at batch {}: accuracy {:.3}; {x_title} {:.2}{}",
                p.label,
                s.batch,
                p.accuracy,
                p.throughput,
                if on_front { "" } else { " (dominated: another point is as fast and as accurate)" }
            );
            let color = if on_front { s.color } else { DOMINATED_COLOR };
            let stroke = move || if is_selected.get() { "#000" } else { "white" };
            let stroke_width = move || if is_selected.get() { "3" } else { "1" };
            let marker = if s.square {
                view! {
                    <rect x=px(cx - 5.5) y=px(cy - 5.5) width="11" height="11" fill=color
                        stroke=stroke stroke-width=stroke_width />
                }
                .into_any()
            } else {
                view! {
                    <circle cx=px(cx) cy=px(cy) r="6" fill=color stroke=stroke stroke-width=stroke_width />
                }
                .into_any()
            };
            let ring = if is_recommended {
                Some(view! {
                    <circle class="recommended-ring" cx=px(cx) cy=px(cy) r="11" fill="none"
                        stroke=RECOMMENDED_COLOR stroke-width="2.5" />
                })
            } else {
                None
            };
            view! {
                <g class="point" class:dominated=!on_front class:recommended=is_recommended
                    data-label=label.clone() data-batch=s.batch.to_string()
                    data-pareto=on_front.to_string() style="cursor: pointer" on:click=select>
                    <title>{tip}</title>
                    {marker}
                    {reference.then(|| view! {
                        <circle cx=px(cx) cy=px(cy) r="10" fill="none" stroke="#222" stroke-width="1.2" />
                    })}
                    {ring}
                    <text x=px(spot.x) y=px(spot.y) font-size="11" font-family=FONT
                        text-anchor=if spot.end { "end" } else { "start" }
                        fill=if on_front { "#222" } else { "#80868b" }
                        font-weight=if reference || is_recommended { "bold" } else { "normal" }>
                        {short_label(&label)}
                    </text>
                </g>
            }
        })
        .collect_view();

    let float_line = float_accuracy.map(|f| {
        let fy = y.scale.map(f);
        view! {
            <g class="float-reference">
                <line x1=px(x0) x2=px(x1) y1=px(fy) y2=px(fy) stroke="#555" stroke-dasharray="2 3" />
                <text x=px(x1 - 4.0) y=px(fy - 5.0) text-anchor="end" font-size="11" font-family=FONT fill="#555">
                    {format!("FP32 accuracy {f:.3}")}
                </text>
            </g>
        }
    });
    let scale = y.scale;
    let drop_line = move || {
        let (f, d) = (float_accuracy?, max_drop.get()?);
        let lowest = f * (1.0 - d);
        let dy = scale.map(lowest);
        Some(view! {
            <g class="max-drop">
                <line x1=px(x0) x2=px(x1) y1=px(dy) y2=px(dy) stroke="#c5221f" stroke-width="1.5" stroke-dasharray="7 4" />
                <text x=px(x1 - 4.0) y=px(dy + 14.0) text-anchor="end" font-size="11" font-family=FONT fill="#c5221f">
                    {format!("max drop {:.1}% → {lowest:.3}", d * 100.0)}
                </text>
            </g>
        })
    };

    view! {
        <svg id=id class="chart tradeoff-chart" xmlns="http://www.w3.org/2000/svg"
            width=px(frame.width) height=px(frame.height)
            viewBox=format!("0 0 {} {}", px(frame.width), px(frame.height))>
            <rect width="100%" height="100%" fill="white" />
            {y_axis(frame, &y, &y_title)}
            {x_axis(frame, &x, &x_title)}
            {float_line}
            {drop_line}
            {frontiers}
            {markers}
            {legend(frame.left, 20.0, frame.width - 10.0, entries)}
        </svg>
    }
    .into_any()
}

fn legend_entries(series: &[TradeoffSeries]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = series
        .iter()
        .map(|s| Entry {
            swatch: if s.square {
                Swatch::Square(s.color)
            } else {
                Swatch::Dot(s.color)
            },
            name: s.name.clone(),
        })
        .collect();
    entries.extend([
        Entry {
            swatch: Swatch::Line("#555", false),
            name: "Pareto frontier".into(),
        },
        Entry {
            swatch: Swatch::Dot(DOMINATED_COLOR),
            name: "dominated".into(),
        },
        Entry {
            swatch: Swatch::Line("#c5221f", true),
            name: "max drop".into(),
        },
        Entry {
            swatch: Swatch::Line(RECOMMENDED_COLOR, false),
            name: "green ring: recommended".into(),
        },
        Entry {
            swatch: Swatch::Dot("#fff"),
            name: "black ring: FP32 / INT8 references".into(),
        },
    ]);
    entries
}

const COLORS: &[&str] = &[
    "#1a73e8", "#188038", "#a142f4", "#e37400", "#d01884", "#12b5cb",
];

/// One series per batch size of `points` (those with an accuracy and a throughput there; a
/// max-drop result that kept every layer float is the float model, not a point of its own);
/// `prefix` names the run when several are drawn. With `normalise`, throughputs are divided
/// by the float model's at the same batch size (speed-up over FP32), so that runs measured
/// under different loads compare.
pub(crate) fn series_of(
    points: &[qbound_shared::TradeoffPoint],
    batches: &[i64],
    prefix: &str,
    normalise: bool,
) -> Vec<TradeoffSeries> {
    batches
        .iter()
        .enumerate()
        .map(|(i, &batch)| {
            let base = if normalise {
                points
                    .iter()
                    .find(|p| p.label == FLOAT_LABEL)
                    .and_then(|p| p.images_per_second(batch))
                    .filter(|v| *v > 0.0)
            } else {
                Some(1.0)
            };
            TradeoffSeries {
                name: format!("{prefix}batch {batch}"),
                color: COLORS[i % COLORS.len()],
                square: i % 2 == 1,
                batch,
                points: points
                    .iter()
                    .filter(|p| p.label == FLOAT_LABEL || !p.is_float_model())
                    .filter_map(|p| {
                        Some(ChartPoint {
                            label: p.label.clone(),
                            throughput: p.images_per_second(batch)? / base?,
                            accuracy: p.accuracy?,
                        })
                    })
                    .collect(),
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}
