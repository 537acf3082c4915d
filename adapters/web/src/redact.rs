//! Strips the configured API key from every text that leaves the adapter.
//!
//! An error body may quote the key it was sent (a proxy echoing headers, an
//! upstream repeating a malformed key), so the key is removed wherever it is.

use std::fmt;

use sybil_domain::Secret;

const REDACTED: &str = "[redacted]";

/// Knows the one key to hide; an empty key hides nothing.
#[derive(Clone)]
pub(crate) struct Redactor {
    key: Option<Secret>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor([redacted])")
    }
}

impl Redactor {
    pub(crate) fn new(key: &Secret) -> Self {
        let key = (!key.expose().trim().is_empty()).then(|| key.clone());
        Redactor { key }
    }

    /// For engines without a key (SearXNG).
    pub(crate) fn none() -> Self {
        Redactor { key: None }
    }

    /// `text` with every occurrence of the key replaced.
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(key) => text.replace(key.expose(), REDACTED),
            None => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_key_anywhere() {
        let r = Redactor::new(&Secret::new("exa-key-123"));
        assert_eq!(
            r.redact("bad key exa-key-123, xexa-key-123x"),
            "bad key [redacted], x[redacted]x"
        );
    }

    #[test]
    fn an_empty_key_hides_nothing() {
        let r = Redactor::new(&Secret::new("  "));
        assert_eq!(r.redact("a  b"), "a  b");
        assert_eq!(Redactor::none().redact("x"), "x");
    }

    #[test]
    fn debug_hides_the_key() {
        let r = Redactor::new(&Secret::new("exa-key-123"));
        assert_eq!(format!("{r:?}"), "Redactor([redacted])");
    }
}
