//! Lists a page at a time: the items as JSON, the next page's cursor in a header.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use crate::db::Page;
use crate::error::AppJson;

/// The response header naming the next page of a list.
const NEXT_CURSOR: &str = "x-next-cursor";

/// A page as a JSON list, with the next page's cursor in `x-next-cursor`.
pub(crate) fn paged<T: serde::Serialize>(page: Page<T>) -> Response {
    let mut response = AppJson(page.items).into_response();
    if let Some(cursor) = page.next_cursor {
        response
            .headers_mut()
            .insert(NEXT_CURSOR, HeaderValue::from(cursor));
    }
    response
}
