//! A chart legend: a swatch and a name per entry, drawn in the chart.

use leptos::prelude::*;

use super::axes::{FONT, px};

/// How an entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A filled box (bars).
    Box(&'static str),
    /// A dot (points).
    Dot(&'static str),
    /// A square marker.
    Square(&'static str),
    /// A line, dashed or not.
    Line(&'static str, bool),
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) swatch: Swatch,
    pub(crate) name: String,
}

/// Vertical distance between rows of entries.
pub(crate) const ROW_HEIGHT: f64 = 16.0;

fn entry_width(entry: &Entry) -> f64 {
    34.0 + entry.name.len() as f64 * 6.6
}

/// How many rows `entries` take from `x` when wrapped before `max_x`.
pub(crate) fn legend_rows(x: f64, max_x: f64, entries: &[Entry]) -> usize {
    let mut rows = 1;
    let mut offset = x;
    for entry in entries {
        if offset > x && offset + entry_width(entry) > max_x {
            rows += 1;
            offset = x;
        }
        offset += entry_width(entry);
    }
    rows
}

/// The entries in rows starting at (`x`, `y`), wrapped before `max_x`.
pub(crate) fn legend(x: f64, y: f64, max_x: f64, entries: Vec<Entry>) -> impl IntoView {
    let mut offset = x;
    let mut y = y - ROW_HEIGHT;
    let mut first = true;
    let items = entries
        .into_iter()
        .map(|entry| {
            if first || offset + entry_width(&entry) > max_x && offset > x {
                first = false;
                offset = x;
                y += ROW_HEIGHT;
            }
            let at = offset;
            offset += entry_width(&entry);
            let swatch = match entry.swatch {
                Swatch::Box(color) => view! {
                    <rect x=px(at) y=px(y - 9.0) width="14" height="10" fill=color />
                }
                .into_any(),
                Swatch::Dot(color) => view! {
                    <circle cx=px(at + 7.0) cy=px(y - 4.0) r="5" fill=color />
                }
                .into_any(),
                Swatch::Square(color) => view! {
                    <rect x=px(at + 2.0) y=px(y - 9.0) width="10" height="10" fill=color />
                }
                .into_any(),
                Swatch::Line(color, dashed) => view! {
                    <line x1=px(at) x2=px(at + 16.0) y1=px(y - 4.0) y2=px(y - 4.0) stroke=color
                        stroke-width="2" stroke-dasharray=if dashed { "5 3" } else { "none" } />
                }
                .into_any(),
            };
            view! {
                <g class="legend-entry">
                    {swatch}
                    <text x=px(at + 20.0) y=px(y) font-size="11" font-family=FONT fill="#222">{entry.name}</text>
                </g>
            }
        })
        .collect_view();
    view! { <g class="legend">{items}</g> }
}
