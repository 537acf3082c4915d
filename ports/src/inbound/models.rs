//! The model catalogue: `GET /v1/models`.

use async_trait::async_trait;
use sybil_domain::{Provider, Timestamp};

/// One provider's models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelList {
    pub provider: Provider,
    pub models: Vec<String>,
    /// Time of the last successful live load, if any.
    pub loaded_at: Option<Timestamp>,
    /// Why the live list is not in use (no key, or the last load failed).
    pub error: Option<String>,
}

#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ModelUseCases: Send + Sync {
    /// Every provider's list, in the order openai, anthropic, xai. Never
    /// fails: a provider without a live list gets its fallback and `error`.
    async fn list_models(&self) -> Vec<ModelList>;
}
