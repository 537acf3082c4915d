//! The one factory of an engine's `ToolError`s: `<engine>: <what failed>`, capped and stripped of the key.

use std::time::Duration;

use sybil_ports::outbound::ToolError;
use sybil_upstream::{Failed, chain, is_timeout};

use crate::redact::Redactor;

/// Longest message kept: an error body is quoted, never dumped.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The error factory of one engine. Every message this crate gives an
/// upstream-facing client goes through it, so none can skip redaction.
#[derive(Debug, Clone)]
pub(crate) struct Errors {
    engine: &'static str,
    redactor: Redactor,
    timeout: Duration,
}

impl Errors {
    pub(crate) fn new(engine: &'static str, redactor: Redactor, timeout: Duration) -> Self {
        Errors {
            engine,
            redactor,
            timeout,
        }
    }

    /// `<engine>: <message>`, redacted and capped.
    pub(crate) fn make(&self, message: &str) -> ToolError {
        let text = format!("{}: {}", self.engine, message.trim());
        ToolError::new(cap(&self.redactor.redact(&text)))
    }

    /// A non-success answer: `HTTP <status>: <the engine's error text>`.
    pub(crate) fn status(&self, status: u16, text: &str) -> ToolError {
        self.make(&format!("HTTP {status}: {text}"))
    }

    /// A reqwest failure: the deadline, or a connection that failed or broke.
    pub(crate) fn transport(&self, error: &reqwest::Error) -> ToolError {
        if is_timeout(error) {
            self.make(&format!("timed out after {}", human(self.timeout)))
        } else {
            self.make(&format!("connection failed: {}", chain(error)))
        }
    }

    /// A call that failed without a usable answer: `Status` is put in the
    /// engine's words by `error_text` (its envelope, else a snippet).
    pub(crate) fn failed(
        &self,
        failed: Failed<reqwest::Error>,
        error_text: impl FnOnce(u16, &[u8]) -> String,
    ) -> ToolError {
        match failed {
            Failed::Status { status, body } => self.status(status, &error_text(status, &body)),
            Failed::Transport(error) | Failed::Build(error) => self.transport(&error),
        }
    }

    /// A success whose body is not the documented JSON.
    pub(crate) fn malformed(&self, what: &str) -> ToolError {
        self.make(&format!("invalid response: {what}"))
    }
}

/// `30s`, or `1500ms` when the duration is not whole seconds.
pub(crate) fn human(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

pub(crate) fn cap(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sybil_domain::Secret;

    fn errors() -> Errors {
        Errors::new(
            "exa",
            Redactor::new(&Secret::new("k-123")),
            Duration::from_millis(1500),
        )
    }

    #[test]
    fn messages_name_the_engine_and_hide_the_key() {
        assert_eq!(
            errors().status(401, "key k-123 is wrong").message,
            "exa: HTTP 401: key [redacted] is wrong"
        );
        assert_eq!(
            errors().malformed("no results").message,
            "exa: invalid response: no results"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_secs(30)), "30s");
        assert_eq!(human(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn long_messages_are_capped() {
        let long = "x".repeat(5000);
        let message = errors().make(&long).message;
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(message.ends_with('…'));
    }
}
