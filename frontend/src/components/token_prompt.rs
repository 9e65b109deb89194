//! The token prompt: opens when a write needs a token, or from the header.

use leptos::prelude::*;

use crate::api::TokenState;

/// A modal asking for an API token; saved in this browser.
#[component]
pub(crate) fn TokenPrompt() -> impl IntoView {
    let tokens = TokenState::from_context();
    let value = RwSignal::new(String::new());
    let save = move || tokens.save(&value.get_untracked());
    view! {
        <Show when=move || tokens.prompt.get().is_some()>
            <div class="modal-backdrop">
                <form class="modal card" id="token-prompt"
                    on:submit=move |ev| { ev.prevent_default(); save(); }>
                    <h2>"API token"</h2>
                    <p>{move || tokens.prompt.get().unwrap_or_default()}</p>
                    <p class="hint">
                        "Create one on the server with "
                        <code>"qbound token create --name NAME --role write"</code>
                        ". It is kept in this browser only."
                    </p>
                    <input type="password" name="token" placeholder="qb_…" autocomplete="off"
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                    <div class="actions">
                        <button type="submit" class="primary">"Save token"</button>
                        <button type="button" on:click=move |_| tokens.prompt.set(None)>"Cancel"</button>
                        <button type="button" on:click=move |_| { value.set(String::new()); tokens.save(""); }>
                            "Forget token"
                        </button>
                    </div>
                </form>
            </div>
        </Show>
    }
}
