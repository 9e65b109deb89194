//! What a user expects to see, given time.

use std::future::Future;
use std::time::{Duration, Instant};

use fantoccini::Client;

use crate::finds::count;

/// Polls `probe` every 250 ms until it returns `Some`, or panics after `limit` saying `what`.
pub(crate) async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until `css` matches exactly `expected` elements.
pub(crate) async fn count_becomes(client: &Client, css: &str, expected: usize) {
    eventually(
        Duration::from_secs(20),
        &format!("{expected} of `{css}`"),
        || async { (count(client, css).await == expected).then_some(()) },
    )
    .await;
}

/// Waits until some element `css` shows text containing `needle`; returns that text.
pub(crate) async fn text_shows(client: &Client, css: &str, needle: &str) -> String {
    eventually(
        Duration::from_secs(20),
        &format!("`{css}` to say `{needle}`"),
        || async {
            let elements = client.find_all(fantoccini::Locator::Css(css)).await.ok()?;
            for element in elements {
                let text = element.text().await.ok()?;
                if text.contains(needle) {
                    return Some(text);
                }
            }
            None
        },
    )
    .await
}
