//! What a user does: open a page, click, type, choose, upload.

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::finds::wait_for;

/// Opens the app at fragment `hash` (`#/runs/new`).
pub(crate) async fn open(client: &Client, base: &str, hash: &str) {
    client.goto(&format!("{base}/{hash}")).await.unwrap();
}

/// Clicks the element `css` (waiting for it).
pub(crate) async fn click(client: &Client, css: &str) {
    wait_for(client, css).await.click().await.unwrap();
}

/// Replaces the text of the field `css` by typing `text` (select all, then type).
pub(crate) async fn type_into(client: &Client, css: &str, text: &str) {
    let field = wait_for(client, css).await;
    field.click().await.unwrap();
    // Ctrl+A (with the sticky modifier released by NULL), then the new text.
    field.send_keys("\u{E009}a\u{E000}").await.unwrap();
    field.send_keys("\u{E003}").await.unwrap();
    field.send_keys(text).await.unwrap();
    // Leave the field so `change` fires too.
    field.send_keys("\u{E004}").await.unwrap();
}

/// Chooses the option with `value` in the select `css`.
pub(crate) async fn choose(client: &Client, css: &str, value: &str) {
    wait_for(client, css)
        .await
        .select_by_value(value)
        .await
        .unwrap();
}

/// Sets a checkbox to `on`.
pub(crate) async fn check(client: &Client, css: &str, on: bool) {
    let checkbox = wait_for(client, css).await;
    if checkbox.is_selected().await.unwrap() != on {
        checkbox.click().await.unwrap();
    }
}

/// Picks `file` in the file input `css`.
pub(crate) async fn upload(client: &Client, css: &str, file: &Path) {
    let input = client.find(Locator::Css(css)).await.unwrap();
    input.send_keys(file.to_str().unwrap()).await.unwrap();
}

/// Waits a little for the UI to settle.
pub(crate) async fn pause(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
