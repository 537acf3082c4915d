//! The one factory of `LlmError`s: upstream words, capped and stripped of keys.
//!
//! A message is the upstream's own (from its error envelope or in-stream
//! error event) or a short description of a transport failure.

use serde_json::Value;
use sybil_domain::Provider;
use sybil_ports::outbound::llm::{LlmError, LlmFailure};
use sybil_upstream::{chain, is_timeout};

use crate::redact::Redactor;

/// Longest message kept: an error body is quoted, never dumped.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The error factory of one provider: the only way this crate makes an
/// `LlmError`, so no message can skip redaction.
#[derive(Debug, Clone)]
pub(crate) struct Errors {
    provider: Provider,
    redactor: Redactor,
}

impl Errors {
    pub(crate) fn new(provider: Provider, redactor: Redactor) -> Self {
        Errors { provider, redactor }
    }

    /// A factory redacting a dummy key, for tests of parsers and decoders.
    #[cfg(test)]
    pub(crate) fn for_tests(provider: Provider) -> Self {
        Errors::new(
            provider,
            Redactor::new(sybil_domain::Secret::new("the-key-0000")),
        )
    }

    pub(crate) fn provider(&self) -> Provider {
        self.provider
    }

    pub(crate) fn make(&self, failure: LlmFailure, message: &str) -> LlmError {
        LlmError {
            provider: self.provider,
            failure,
            message: cap(&self.redactor.redact(message.trim())),
        }
    }

    /// A non-success HTTP answer: the message from the provider's envelope,
    /// or a short description when the body is not one (proxy HTML pages).
    pub(crate) fn status(&self, status: u16, body: &[u8]) -> LlmError {
        let message = envelope_message(body).unwrap_or_else(|| describe_body(status, body));
        self.make(LlmFailure::Status(status), &message)
    }

    /// A reqwest failure: timeout, or a connection that failed or broke.
    pub(crate) fn transport(&self, error: &reqwest::Error) -> LlmError {
        let failure = classify(error);
        let what = match failure {
            LlmFailure::Timeout => "upstream timed out",
            _ => "upstream connection failed",
        };
        self.make(failure, &format!("{what}: {}", chain(error)))
    }

    /// A 200 whose body is not the documented JSON.
    pub(crate) fn malformed(&self, what: &str) -> LlmError {
        self.make(LlmFailure::Malformed, what)
    }

    /// An error the upstream reported inside a stream or a failed response.
    pub(crate) fn upstream(&self, event: &Value) -> LlmError {
        let message = in_band_message(event)
            .unwrap_or_else(|| "the upstream reported an error without a message".to_string());
        self.make(LlmFailure::Upstream, &message)
    }
}

/// Timeouts are `Timeout`; everything else on the wire (refused, reset, closed
/// early, TLS) is `Connection`.
fn classify(error: &reqwest::Error) -> LlmFailure {
    if is_timeout(error) {
        LlmFailure::Timeout
    } else {
        LlmFailure::Connection
    }
}

/// The message of an error envelope: OpenAI and Anthropic
/// `{"error":{"message"}}`, xAI `{"code","error":"<text>"}` (or an object),
/// or a bare `{"message"}`.
pub(crate) fn envelope_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    in_band_message(&value).or_else(|| {
        value
            .is_object()
            .then(|| "the upstream error body has no message".to_string())
    })
}

/// The message of an error object as found in bodies and stream events: the
/// nested form (`error.message`, `error` as text) or the flat one.
pub(crate) fn in_band_message(value: &Value) -> Option<String> {
    let text = |v: &Value| {
        v.as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    match value.get("error") {
        Some(Value::String(_)) => text(&value["error"]),
        Some(error @ Value::Object(_)) => text(&error["message"]),
        _ => None,
    }
    .or_else(|| text(&value["message"]))
}

/// Whether a 429 body says the account is out of quota: retrying won't help.
pub(crate) fn is_insufficient_quota(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let error = &value["error"];
    [&error["type"], &error["code"]]
        .iter()
        .any(|v| v.as_str() == Some("insufficient_quota"))
}

fn describe_body(status: u16, body: &[u8]) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        format!("HTTP {status} (empty body)")
    } else {
        format!("HTTP {status} (non-JSON body)")
    }
}

fn cap(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors() -> Errors {
        Errors::for_tests(Provider::Xai)
    }

    #[test]
    fn reads_every_envelope() {
        let cases = [
            (
                r#"{"error":{"message":"Bad model","type":"invalid_request_error"}}"#,
                "Bad model",
            ),
            (
                r#"{"code":"Client specified an invalid argument","error":"Incorrect key"}"#,
                "Incorrect key",
            ),
            (
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                "Overloaded",
            ),
            (r#"{"message":"flat"}"#, "flat"),
            (r#"{"weird":1}"#, "the upstream error body has no message"),
        ];
        for (body, want) in cases {
            assert_eq!(
                errors().status(400, body.as_bytes()).message,
                want,
                "{body}"
            );
        }
    }

    #[test]
    fn html_and_empty_bodies_are_described_not_dumped() {
        let e = errors().status(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert_eq!(e.failure, LlmFailure::Status(502));
        assert_eq!(e.message, "HTTP 502 (non-JSON body)");
        assert_eq!(errors().status(503, b" ").message, "HTTP 503 (empty body)");
    }

    #[test]
    fn messages_are_redacted_and_capped() {
        let body = json!({"error": format!("Incorrect API key provided: the-key-0000 {}", "x".repeat(3000))});
        let e = errors().status(400, body.to_string().as_bytes());
        assert!(!e.message.contains("the-key-0000"));
        assert!(
            e.message
                .starts_with("Incorrect API key provided: [redacted] xxx")
        );
        assert_eq!(e.message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn stream_errors_nested_and_flat() {
        let nested =
            json!({"type":"error","error":{"type":"insufficient_quota","message":"No quota"}});
        let flat = json!({"type":"error","code":"server_error","message":"Flat failure"});
        assert_eq!(errors().upstream(&nested).message, "No quota");
        assert_eq!(errors().upstream(&flat).message, "Flat failure");
        assert_eq!(errors().upstream(&nested).failure, LlmFailure::Upstream);
    }

    #[test]
    fn quota_429_is_recognised() {
        assert!(is_insufficient_quota(
            br#"{"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"m"}}"#
        ));
        assert!(!is_insufficient_quota(
            br#"{"error":{"code":"rate_limit_exceeded"}}"#
        ));
    }
}
