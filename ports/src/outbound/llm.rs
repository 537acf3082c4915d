//! LLM providers: one request shape for OpenAI (Responses API), xAI (Chat
//! Completions) and Anthropic (Messages API).

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::Value;
use sybil_domain::{Attachment, Provider};

use super::RawJson;

/// Who speaks in a prompt message. A client's `tool` message has already
/// become `User` text: it carries no call id a provider could pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptRole {
    System,
    User,
    Assistant,
}

/// One message of the prompt. Attachments are only ever set on `User`.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMessage {
    pub role: PromptRole,
    pub content: String,
    pub attachments: Vec<Attachment>,
}

/// A function tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
}

/// A tool call the model asked for. `arguments` is the JSON text as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The id that pairs the call with its output (`call_id` in Responses,
    /// `tool_calls[].id` in Chat Completions).
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A finished tool round, given back to the provider on the next call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolRound {
    /// The response that asked for the tools (OpenAI continues from it with
    /// `previous_response_id`).
    pub response_id: Option<String>,
    /// Text the model wrote alongside the calls.
    pub assistant_text: String,
    pub calls: Vec<ToolCall>,
    /// One output per call, in the same order.
    pub outputs: Vec<String>,
}

/// Everything one model call needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmRequest {
    pub model: String,
    /// The internal system instruction, the same for every provider; a
    /// constant, so borrowed rather than copied into every request.
    pub instructions: Cow<'static, str>,
    pub messages: Vec<PromptMessage>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// Tools offered; empty means none (Anthropic always gets none).
    /// Shared: the same offer goes with every call.
    pub tools: Arc<[ToolSpec]>,
    /// Earlier rounds of this completion's tool loop, oldest first.
    pub rounds: Vec<ToolRound>,
}

pub use sybil_domain::Usage;

/// The model's answer to one call: text, or tool calls (possibly with text).
#[derive(Debug, Clone, PartialEq)]
pub struct LlmResponse {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// The provider's response id (`resp_…`, `msg_…`, chat completion id).
    pub response_id: Option<String>,
    /// The upstream request id header (`x-request-id`, `request-id`).
    pub request_id: Option<String>,
    /// The provider's response body as received.
    pub raw: RawJson,
}

/// What a streaming call yields, in order; `Completed` is last.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmStreamEvent {
    TextDelta(String),
    /// Boxed: the stream's queue holds items by value, and its deltas are many.
    Completed(Box<LlmResponse>),
}

/// How a provider call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmFailure {
    /// The upstream answered with this non-success HTTP status.
    Status(u16),
    /// No answer within `UPSTREAM_TIMEOUT_MS`.
    Timeout,
    /// Connecting failed, or the connection was reset or closed early.
    Connection,
    /// The answer was not the documented JSON (or SSE).
    Malformed,
    /// The upstream reported an error inside a stream or a failed response.
    Upstream,
}

/// A provider call failure. `message` is the upstream's own error message
/// (or a description of the transport failure), already stripped of every
/// API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider}: {message}")]
pub struct LlmError {
    pub provider: Provider,
    pub failure: LlmFailure,
    pub message: String,
}

/// One configured LLM provider.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// Which provider this is.
    fn provider(&self) -> Provider;

    /// One model call, answered whole.
    ///
    /// # Errors
    /// `LlmError` on an HTTP error status, timeout, connection failure or
    /// malformed body, after the bounded retries (429, 5xx, connection).
    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError>;

    /// One model call, streamed from the upstream's own stream: text deltas
    /// as they arrive, then `Completed` with the whole response. Dropping
    /// the stream aborts the upstream request.
    ///
    /// # Errors
    /// `LlmError` before the stream starts (as for `complete`); later
    /// failures (cut stream, in-stream error) are an `Err` item, the last.
    async fn stream(
        &self,
        request: &LlmRequest,
    ) -> Result<BoxStream<'static, Result<LlmStreamEvent, LlmError>>, LlmError>;

    /// The provider's live model list (OpenAI's already filtered for chat).
    ///
    /// # Errors
    /// `LlmError` when the models endpoint fails.
    async fn list_models(&self) -> Result<Vec<String>, LlmError>;
}
