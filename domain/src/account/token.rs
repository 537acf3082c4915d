//! Tokens (session, CSRF, OAuth state, invite): 32 random bytes as base64url
//! without padding, stored only as the SHA-256 of that text.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Bytes of randomness in a token.
pub const TOKEN_BYTES: usize = 32;

/// The text of a token made from `random` bytes (43 characters).
pub fn encode(random: &[u8; TOKEN_BYTES]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// What is stored for a token: the hex SHA-256 of its text.
pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in hash {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Whether `presented` is the token whose digest is `stored`, in time that
/// does not depend on where they differ.
pub fn matches(presented: &str, stored: &str) -> bool {
    digest(presented).as_bytes().ct_eq(stored.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters() {
        let text = encode(&[0xff; TOKEN_BYTES]);
        assert_eq!(text.len(), 43);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn digests_are_the_sha256_of_the_text() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn matching_compares_digests() {
        let stored = digest("token-a");
        assert!(matches("token-a", &stored));
        assert!(!matches("token-b", &stored));
        assert!(!matches("", &stored));
    }
}
