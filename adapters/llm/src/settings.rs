//! Provider configuration and the one pooled HTTP client each provider owns.

use std::time::Duration;

use sybil_domain::{Provider, Secret};

/// What every provider needs: its key, its base URL (as configured, e.g.
/// `https://api.openai.com/v1` or `https://api.anthropic.com`) and the
/// per-call upstream timeout (`UPSTREAM_TIMEOUT_MS`).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub api_key: Secret,
    pub base_url: String,
    pub timeout: Duration,
}

/// A provider could not be built (TLS backend, or a key that is not a valid
/// header value). The key itself is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider}: cannot set up the client: {message}")]
pub struct SetupError {
    pub provider: Provider,
    pub message: String,
}

impl ProviderSettings {
    /// The base URL without a trailing slash, so paths can be appended.
    pub(crate) fn base(&self) -> String {
        self.base_url.trim_end_matches('/').to_string()
    }

    /// One client per provider: connections are pooled across calls. The
    /// connect and read timeouts bound every phase of a call, streams included
    /// (a stream that stalls longer than the timeout fails); non-streaming
    /// calls also get a whole-request deadline (see `sdk`, `anthropic`).
    pub(crate) fn http_client(&self, provider: Provider) -> Result<reqwest::Client, SetupError> {
        sybil_upstream::client_builder(self.timeout, concat!("sybil/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError {
                provider,
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let s = ProviderSettings {
            api_key: Secret::new("sk-live-0123456789"),
            base_url: "https://api.openai.com/v1/".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{s:?}").contains("sk-live"));
        assert_eq!(s.base(), "https://api.openai.com/v1");
    }
}
