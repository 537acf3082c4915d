//! Completion use cases: `POST /v1/chat-completions` and title suggestion.

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::Value;
use sybil_domain::{Chat, MessageInput, Provider, Usage};
use uuid::Uuid;

use crate::outbound::{LlmError, RawJson, StorageError};

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
    pub raw: RawJson,
    /// A streamed completion whose client left (or that was stopped): the
    /// content is the text produced so far.
    pub stopped: bool,
    /// What the completion cost Sybil itself, in milliseconds: its time from
    /// the use case's start minus the time spent waiting on upstreams and
    /// tools (the `x-sybil-overhead-ms` header). `0` when `stopped`.
    pub overhead_ms: f64,
}

/// A tool call that finished, as streamed after its message was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallEvent {
    /// The stored tool message, when the completion has a chat.
    pub message_id: Option<Uuid>,
    pub tool_call_id: String,
    pub name: String,
    /// The model's arguments as an object.
    pub arguments: Value,
    /// `completed` or `failed`.
    pub status: String,
    pub output: String,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub round: u32,
}

/// The first event of a stream: which chat, provider and model.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMeta {
    pub chat_id: Option<Uuid>,
    pub provider: Provider,
    pub model: String,
    /// Set for a resumable completion.
    pub completion_id: Option<Uuid>,
}

/// What a streamed completion yields: `Meta` first, then `Delta` and
/// `ToolCall` events in order, then exactly one `Done` or `Error`.
// The variants that are not text are boxed: a stream's channel holds events
// by value, so the enum is kept as small as a delta.
#[derive(Debug, Clone, PartialEq)]
pub enum CompletionEvent {
    Meta(Box<StreamMeta>),
    Delta {
        text: String,
    },
    ToolCall(Box<ToolCallEvent>),
    Done(Box<CompletionOutcome>),
    Error {
        /// Names the provider; keys redacted.
        message: String,
    },
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

    /// Validates and stores like `complete`, then streams the completion
    /// from the upstream's own stream. Dropping the stream (a client that
    /// went away) aborts the upstream call and stores the text produced so
    /// far with `metadata.stopped = true`.
    ///
    /// # Errors
    /// Everything checked before the provider is called, as for `complete`;
    /// later failures are the stream's final `Error` event.
    async fn stream(
        &self,
        command: CompletionCommand,
    ) -> Result<BoxStream<'static, CompletionEvent>, CompletionError>;

    /// Gives an untitled chat a short title made by OpenAI `gpt-4.1-mini`
    /// from `content`; a chat that has a title is returned unchanged.
    ///
    /// # Errors
    /// `ChatNotFound`, `Unconfigured` (OpenAI), `Upstream`, `Storage`.
    async fn suggest_title(&self, chat_id: &str, content: &str) -> Result<Chat, CompletionError>;
}
