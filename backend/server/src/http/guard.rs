//! Checks before any route: the `Host` and `Origin` headers must name this server (against
//! DNS rebinding: a page on another site whose name points at this address), and in
//! private mode every read needs a token of any role, in the `Authorization` header or, for
//! what a browser fetches without headers, as `?access_token=`.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::{caller, token_holder};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Refuses requests for another host or from another site, and anonymous reads of a
/// private server.
pub(crate) async fn guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response> {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    if let Some(host) = &host
        && !known_host(host_name(host), &state.settings.allowed_hosts)
    {
        return Err(Error::Forbidden(format!(
            "this server does not answer for host `{}`; start it with `--allowed-host NAME` to allow it",
            host_name(host)
        )));
    }
    check_origin(headers, host.as_deref(), &state.settings.allowed_hosts)?;
    if state.settings.private && needs_read_token(request.method(), request.uri().path()) {
        match query_token(request.uri().query()) {
            Some(token) => token_holder(&token, &state).await?,
            None => caller(headers, &state).await?,
        };
    }
    Ok(next.run(request).await)
}

/// `host` without its port (`[::1]:8080` gives `::1`).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// An IP literal, `localhost`, or a name the operator allowed: never a name an attacker's
/// DNS can point at this server unasked.
fn known_host(name: &str, allowed: &[String]) -> bool {
    name.parse::<IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// A browser's `Origin` must be this server itself (or an allowed host).
fn check_origin(headers: &HeaderMap, host: Option<&str>, allowed: &[String]) -> Result<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let authority = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let same = host.is_some_and(|h| h.eq_ignore_ascii_case(authority));
    if same
        || allowed
            .iter()
            .any(|a| a.eq_ignore_ascii_case(host_name(authority)))
    {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "requests from the origin `{origin}` are not accepted"
    )))
}

/// The `access_token` query parameter, which reads may use where a browser cannot send a
/// header (the UI's `EventSource`).
fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("access_token="))
        .map(str::to_owned)
}

/// Reads of the API and metrics; the health check and the UI's files stay open.
fn needs_read_token(method: &Method, path: &str) -> bool {
    let read = method == Method::GET || method == Method::HEAD;
    let guarded = (path.starts_with("/api/") && path != "/api/health") || path == "/metrics";
    read && guarded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ip_literals_localhost_and_allowed_names_are_known_hosts() {
        let allowed = vec!["qbound.example".to_owned()];
        assert!(known_host(host_name("127.0.0.1:8080"), &allowed));
        assert!(known_host(host_name("[::1]:8080"), &allowed));
        assert!(known_host(host_name("localhost"), &allowed));
        assert!(known_host(host_name("QBOUND.example:443"), &allowed));
        assert!(!known_host(host_name("evil.example:8080"), &allowed));
    }
}
