//! The error of building a client: a bad base URL or a TLS backend that cannot start.

/// A web adapter could not be built. Never holds a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{engine}: cannot set up the client: {message}")]
pub struct SetupError {
    pub engine: &'static str,
    pub message: String,
}

impl SetupError {
    pub(crate) fn new(engine: &'static str, message: impl Into<String>) -> Self {
        SetupError {
            engine,
            message: message.into(),
        }
    }
}

/// The pooled client of an API engine (Exa, SearXNG): `timeout` bounds each
/// attempt from connect to the last byte of the body.
pub(crate) fn api_client(
    engine: &'static str,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, SetupError> {
    sybil_upstream::client_builder(timeout, USER_AGENT)
        .timeout(timeout)
        .build()
        .map_err(|e| SetupError::new(engine, e.to_string()))
}

/// Browser-shaped so bot filters (SearXNG's limiter) let it through, yet naming Sybil.
pub(crate) const USER_AGENT: &str = concat!(
    "Mozilla/5.0 (X11; Linux x86_64) sybil/",
    env!("CARGO_PKG_VERSION")
);
