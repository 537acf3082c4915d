//! Sign-in with an outside identity provider (GitHub, Apple): the URL a
//! browser is sent to, and the identity behind a code it comes back with.

use async_trait::async_trait;

/// Who the provider says the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's stable id of the user (GitHub's numeric `id` as a
    /// decimal string; Apple's `sub`).
    pub subject: String,
    /// GitHub's `login`; `None` for Apple.
    pub login: Option<String>,
    /// The user's email, only when the provider says it is verified (GitHub:
    /// the entry both `primary` and `verified`; Apple: `email_verified`).
    pub verified_email: Option<String>,
    /// GitHub's `name`; Apple's `firstName lastName` from the `user` field.
    pub display_name: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    /// The provider refused the code (GitHub: a 200 with an `error` field;
    /// Apple: a 400 with `invalid_grant`): the user should sign in again.
    #[error("the provider rejected the code")]
    RejectedCode { provider_error: Option<String> },
    /// Apple's `id_token` failed verification (signature, issuer, audience,
    /// expiry); the reason is for the log.
    #[error("the id_token failed verification: {0}")]
    InvalidIdToken(String),
    /// Unreachable, any other non-2xx, or a malformed answer; the text is for
    /// the log and never holds a secret.
    #[error("{0}")]
    Provider(String),
}

/// One configured provider.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Where to send the browser, carrying `state` (percent-encoded query).
    fn authorize_url(&self, state: &str) -> String;

    /// Exchanges `code` and fetches the identity. `user` is Apple's `user`
    /// form field (JSON, sent on a first sign-in only); GitHub ignores it.
    async fn identify<'a>(
        &self,
        code: &str,
        user: Option<&'a str>,
    ) -> Result<ExternalIdentity, IdentityError>;
}
