//! Building a provider: its HTTP client, its base URLs, and the error when
//! the configuration cannot work.

use std::time::Duration;

/// A provider could not be built from its settings. Never holds a secret
/// or key text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider} sign-in: {message}")]
pub struct OAuthSetupError {
    pub provider: &'static str,
    pub message: String,
}

impl OAuthSetupError {
    pub(crate) fn new(provider: &'static str, message: impl Into<String>) -> Self {
        OAuthSetupError {
            provider,
            message: message.into(),
        }
    }
}

/// GitHub's API refuses requests without a `User-Agent`; naming Sybil also
/// tells either provider who is calling.
const USER_AGENT: &str = concat!("sybil/", env!("CARGO_PKG_VERSION"));

/// The provider's pooled client: `timeout` bounds connecting and each whole
/// request. No retries: a code is single-use, so a repeated exchange could
/// only fail.
pub(crate) fn client(
    provider: &'static str,
    timeout: Duration,
) -> Result<reqwest::Client, OAuthSetupError> {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| OAuthSetupError::new(provider, format!("cannot start the HTTP client: {e}")))
}

/// A base URL as configured, with or without a trailing slash, ready to
/// take a path that starts with `/`.
pub(crate) fn base(
    provider: &'static str,
    name: &str,
    url: &str,
) -> Result<String, OAuthSetupError> {
    let trimmed = url.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(trimmed.to_string()),
        _ => Err(OAuthSetupError::new(
            provider,
            format!("{name} is not an http(s) URL: {url:?}"),
        )),
    }
}
