//! What a user looks for on the page.

use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

/// The element `css`, waiting up to 20 s for it to appear.
pub(crate) async fn wait_for(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` did not appear: {e}"))
}

/// How many elements match `css` now.
pub(crate) async fn count(client: &Client, css: &str) -> usize {
    client.find_all(Locator::Css(css)).await.unwrap().len()
}

/// The visible text of `css` (waiting for it).
pub(crate) async fn text(client: &Client, css: &str) -> String {
    wait_for(client, css).await.text().await.unwrap()
}

/// Attribute `name` of the first `css`, if the element and the attribute exist.
pub(crate) async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    let element = client.find(Locator::Css(css)).await.ok()?;
    element.attr(name).await.ok().flatten()
}
