//! Strips API keys from every text that leaves the adapter.
//!
//! Upstream error bodies may quote the key they were sent (OpenAI's and xAI's
//! "Incorrect API key provided: …"), and a proxy may echo anything.

use std::fmt;

use sybil_domain::Secret;

const REDACTED: &str = "[redacted]";
/// Prefixes of provider keys (`sk-…` OpenAI and `sk-ant-…` Anthropic, `xai-…`).
const KEY_PREFIXES: [&str; 2] = ["sk-", "xai-"];
/// A prefix followed by fewer characters than this is prose, not a key.
const MIN_KEY_BODY: usize = 8;

/// Knows the configured key and recognises key-looking tokens.
#[derive(Clone)]
pub(crate) struct Redactor {
    key: Secret,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor([redacted])")
    }
}

impl Redactor {
    pub(crate) fn new(key: Secret) -> Self {
        Redactor { key }
    }

    /// `text` with the configured key and anything shaped like a key replaced.
    pub(crate) fn redact(&self, text: &str) -> String {
        let key = self.key.expose();
        let text = if key.trim().is_empty() {
            text.to_string()
        } else {
            text.replace(key, REDACTED)
        };
        redact_key_shapes(&text)
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Replaces every `sk-…`/`xai-…` token (prefix at a word start, then at least
/// `MIN_KEY_BODY` key characters).
fn redact_key_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let at_word_start = prev.is_none_or(|p| !is_key_char(p));
        if at_word_start && let Some(len) = key_token_len(rest) {
            out.push_str(REDACTED);
            prev = rest[..len].chars().last();
            rest = &rest[len..];
            continue;
        }
        out.push(c);
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The byte length of the key token at the start of `s`, if there is one.
fn key_token_len(s: &str) -> Option<usize> {
    let prefix = KEY_PREFIXES.iter().find(|p| s.starts_with(**p))?;
    let body = s[prefix.len()..]
        .find(|c: char| !is_key_char(c))
        .unwrap_or(s.len() - prefix.len());
    (body >= MIN_KEY_BODY).then_some(prefix.len() + body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(key: &str) -> Redactor {
        Redactor::new(Secret::new(key))
    }

    #[test]
    fn removes_the_configured_key_anywhere() {
        let red = r("test-key-123");
        assert_eq!(
            red.redact("Incorrect API key provided: test-key-123."),
            "Incorrect API key provided: [redacted]."
        );
        assert_eq!(red.redact("xtest-key-123x"), "x[redacted]x");
    }

    #[test]
    fn removes_key_shaped_tokens() {
        let red = r("");
        assert_eq!(
            red.redact("key sk-proj-abcdefgh1234 and xai-ABCDEFGH_99, sk-ant-api03-zzzzzzzz"),
            "key [redacted] and [redacted], [redacted]"
        );
    }

    #[test]
    fn leaves_prose_alone() {
        let red = r("secret-value-xyz");
        for s in [
            "task-abcdefghijk",
            "ask-me",
            "sk-short",
            "xai-api",
            "risk-free pricing",
            "é sk-",
        ] {
            assert_eq!(red.redact(s), s);
        }
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(
            format!("{:?}", r("sk-live-123456789")),
            "Redactor([redacted])"
        );
    }
}
