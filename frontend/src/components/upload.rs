//! Uploading a model or a dataset, with a progress bar and the server's verdict.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

use super::{Notice, ProgressBar};
use crate::api::{TokenState, upload_file};

/// A file picker, an optional display name and an upload button posting to `path`;
/// `on_done` gets the parsed record.
#[component]
pub(crate) fn UploadForm<T: DeserializeOwned + 'static>(
    path: &'static str,
    accept: &'static str,
    hint: &'static str,
    on_done: Callback<T>,
) -> impl IntoView {
    let tokens = TokenState::from_context();
    let file_input: NodeRef<leptos::html::Input> = NodeRef::new();
    let name = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<f64>);
    let notice = RwSignal::new(None);
    // Bumped to upload again once a token is saved.
    let attempt = RwSignal::new(0u32);
    let start = move || {
        let Some(file) = file_input
            .get()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            notice.set(Some(Err("Choose a file first.".to_owned())));
            return;
        };
        notice.set(None);
        progress.set(Some(0.0));
        let display_name = name.get_untracked();
        spawn_local(async move {
            let result = upload_file::<T>(path, &file, Some(&display_name), move |f| {
                progress.set(Some(f))
            })
            .await;
            progress.set(None);
            match result {
                Ok(record) => {
                    notice.set(Some(Ok(format!("Uploaded `{}`.", file.name()))));
                    on_done.run(record);
                }
                Err(error) => {
                    if error.needs_token() {
                        tokens.ask_then(
                            "Uploading needs a token with the `write` role; the upload resumes once you are signed in.",
                            move || attempt.update(|n| *n += 1),
                        );
                    }
                    notice.set(Some(Err(error.to_string())));
                }
            }
        });
    };
    Effect::watch(move || attempt.get(), move |_, _, _| start(), false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        start();
    };
    view! {
        <form class="upload card" on:submit=submit>
            <label>"File " <input type="file" name="file" accept=accept node_ref=file_input /></label>
            <label>"Name " <input type="text" name="name" placeholder="optional"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev)) /></label>
            <button type="submit" class="primary" disabled=move || progress.get().is_some()>"Upload"</button>
            <p class="hint">{hint}</p>
            {move || progress.get().map(|p| view! { <ProgressBar value=p /> })}
            <Notice message=notice />
        </form>
    }
}
