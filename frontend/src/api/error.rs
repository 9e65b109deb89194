//! What went wrong with a call, in words for the user.

use std::fmt;

/// A failed call: the HTTP status (0 when the server could not be reached) and a message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    /// The HTTP status, or 0 for a network failure.
    pub(crate) status: u16,
    /// What went wrong.
    pub(crate) message: String,
}

impl ApiError {
    /// A failure before any response arrived.
    pub(crate) fn network(what: impl fmt::Display) -> Self {
        Self {
            status: 0,
            message: format!("the server cannot be reached ({what}); is `qbound serve` running?"),
        }
    }

    /// A response that is not what the UI expected.
    pub(crate) fn unexpected(what: impl fmt::Display) -> Self {
        Self {
            status: 0,
            message: format!("the server's answer could not be read: {what}"),
        }
    }

    /// An error response: the server's `{"error": ...}` message when there is one.
    pub(crate) fn from_response(status: u16, body: &str) -> Self {
        let message = serde_json::from_str::<qbound_shared::ApiError>(body)
            .map(|e| e.error)
            .unwrap_or_else(|_| {
                let text = body.trim();
                if text.is_empty() {
                    format!("the server answered {status}")
                } else {
                    text.chars().take(300).collect()
                }
            });
        Self { status, message }
    }

    /// Whether a token with more rights would help.
    pub(crate) fn needs_token(&self) -> bool {
        self.status == 401 || self.status == 403
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status == 401 {
            // The server's own words name HTTP headers; in the UI the way in is Sign in.
            let what = if self.message.contains("rejected") {
                "the saved token was rejected (unknown or expired)"
            } else {
                "this needs an API token with the `write` role"
            };
            return write!(
                f,
                "Sign in needed: {what}. Use Sign in at the top of the page."
            );
        }
        let prefix = match self.status {
            401 => "Sign in needed: ",
            403 => "Not allowed: ",
            404 => "Not found: ",
            413 => "Too large: ",
            400 | 409 | 422 => "Cannot do that: ",
            s if s >= 500 => "Server error: ",
            _ => "",
        };
        write!(f, "{prefix}{}", self.message)
    }
}

impl std::error::Error for ApiError {}
