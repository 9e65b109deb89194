//! JSON over `fetch`, with the stored token as a bearer token.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use super::{ApiError, ApiResult, stored_token};

async fn send(method: &str, path: &str, body: Option<String>) -> ApiResult<String> {
    send_as(method, path, body, stored_token()).await
}

/// Sends a request with `token` (none: no `Authorization` header).
async fn send_as(
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<String>,
) -> ApiResult<String> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    let request =
        Request::new_with_str_and_init(path, &init).map_err(|e| ApiError::network(js_text(&e)))?;
    let headers = request.headers();
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    let window = web_sys::window().ok_or_else(|| ApiError::network("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|e| ApiError::network(js_text(&e)))?
        .dyn_into()
        .map_err(|_| ApiError::unexpected("not a response"))?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        Ok(text)
    } else {
        Err(ApiError::from_response(response.status(), &text))
    }
}

fn parse<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(ApiError::unexpected)
}

fn encode<B: Serialize>(body: &B) -> ApiResult<String> {
    serde_json::to_string(body).map_err(ApiError::unexpected)
}

/// The text of a JavaScript error value.
pub(crate) fn js_text(value: &wasm_bindgen::JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "unknown error".into())
}

/// Checks with the server that `token` may write, before the UI keeps it: listing tokens
/// needs the `write` role, so a 401 means unknown or expired and a 403 the wrong role.
pub(crate) async fn check_write_token(token: &str) -> ApiResult<()> {
    send_as("GET", "/api/tokens", None, Some(token.to_owned()))
        .await
        .map(|_| ())
}

/// `GET path` as JSON.
pub(crate) async fn get_json<T: DeserializeOwned>(path: impl AsRef<str>) -> ApiResult<T> {
    parse(&send("GET", path.as_ref(), None).await?)
}

/// `POST path` with a JSON body.
pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> ApiResult<T> {
    parse(&send("POST", path, Some(encode(body)?)).await?)
}

/// `PATCH path` with a JSON body.
pub(crate) async fn patch_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> ApiResult<T> {
    parse(&send("PATCH", path, Some(encode(body)?)).await?)
}

/// `DELETE path`.
pub(crate) async fn delete(path: &str) -> ApiResult<()> {
    send("DELETE", path, None).await.map(|_| ())
}
