//! Session, CSRF and state tokens from the OS's random source.

use rand::TryRngCore;
use rand::rngs::OsRng;
use sybil_domain::account::token::{self, TOKEN_BYTES};
use sybil_ports::outbound::TokenSource;

#[derive(Debug, Default, Clone, Copy)]
pub struct OsTokens;

impl TokenSource for OsTokens {
    fn token(&self) -> String {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is readable");
        token::encode(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_characters_and_never_repeat() {
        let (a, b) = (OsTokens.token(), OsTokens.token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
