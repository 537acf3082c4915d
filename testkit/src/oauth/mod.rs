//! Dev-only fakes of the sign-in providers on 127.0.0.1: GitHub's OAuth web
//! flow and REST API, and Sign in with Apple with real keys.

mod apple;
mod github;
mod keys;
mod server;
#[cfg(test)]
mod tests;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub use apple::{AppleIdentity, EmailVerified, FakeApple, TokenVariant};
pub use github::{FakeGithub, GithubUser};
pub use server::FormRequest;

/// The header of a compact JWT, unverified (for tests that look inside).
pub fn jwt_header(jwt: &str) -> Option<Value> {
    jwt_part(jwt, 0)
}

/// The claims of a compact JWT, unverified (for tests that look inside).
pub fn jwt_claims(jwt: &str) -> Option<Value> {
    jwt_part(jwt, 1)
}

fn jwt_part(jwt: &str, index: usize) -> Option<Value> {
    let part = jwt.split('.').nth(index)?;
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}
