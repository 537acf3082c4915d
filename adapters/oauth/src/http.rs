//! One upstream call of a sign-in: sent inside a span, its answer read
//! whole, and every failure turned into `IdentityError::Provider` with the
//! secrets of the exchange scrubbed out.

use std::error::Error as _;
use std::fmt::Display;

use serde::de::DeserializeOwned;
use sybil_ports::outbound::IdentityError;
use tracing::Instrument;

/// The longest piece of a provider's body quoted in an error.
const SNIPPET: usize = 200;

/// Which call this is, for spans and messages (`github token`, `apple keys`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub provider: &'static str,
    pub name: &'static str,
}

/// A provider's answer, read whole (these bodies are small).
pub(crate) struct Answer {
    pub status: reqwest::StatusCode,
    pub body: Vec<u8>,
}

impl Step {
    pub const fn new(provider: &'static str, name: &'static str) -> Step {
        Step { provider, name }
    }

    /// Sends `request` and reads the answer; `hidden` are the texts (client
    /// secret, code, token) no error may contain.
    pub async fn send(
        self,
        request: reqwest::RequestBuilder,
        hidden: &[&str],
    ) -> Result<Answer, IdentityError> {
        let span =
            tracing::info_span!("oauth_upstream", provider = self.provider, step = self.name);
        async {
            let response = request
                .send()
                .await
                .map_err(|e| self.fail(transport(&e), hidden))?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|e| self.fail(transport(&e), hidden))?;
            tracing::debug!(status = status.as_u16(), bytes = body.len(), "answered");
            Ok(Answer {
                status,
                body: body.to_vec(),
            })
        }
        .instrument(span)
        .await
    }

    /// A `Provider` error for this step, scrubbed of `hidden`.
    pub fn fail(self, what: impl Display, hidden: &[&str]) -> IdentityError {
        let text = format!("{} {}: {what}", self.provider, self.name);
        IdentityError::Provider(scrub(text, hidden))
    }

    /// The error for a non-2xx answer: its status and the start of its body.
    pub fn status(self, answer: &Answer, hidden: &[&str]) -> IdentityError {
        self.fail(
            format!("HTTP {}: {}", answer.status.as_u16(), snippet(&answer.body)),
            hidden,
        )
    }

    /// The body as `T`, else a `Provider` error. Only for answers without
    /// secrets: serde's messages may quote the values they choke on.
    pub fn json<T: DeserializeOwned>(
        self,
        answer: &Answer,
        hidden: &[&str],
    ) -> Result<T, IdentityError> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            self.fail(
                format!("malformed answer ({e}): {}", snippet(&answer.body)),
                hidden,
            )
        })
    }

    /// The body as a JSON value, for answers that carry secrets: a syntax
    /// error's message quotes nothing, and the caller names missing fields.
    pub fn json_value(self, answer: &Answer) -> Result<serde_json::Value, IdentityError> {
        serde_json::from_slice(&answer.body)
            .map_err(|e| self.fail(format!("malformed answer: not JSON ({e})"), &[]))
    }
}

/// A transport failure in words: timeouts and refused connections named,
/// then the causes.
fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "unreachable"
    } else {
        "transport error"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// `text` with every non-empty `hidden` replaced by `[redacted]`.
pub(crate) fn scrub(mut text: String, hidden: &[&str]) -> String {
    for secret in hidden.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "[redacted]");
    }
    text
}

/// The start of a body as one line of text, `(empty body)` when blank.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SNIPPET)
        .collect();
    let line = line.trim();
    if line.is_empty() {
        "(empty body)".to_string()
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_hidden_text_but_ignores_empty_ones() {
        assert_eq!(
            scrub("a sec b cod c".into(), &["sec", "", "cod"]),
            "a [redacted] b [redacted] c"
        );
    }

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(snippet(b"  \n "), "(empty body)");
        assert_eq!(snippet(b"a\nb"), "a b");
        assert_eq!(snippet(&[b'x'; 500]).len(), SNIPPET);
    }
}
