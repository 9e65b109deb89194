//! The frame of a chart and its axes: ticks, tick labels, grid lines and axis titles.

use leptos::prelude::*;

use super::scale::{LinearScale, nice_ticks, tick_label};

/// The text style every chart uses (inline, so exported SVG looks the same).
pub(crate) const FONT: &str = "system-ui, sans-serif";

/// A number as an SVG coordinate.
pub(crate) fn px(value: f64) -> String {
    format!("{value:.1}")
}

/// The drawing area: the whole size and the margins around the plot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) left: f64,
    pub(crate) right: f64,
    pub(crate) top: f64,
    pub(crate) bottom: f64,
}

impl Frame {
    /// Pixel span of the x axis.
    pub(crate) fn x_span(&self) -> (f64, f64) {
        (self.left, self.width - self.right)
    }

    /// Pixel span of the y axis, bottom to top.
    pub(crate) fn y_span(&self) -> (f64, f64) {
        (self.height - self.bottom, self.top)
    }
}

/// An axis: its scale, tick values and the step between them.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub(crate) scale: LinearScale,
    pub(crate) ticks: Vec<f64>,
    step: f64,
}

impl Axis {
    /// Round ticks over `[min, max]` mapped onto `span`.
    pub(crate) fn new(min: f64, max: f64, span: (f64, f64), tick_count: usize) -> Self {
        let (ticks, lo, hi) = nice_ticks(min, max, tick_count);
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        Self {
            scale: LinearScale::new(lo, hi, span.0, span.1),
            ticks,
            step,
        }
    }
}

/// The x axis along the bottom: line, ticks, labels and title.
pub(crate) fn x_axis(frame: Frame, axis: &Axis, title: &str) -> impl IntoView + use<> {
    let y = frame.height - frame.bottom;
    let (x0, x1) = frame.x_span();
    let ticks = axis
        .ticks
        .iter()
        .map(|&t| {
            let x = axis.scale.map(t);
            view! {
                <line x1=px(x) x2=px(x) y1=px(y) y2=px(y + 5.0) stroke="#555" />
                <text x=px(x) y=px(y + 18.0) text-anchor="middle" font-size="11" font-family=FONT fill="#333">
                    {tick_label(t, axis.step)}
                </text>
            }
        })
        .collect_view();
    view! {
        <g class="x-axis">
            <line x1=px(x0) x2=px(x1) y1=px(y) y2=px(y) stroke="#555" />
            {ticks}
            <text x=px((x0 + x1) / 2.0) y=px(frame.height - 6.0) text-anchor="middle"
                font-size="12" font-family=FONT fill="#222">{title.to_owned()}</text>
        </g>
    }
}

/// The y axis on the left with horizontal grid lines across the plot.
pub(crate) fn y_axis(frame: Frame, axis: &Axis, title: &str) -> impl IntoView + use<> {
    let (x0, x1) = frame.x_span();
    let (y0, y1) = frame.y_span();
    let ticks = axis
        .ticks
        .iter()
        .map(|&t| {
            let y = axis.scale.map(t);
            view! {
                <line x1=px(x0) x2=px(x1) y1=px(y) y2=px(y) stroke="#e4e4e4" />
                <line x1=px(x0 - 5.0) x2=px(x0) y1=px(y) y2=px(y) stroke="#555" />
                <text x=px(x0 - 8.0) y=px(y + 4.0) text-anchor="end" font-size="11" font-family=FONT fill="#333">
                    {tick_label(t, axis.step)}
                </text>
            }
        })
        .collect_view();
    let mid = (y0 + y1) / 2.0;
    view! {
        <g class="y-axis">
            {ticks}
            <line x1=px(x0) x2=px(x0) y1=px(y0) y2=px(y1) stroke="#555" />
            <text x="14" y=px(mid) text-anchor="middle" font-size="12" font-family=FONT fill="#222"
                transform=format!("rotate(-90 14 {})", px(mid))>{title.to_owned()}</text>
        </g>
    }
}
