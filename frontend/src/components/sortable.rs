//! Table headers that sort their table: click a column once for ascending, again for
//! descending.

use leptos::prelude::*;

use crate::table_sort::{SortKey, sorted_order};

/// The sorted column and whether descending; `None` keeps the rows' own order.
pub(crate) type SortState = RwSignal<Option<(usize, bool)>>;

/// A `<thead>` whose headers sort by their column.
#[component]
pub(crate) fn SortHeader(columns: Vec<String>, sort: SortState) -> impl IntoView {
    let cells = columns
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let state = move || sort.get().filter(|(c, _)| *c == i).map(|(_, d)| d);
            let toggle = move |_| {
                sort.update(|s| {
                    *s = match *s {
                        Some((c, false)) if c == i => Some((i, true)),
                        _ => Some((i, false)),
                    }
                })
            };
            view! {
                <th aria-sort=move || match state() {
                    Some(true) => "descending",
                    Some(false) => "ascending",
                    None => "none",
                }>
                    <button type="button" class="sort" on:click=toggle>
                        {name}
                        {move || match state() {
                            Some(true) => " ▼",
                            Some(false) => " ▲",
                            None => "",
                        }}
                    </button>
                </th>
            }
        })
        .collect_view();
    view! { <thead><tr>{cells}</tr></thead> }
}

/// The order of rows whose sort keys (one list per row, one key per column) are `keys`.
pub(crate) fn row_order(keys: &[Vec<SortKey>], sort: Option<(usize, bool)>) -> Vec<usize> {
    match sort {
        Some((column, descending)) => {
            let column: Vec<SortKey> = keys
                .iter()
                .map(|row| row.get(column).cloned().unwrap_or(SortKey::Number(None)))
                .collect();
            sorted_order(&column, descending)
        }
        None => (0..keys.len()).collect(),
    }
}
