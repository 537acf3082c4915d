//! The authorize URLs' query strings.

use std::fmt::Write;

/// Percent-encodes a query value: every byte but RFC 3986's unreserved
/// characters, so a space is `%20` (not `+`, which providers may read
/// literally) and `&`, `=`, `#`, `:` and `/` cannot end the value early.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(encode("aZ09-._~"), "aZ09-._~");
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(
            encode("https://x.test/cb?x=1"),
            "https%3A%2F%2Fx.test%2Fcb%3Fx%3D1"
        );
        assert_eq!(encode("é"), "%C3%A9");
    }
}
