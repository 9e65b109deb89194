//! The API token, kept in the browser's local storage, and the prompt's state.

use std::rc::Rc;

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

/// What to do again once a token is saved.
type Pending = Option<Rc<dyn Fn()>>;

/// Whether a token is saved, whether the prompt is open, and the action waiting for a
/// token; shared through the context.
#[derive(Clone, Copy)]
pub(crate) struct TokenState {
    /// A token is saved.
    pub(crate) present: RwSignal<bool>,
    /// The prompt is shown, with the reason.
    pub(crate) prompt: RwSignal<Option<String>>,
    /// The action that failed for want of a token, retried after sign-in.
    pending: StoredValue<Pending, LocalStorage>,
}

impl TokenState {
    /// The state as the page loads.
    pub(crate) fn new() -> Self {
        Self {
            present: RwSignal::new(stored_token().is_some()),
            prompt: RwSignal::new(None),
            pending: StoredValue::new_local(None),
        }
    }

    /// Opens the prompt, saying why.
    pub(crate) fn ask(&self, reason: impl Into<String>) {
        self.pending.set_value(None);
        self.prompt.set(Some(reason.into()));
    }

    /// Opens the prompt, saying why; `retry` runs once a token is saved.
    pub(crate) fn ask_then(&self, reason: impl Into<String>, retry: impl Fn() + 'static) {
        self.prompt.set(Some(reason.into()));
        self.pending.set_value(Some(Rc::new(retry)));
    }

    /// Saves `token` (already checked with the server), closes the prompt and retries the
    /// action that was waiting for it.
    pub(crate) fn save(&self, token: &str) {
        store_token(token.trim());
        self.present.set(!token.trim().is_empty());
        self.prompt.set(None);
        let pending = self.pending.try_update_value(Option::take).flatten();
        if let Some(retry) = pending.filter(|_| !token.trim().is_empty()) {
            retry();
        }
    }

    /// Forgets the saved token.
    pub(crate) fn forget(&self) {
        store_token("");
        self.present.set(false);
        self.pending.set_value(None);
    }

    /// The state from the context.
    pub(crate) fn from_context() -> Self {
        use_context::<Self>().unwrap_or_else(Self::new)
    }
}
