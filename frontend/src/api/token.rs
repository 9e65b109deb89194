//! The API token, kept in the browser's local storage, and the prompt's state.

use leptos::prelude::*;

const KEY: &str = "qbound-token";

/// The token saved in this browser, if any.
pub(crate) fn stored_token() -> Option<String> {
    let storage = window().local_storage().ok().flatten()?;
    storage
        .get_item(KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Saves (or with an empty string, forgets) the token.
fn store_token(token: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = if token.is_empty() {
            storage.remove_item(KEY)
        } else {
            storage.set_item(KEY, token)
        };
    }
}

/// Whether a token is saved, and whether the prompt is open; shared through the context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenState {
    /// A token is saved.
    pub(crate) present: RwSignal<bool>,
    /// The prompt is shown, with the reason.
    pub(crate) prompt: RwSignal<Option<String>>,
}

impl TokenState {
    /// The state as the page loads.
    pub(crate) fn new() -> Self {
        Self {
            present: RwSignal::new(stored_token().is_some()),
            prompt: RwSignal::new(None),
        }
    }

    /// Opens the prompt, saying why.
    pub(crate) fn ask(&self, reason: impl Into<String>) {
        self.prompt.set(Some(reason.into()));
    }

    /// Saves `token` and closes the prompt.
    pub(crate) fn save(&self, token: &str) {
        store_token(token.trim());
        self.present.set(!token.trim().is_empty());
        self.prompt.set(None);
    }

    /// The state from the context.
    pub(crate) fn from_context() -> Self {
        use_context::<Self>().unwrap_or_else(Self::new)
    }
}
