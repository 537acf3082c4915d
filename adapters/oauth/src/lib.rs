//! Sign in with GitHub and with Apple: the `IdentityProvider` port over
//! reqwest (one client per provider) and jsonwebtoken (Apple's ES256 client
//! secret and RS256 id_token).
//!
//! Errors never carry a secret: the client secret, the code, the access
//! token and the private key are scrubbed from every message.

mod apple;
mod github;
mod http;
mod query;
mod setup;

pub use apple::{AppleSettings, AppleSignIn};
pub use github::{GithubSettings, GithubSignIn};
pub use setup::OAuthSetupError;
