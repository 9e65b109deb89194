//! The sign-in prompt: opens from the header or when a write needs a token; a token is
//! checked with the server before it is saved.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{TokenState, check_write_token};

/// A modal asking for an API token; saved in this browser once the server accepts it.
#[component]
pub(crate) fn TokenPrompt() -> impl IntoView {
    let tokens = TokenState::from_context();
    let value = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let checking = RwSignal::new(false);
    let save = move || {
        let token = value.get_untracked().trim().to_owned();
        if token.is_empty() {
            problem.set(Some("Paste a token first.".into()));
            return;
        }
        checking.set(true);
        problem.set(None);
        spawn_local(async move {
            let checked = check_write_token(&token).await;
            checking.set(false);
            match checked {
                Ok(()) => {
                    value.set(String::new());
                    tokens.save(&token);
                }
                Err(e) if e.status == 401 => problem.set(Some(
                    "Token rejected: the server does not know it or it has expired. It was not saved.".into(),
                )),
                Err(e) if e.status == 403 => problem.set(Some(format!(
                    "Token rejected for writing ({}). It was not saved.",
                    e.message
                ))),
                Err(e) => problem.set(Some(format!("The token could not be checked: {e}"))),
            }
        });
    };
    let close = move || {
        problem.set(None);
        tokens.prompt.set(None);
    };
    view! {
        <Show when=move || tokens.prompt.get().is_some()>
            <div class="modal-backdrop">
                <form class="modal card" id="token-prompt"
                    on:submit=move |ev| { ev.prevent_default(); save(); }>
                    <h2>"Sign in"</h2>
                    <p>{move || tokens.prompt.get().unwrap_or_default()}</p>
                    <p class="hint">
                        "An administrator creates a token on the server with "
                        <code>"qbound token create --name NAME --role write"</code>
                        ". It is checked now and kept in this browser only."
                    </p>
                    <input type="password" name="token" placeholder="qb_…" autocomplete="off"
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                    {move || problem.get().map(|p| view! { <p class="error token-error" role="alert">{p}</p> })}
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || checking.get()>
                            {move || if checking.get() { "Checking…" } else { "Sign in" }}
                        </button>
                        <button type="button" on:click=move |_| close()>"Cancel"</button>
                        <Show when=move || tokens.present.get()>
                            <button type="button" on:click=move |_| { value.set(String::new()); tokens.forget(); close(); }>
                                "Sign out"
                            </button>
                        </Show>
                    </div>
                </form>
            </div>
        </Show>
    }
}
