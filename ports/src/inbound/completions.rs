//! Completion use cases: `POST /v1/chat-completions` and title suggestion.

use async_trait::async_trait;
use serde_json::Value;
use sybil_domain::{Chat, MessageInput, Provider, Usage};
use uuid::Uuid;

use crate::outbound::{LlmError, StorageError};

/// A completion request as the client sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionCommand {
    pub chat_id: Option<String>,
    pub provider: Provider,
    pub model: String,
    pub messages: Vec<MessageInput>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
}

/// The answer of a completion.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionOutcome {
    pub chat_id: Option<Uuid>,
    pub provider: Provider,
    pub model: String,
    /// The text of the last model call.
    pub content: String,
    /// The stored assistant message, when the completion had a chat.
    pub message_id: Option<Uuid>,
    /// Summed over every model call of the completion.
    pub usage: Usage,
    /// The provider's last response body.
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompletionError {
    /// The request broke a rule; the text names the field and the rule.
    #[error("{0}")]
    Invalid(String),
    #[error("chat not found")]
    ChatNotFound,
    #[error("provider {provider} is not configured: set {}", provider.api_key_variable())]
    Unconfigured { provider: Provider },
    #[error(transparent)]
    Upstream(#[from] LlmError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Completions over the configured providers.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CompletionUseCases: Send + Sync {
    /// Runs a completion (with the tool loop for providers that have it).
    /// With a chat id, new non-assistant messages are stored before the
    /// provider is called and the answer after; an `LlmCall` is always written.
    ///
    /// # Errors
    /// `Invalid` (nothing stored), `ChatNotFound`, `Unconfigured`,
    /// `Upstream` (the new messages stay stored, no assistant message),
    /// `Storage`.
    async fn complete(
        &self,
        command: CompletionCommand,
    ) -> Result<CompletionOutcome, CompletionError>;

    /// Gives an untitled chat a short title made by OpenAI `gpt-4.1-mini`
    /// from `content`; a chat that has a title is returned unchanged.
    ///
    /// # Errors
    /// `ChatNotFound`, `Unconfigured` (OpenAI), `Upstream`, `Storage`.
    async fn suggest_title(&self, chat_id: &str, content: &str) -> Result<Chat, CompletionError>;
}
